"""Fixed-size records read back in sorted order without sorting them all at once: an
external radix sort on their leading byte (most significant first).

Records are bytes of one size, compared as bytes. They go to 256 buckets by their byte at
`depth`; the buckets held in memory are written, as they are, to a temporary file when
spill() is called. Read back, bucket by bucket in byte order, each bucket is read whole
and sorted on its own: a million records make 256 sorts of about 4,000, which cost half
as much as sorting runs of the million and merging them (fewer records for each compare
to be told apart from, and every bucket's records fit in the cache), and nothing has to be
merged. A bucket holding more than a given number of records is split again by the first
byte its records differ at, into the same file, so that however the records are distributed
no more than that are sorted at once.
"""

from operator import itemgetter

_FAN = 256
_READ_RECORDS = 65536  # records read from the file at a time when a bucket is split again
_WINDOW = 16384  # records cut by one itemgetter
_slices = {}  # record size -> the slices of _WINDOW records of that size


def split(data, size):
    """The records of `size` bytes packed in `data`, as a list. An itemgetter of slices
    cuts them at C speed (twice as fast as a list comprehension); the slices of one size
    are made once, for _WINDOW records, and longer data is cut a window at a time."""
    slices = _slices.get(size)
    if slices is None:
        slices = _slices[size] = [slice(i, i + size) for i in range(0, _WINDOW * size, size)]
    n = len(data) // size
    if n <= 1:
        return [data] if n else []
    if n <= _WINDOW:
        return list(itemgetter(*slices[:n])(data))
    out = []
    step = _WINDOW * size
    for at in range(0, len(data), step):
        out += split(data[at:at + step], size)
    return out


class PrefixBuckets:
    """Records of `size` bytes added in any order, held by their byte at `depth` (records
    equal up to `depth` bytes, where depth > 0), read back sorted by sorted_blocks()."""

    def __init__(self, size, spill, depth=0):
        self.size = size
        self.depth = depth
        self.count = 0
        self.held = 0  # records held in memory
        self.spills = 0
        self._spill = spill
        self._buckets = [[] for _ in range(_FAN)]
        self._segments = [[] for _ in range(_FAN)]  # per bucket, (offset, count) in the file
        self._split = [None] * _FAN  # per bucket, its PrefixBuckets once split again

    def add(self, records, data=None):
        """`records` (a list), whose packed form is `data` where given."""
        if data is None:
            data = b"".join(records)
        appends = [b.append for b in self._buckets]
        for byte, record in zip(data[self.depth::self.size], records):
            appends[byte](record)
        self.count += len(records)
        self.held += len(records)

    def spill(self):
        """The records held to the file, one segment per bucket, in a single write."""
        if not self.held:
            return
        offset = self._spill.append(b"".join(b"".join(b) for b in self._buckets))
        for segments, bucket in zip(self._segments, self._buckets):
            if bucket:
                segments.append((offset, len(bucket)))
                offset += len(bucket) * self.size
        self._buckets = [[] for _ in range(_FAN)]
        self.held = 0
        self.spills += 1

    def bucket_blocks(self, i, limit):
        """Sorted lists of records, in order: bucket i's, at most `limit` sorted at a time
        (more are split again, by the first byte after `depth` at which they differ)."""
        sub = self._split[i]
        if sub is not None:
            yield from sub.sorted_blocks(limit)
            return
        segments, held = self._segments[i], self._buckets[i]
        n = sum(c for _, c in segments) + len(held)
        if not n:
            return
        if n <= limit:
            records = split(b"".join(self._spill.read(offset, count * self.size)
                                     for offset, count in segments), self.size)
            records += held
            records.sort()
            yield records
            return
        depth = self._first_differing(i)
        if depth == self.size:  # all alike: in any order
            for data in self._packed(i, limit):
                yield split(data, self.size)
            return
        sub = PrefixBuckets(self.size, self._spill, depth)
        for data in self._packed(i, _READ_RECORDS):
            sub.add(split(data, self.size), data)
            if sub.held >= limit:
                sub.spill()
        sub.spill()
        self._split[i] = sub
        self._segments[i] = []
        self._buckets[i] = []
        self.held -= len(held)
        yield from sub.sorted_blocks(limit)

    def _packed(self, i, per):
        """Bucket i's records packed, at most `per` at a time."""
        for offset, count in self._segments[i]:
            for first in range(0, count, per):
                yield self._spill.read(offset + first * self.size,
                                       min(per, count - first) * self.size)
        held = self._buckets[i]
        for first in range(0, len(held), per):
            yield b"".join(held[first:first + per])

    def _first_differing(self, i):
        """The first byte after `depth` at which bucket i's records are not all alike
        (`size`: none). Keys often begin with bytes all the same (an interface index, a
        protocol, padding): the bucket is split again by the first byte that tells its
        records apart, once, not by each byte in turn. The columns are compared at C
        speed, without cutting the records apart."""
        size = self.size
        first = None
        differing = size
        for data in self._packed(i, _READ_RECORDS):
            if first is None:
                first = data[:size]
            for at in range(self.depth + 1, differing):
                column = data[at::size]
                if column.count(first[at]) != len(column):
                    differing = at
                    break
        return differing

    def sorted_blocks(self, limit):
        """Sorted lists of records: every record, in order, bucket by bucket."""
        for i in range(_FAN):
            yield from self.bucket_blocks(i, limit)

