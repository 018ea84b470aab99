"""Fixed-layout records rendered for many entries at once.

A map dump without BTF prints every entry in the same layout: only the hex digits change.
EntryTemplate.from_sample() takes the text a view produces for one entry whose bytes are
marker characters, and render() fills the digits of n packed entries column by column with
C-level slice assignments: each entry costs no Python bytecode at all. The per-entry
view stays the single source of the layout; this only repeats it fast.
"""

_HEX = b"0123456789abcdef"
HIGH = bytes(_HEX[b >> 4] for b in range(256))
LOW = bytes(_HEX[b & 15] for b in range(256))
_MARK = 0xE000  # private-use characters stand for the digits of byte i: 2i (high), 2i+1
_RAW = 0xF000  # and chr(_RAW + i) for byte i itself (a sign character)
MARKED_BYTES = 0x800  # how many bytes the markers can stand for


def markers(count, first=0):
    """Two-character tokens standing for the hex digits of bytes first..first+count-1."""
    return [chr(_MARK + 2 * i) + chr(_MARK + 2 * i + 1) for i in range(first, first + count)]


def raw_marker(index):
    """The character standing for byte `index` itself, written as it is."""
    return chr(_RAW + index)


class EntryTemplate:
    """One entry's text with its hex digit positions: (position, byte index, nibble), nibble
    2 for a byte written as it is."""

    def __init__(self, text, digits):
        self.text = text
        self.digits = digits
        self.width = len(text)

    @classmethod
    def from_sample(cls, sample):
        out, digits = [], []
        for pos, ch in enumerate(sample):
            code = ord(ch)
            if _MARK <= code < _MARK + 2 * MARKED_BYTES:
                i = code - _MARK
                digits.append((pos, i >> 1, i & 1))
                out.append("0")
            elif _RAW <= code < _RAW + MARKED_BYTES:
                digits.append((pos, code - _RAW, 2))
                out.append(" ")
            else:
                out.append(ch)
        return cls("".join(out).encode("ascii"), digits)

    def render(self, columns, n):
        """`columns(i)` gives byte i of every entry (bytes of length n): n records, as bytes."""
        width = self.width
        buf = bytearray(self.text * n)
        cache = {}
        for pos, index, nibble in self.digits:
            col = cache.get(index)
            if col is None:
                col = cache[index] = columns(index)
            buf[pos::width] = col if nibble == 2 else col.translate(LOW if nibble else HIGH)
        return bytes(buf)


def packed_columns(keys, key_size, values, value_size):
    """columns() for entries packed as keys (key_size each) and values (value_size each):
    byte i of an entry is key byte i, then value byte i - key_size."""
    def columns(i):
        if i < key_size:
            return keys[i::key_size]
        return values[i - key_size::value_size]
    return columns
