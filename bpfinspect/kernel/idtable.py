"""A multimap from object id to values that lists each id's values in the order bpftool does.

bpftool keeps pinned paths and BTF users in libbpf's hashmap and prints an id's values by
walking its bucket chain: entries are pushed at the head of a chain, and every time the table
grows, chains are rebuilt by walking the old buckets in order, which reverses them again.
Printing the same lists needs the same bookkeeping.
"""

_GOLDEN = 11400714819323198485
_MASK64 = (1 << 64) - 1
_MIN_CAP_BITS = 2


def _hash_bits(key, bits):
    if bits == 0:
        return 0
    return ((key * _GOLDEN) & _MASK64) >> (64 - bits)


class IdTable:
    def __init__(self):
        self._buckets = []
        self._cap_bits = 0
        self._size = 0

    def __len__(self):
        return self._size

    def append(self, key, value):
        if not self._buckets or (self._size + 1) * 4 // 3 > len(self._buckets):
            self._grow()
        self._buckets[_hash_bits(key, self._cap_bits)].insert(0, (key, value))
        self._size += 1

    def _grow(self):
        bits = max(self._cap_bits + 1, _MIN_CAP_BITS)
        buckets = [[] for _ in range(1 << bits)]
        for chain in self._buckets:
            for entry in chain:
                buckets[_hash_bits(entry[0], bits)].insert(0, entry)
        self._buckets = buckets
        self._cap_bits = bits

    def get(self, key):
        """The values of `key`, in bpftool's order."""
        if not self._buckets:
            return []
        chain = self._buckets[_hash_bits(key, self._cap_bits)]
        return [v for k, v in chain if k == key]
