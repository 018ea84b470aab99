"""The type section of a BTF blob as 32-bit words, and where each type's record starts in
them: one walk that steps by a size looked up per distinct info word (a vmlinux has a few
hundred), so the loop does a lookup and an add per type and nothing more.

The walk does not explain what is wrong with a malformed section: it answers None, and the
parser's own walk names the fault."""

import array
import sys

from bpfinspect import constants as C

# bytes that follow a record's 12-byte header: (fixed, per vlen item), by kind; the parser's
# checks and this walk both step by it
EXTRA = {C.BTF_KIND_INT: (4, 0), C.BTF_KIND_PTR: (0, 0), C.BTF_KIND_ARRAY: (12, 0),
         C.BTF_KIND_STRUCT: (0, 12), C.BTF_KIND_UNION: (0, 12), C.BTF_KIND_ENUM: (0, 8),
         C.BTF_KIND_FWD: (0, 0), C.BTF_KIND_TYPEDEF: (0, 0), C.BTF_KIND_VOLATILE: (0, 0),
         C.BTF_KIND_CONST: (0, 0), C.BTF_KIND_RESTRICT: (0, 0), C.BTF_KIND_FUNC: (0, 0),
         C.BTF_KIND_FUNC_PROTO: (0, 8), C.BTF_KIND_VAR: (4, 0), C.BTF_KIND_DATASEC: (0, 12),
         C.BTF_KIND_FLOAT: (0, 0), C.BTF_KIND_DECL_TAG: (4, 0), C.BTF_KIND_TYPE_TAG: (0, 0),
         C.BTF_KIND_ENUM64: (0, 12)}

# the same in words, with the header, for the walk (an unknown kind steps past the end, so
# the walk reports the section as malformed)
_BEYOND = 1 << 40
_FIXED = [_BEYOND] * 32
_PER_ITEM = [0] * 32
for _kind, (_fixed, _per) in EXTRA.items():
    _FIXED[_kind] = 3 + _fixed // 4
    _PER_ITEM[_kind] = _per // 4


def words_of(data):
    """`data` (little-endian, a multiple of 4 bytes long) as an array of unsigned 32-bit
    words; None when its length is not a multiple of 4."""
    if len(data) % 4:
        return None
    words = array.array("I")
    if words.itemsize != 4:
        words = array.array("L")
    words.frombytes(data)
    if sys.byteorder != "little":
        words.byteswap()
    return words


def record_size(info):
    """The size in words of a record whose info word is `info`."""
    kind = info >> 24 & 0x1F
    return _FIXED[kind] + _PER_ITEM[kind] * (info & 0xFFFF)


def walk(types_data):
    """(words, starts): the section as words and the word index of each record, in id
    order; None when the section is malformed (truncated, or a kind with no known size)."""
    words = words_of(types_data)
    if words is None:
        return None
    starts = []
    append = starts.append
    sizes = {}
    pos, end = 0, len(words)
    while True:
        try:
            while pos < end:
                append(pos)
                pos += sizes[words[pos + 1]]
            break
        except KeyError:  # an info word not seen before
            starts.pop()
            info = words[pos + 1]
            sizes[info] = record_size(info)
        except IndexError:  # a header cut short at the end
            return None
    if pos != end:
        return None
    return words, starts
