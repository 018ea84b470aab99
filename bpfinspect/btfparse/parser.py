"""BTF blobs (include/uapi/linux/btf.h) as types and strings.

Types are indexed in one pass over their fixed headers; the rest of each record (members,
parameters, enumerators) is read when asked for. Split BTF (modules, over vmlinux) continues
the base's type ids and string offsets. Every offset and count is checked: a corrupt blob
raises BtfError, never IndexError or struct.error.
"""

import itertools
import operator
import re
import struct

from bpfinspect.btfparse import table
from bpfinspect.constants import BTF_KIND_NAMES as KIND_NAMES
from bpfinspect.constants import BTF_MAGIC as MAGIC
from bpfinspect.constants import btf_info_kind, btf_info_vlen
from bpfinspect.errors import BtfError

_HEADER = struct.Struct("<HBBIIIII")  # magic version flags hdr_len type_off type_len str_off str_len
_TYPE = struct.Struct("<III")

# short names for constants.BTF_KIND_*, in the same order
(UNKN, INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC,
 FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64) = range(len(KIND_NAMES))

# bytes that follow the 12-byte header: (fixed, per vlen item)
_EXTRA = table.EXTRA

# kinds whose third word is a type id rather than a size
_REFERS = frozenset((PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO, VAR, DECL_TAG,
                     TYPE_TAG))


class Type:
    """One BTF type. `type` is the referenced type id (for kinds that refer), `size` the byte
    size (for kinds that have one); `extra` is the offset of the record's variable part."""

    __slots__ = ("btf", "id", "kind", "name_off", "vlen", "kflag", "word", "extra")

    def __init__(self, btf, type_id, kind, name_off, vlen, kflag, word, extra):
        self.btf = btf
        self.id = type_id
        self.kind = kind
        self.name_off = name_off
        self.vlen = vlen
        self.kflag = kflag
        self.word = word
        self.extra = extra

    def __repr__(self):
        return "<BTF %s '%s' id %d>" % (self.kind_name, self.name, self.id)

    @property
    def kind_name(self):
        return KIND_NAMES[self.kind]

    @property
    def name(self):
        return self.btf.string(self.name_off)

    @property
    def type(self):
        return self.word if self.kind in _REFERS else None

    @property
    def size(self):
        return None if self.kind in _REFERS else self.word

    def _items(self, fmt):
        s = struct.Struct(fmt)
        return list(s.iter_unpack(self.btf.types_data[self.extra:self.extra + s.size * self.vlen]))

    def int_encoding(self):
        """(encoding flags, bit offset, bits) of an INT."""
        (v,) = struct.unpack_from("<I", self.btf.types_data, self.extra)
        return (v >> 24) & 0x0F, (v >> 16) & 0xFF, v & 0xFF

    def array(self):
        """(element type, index type, number of elements) of an ARRAY."""
        return struct.unpack_from("<III", self.btf.types_data, self.extra)

    def members(self, name_of=None):
        """[(name, type, bit offset, bitfield size)] of a STRUCT or UNION; `name_of(offset)`
        names them (by default btf.string(), which raises on a bad offset)."""
        name_of = name_of or self.btf.string
        out = []
        for name_off, type_id, offset in self._items("<III"):
            if self.kflag:
                out.append((name_of(name_off), type_id, offset & 0xFFFFFF, offset >> 24))
            else:
                out.append((name_of(name_off), type_id, offset, 0))
        return out

    def params(self):
        """[(name offset, type)] of a FUNC_PROTO (type 0 and no name: `...`)."""
        return self._items("<II")

    def enumerators(self, name_of=None):
        """[(name, value)] of an ENUM or ENUM64 (signed when kflag says so); `name_of` as in
        members()."""
        name_of = name_of or self.btf.string
        if self.kind == ENUM64:
            out = []
            for name_off, lo, hi in self._items("<III"):
                v = hi << 32 | lo
                if self.kflag and v >= 1 << 63:
                    v -= 1 << 64
                out.append((name_of(name_off), v))
            return out
        fmt = "<Ii" if self.kflag else "<II"
        return [(name_of(n), v) for n, v in self._items(fmt)]

    def linkage(self):
        """A VAR's linkage (0 static, 1 global, 2 extern) or a FUNC's (vlen)."""
        if self.kind == VAR:
            return struct.unpack_from("<I", self.btf.types_data, self.extra)[0]
        return self.vlen

    def variables(self):
        """[(type, offset, size)] of a DATASEC."""
        return self._items("<III")

    def component_idx(self):
        """A DECL_TAG's component index (-1: the whole type)."""
        return struct.unpack_from("<i", self.btf.types_data, self.extra)[0]


class Btf:
    """A parsed BTF blob; with `base`, split BTF whose ids and strings continue the base's."""

    def __init__(self, data, base=None):
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise BtfError("BTF is too short (%d bytes)" % len(data))
        magic, version, _flags, hdr_len, type_off, type_len, str_off, str_len = \
            _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise BtfError("invalid BTF magic 0x%04x (expected 0x%04x)" % (magic, MAGIC))
        if version != 1:
            raise BtfError("unsupported BTF version %d" % version)
        if hdr_len < _HEADER.size or hdr_len > len(data):
            raise BtfError("invalid BTF header length %d" % hdr_len)
        body = len(data) - hdr_len
        for what, off, length in (("type", type_off, type_len), ("string", str_off, str_len)):
            if off + length > body or off % (4 if what == "type" else 1):
                raise BtfError("BTF %s section (offset %d, length %d) is out of bounds"
                               % (what, off, length))
        if type_off < str_off < type_off + type_len or str_off < type_off < str_off + str_len:
            raise BtfError("BTF type and string sections overlap")
        self.base = base
        self.types_data = data[hdr_len + type_off:hdr_len + type_off + type_len]
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        if self.strings and self.strings[-1:] != b"\0":
            raise BtfError("BTF string section is not NUL-terminated")
        if base is None and self.strings[:1] not in (b"\0", b""):
            raise BtfError("BTF string section does not start with an empty string")
        self.start_id = base.count if base is not None else 1
        self.str_base = len(base.strings_all) if base is not None else 0
        self._index_cache = None
        self.words = self.starts = None  # after check(): table.walk()'s, when it walked
        self._cache = {}
        self._names = {}

    @property
    def strings_all(self):
        """The string section of the base and this BTF together (offsets are global)."""
        if self.base is None:
            return self.strings
        return self.base.strings_all + self.strings

    @property
    def _offsets(self):
        """The record offsets, indexed on first use (a header-only use skips the pass)."""
        if self._index_cache is None:
            self._index_cache = self._index()
        return self._index_cache

    def check(self):
        """Index every type now: BtfError if any record is malformed."""
        return self._offsets

    @property
    def count(self):
        """One more than the largest type id (id 0 is void)."""
        return self.start_id + len(self._offsets)

    def _index(self):
        walked = table.walk(self.types_data)
        if walked is not None:
            self.words, self.starts = walked
            return [start << 2 for start in self.starts]
        return self._index_slowly()

    def _index_slowly(self):
        """The walk that says what is wrong with a malformed section."""
        data = self.types_data
        offsets = []
        pos, end = 0, len(data)
        unpack = _TYPE.unpack_from
        while pos < end:
            if pos + 12 > end:
                raise BtfError("BTF type %d is truncated" % (self.start_id + len(offsets)))
            _name, info, _word = unpack(data, pos)
            kind = btf_info_kind(info)
            extra = _EXTRA.get(kind)
            if extra is None:
                raise BtfError("BTF type %d has unknown kind %d"
                               % (self.start_id + len(offsets), kind))
            offsets.append(pos)
            pos += 12 + extra[0] + extra[1] * (info & 0xFFFF)
        if pos != end:
            raise BtfError("BTF type %d is truncated" % (self.start_id + len(offsets) - 1))
        return offsets

    def type(self, type_id):
        """The Type with id `type_id` (ids from the base included); BtfError if none."""
        if type_id < self.start_id:
            if self.base is not None and type_id > 0:
                return self.base.type(type_id)
            raise BtfError("BTF type id %d is out of range" % type_id)
        t = self._cache.get(type_id)
        if t is None:
            i = type_id - self.start_id
            if i >= len(self._offsets):
                raise BtfError("BTF type id %d is out of range (%d types)"
                               % (type_id, self.count - 1))
            pos = self._offsets[i]
            name_off, info, word = _TYPE.unpack_from(self.types_data, pos)
            t = Type(self, type_id, btf_info_kind(info), name_off, btf_info_vlen(info), info >> 31,
                     word, pos + 12)
            self._cache[type_id] = t
        return t

    def string(self, offset):
        """The NUL-terminated string at `offset` (global over base and split)."""
        s = self._names.get(offset)
        if s is not None:
            return s
        if offset < self.str_base:
            s = self.base.string(offset)
        else:
            local = offset - self.str_base
            if local >= len(self.strings):
                raise BtfError("BTF string offset %d is out of range" % offset)
            end = self.strings.index(b"\0", local)
            s = self.strings[local:end].decode("utf-8", "surrogateescape")
        self._names[offset] = s
        return s

    def string_table(self):
        """{offset: string} of every string that starts after a NUL in this BTF's own
        string section (offsets global): one pass, for whole-BTF walks. Names pointing
        into the middle of a string are not in it: use string() for a miss."""
        table = dict(self.string_items())
        table[0] = ""
        return table

    def string_items(self):
        """(offset, string) of string_table(), but the empty string at 0, as an iterator."""
        if self.strings.isascii():  # one decode and split; offsets summed in C
            parts = self.strings.decode("ascii").split("\0")
            offsets = map(operator.add, itertools.accumulate(map(len, parts), initial=0),
                          itertools.count(self.str_base))
            return zip(offsets, parts)
        items = []
        pos = self.str_base
        for raw in self.strings.split(b"\0"):
            items.append((pos, raw.decode("utf-8", "surrogateescape")))
            pos += len(raw) + 1
        return iter(items)

    def offset_of(self, type_id):
        """The offset of type `type_id`'s record in types_data (this BTF's types only)."""
        return self._offsets[type_id - self.start_id]

    def types(self):
        """Every type of this BTF (not the base's), in id order."""
        return (self.type(i) for i in range(self.start_id, self.count))


# kinds no type may refer to (a DECL_TAG tags others; a VAR belongs to its DATASEC), and
# kinds that have no size, so no struct member or array element may be of them (libbpf's C
# dumper divides by their alignment, 0: SIGFPE)
_NEVER_REFERRED = frozenset((DECL_TAG, DATASEC))
_SIZELESS = frozenset((FUNC, FUNC_PROTO, VAR, DATASEC, DECL_TAG))
_MODIFIERS = frozenset((TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG))


def _resolved_kind(btf, type_id):
    """The kind under typedefs and modifiers (a loop is reported elsewhere: UNKN here)."""
    for _ in range(64):
        if not type_id:
            return UNKN
        t = btf.type(type_id)
        if t.kind not in _MODIFIERS:
            return t.kind
        type_id = t.type
    return UNKN


# kinds whose one reference can chain into a loop with no definition to stop at
_CHAINING = frozenset((PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FUNC, VAR, DECL_TAG))


def check_references(btf):
    """BtfError unless every type and string reference of `btf` is in range and no chain
    of pointers, modifiers and typedefs loops back on itself: what libbpf's C dumper
    assumes of its input (the kernel checks this for the BTF it loads; files get it here)."""
    count = btf.count
    strings = len(btf.strings_all)
    nexts = {}
    for type_id in range(btf.start_id, count):
        t = btf.type(type_id)
        if t.name_off >= strings:
            raise BtfError("BTF type %d: name offset %d is out of range" % (type_id, t.name_off))
        refs = []
        if t.kind in _CHAINING:
            refs.append(t.type)
            nexts[type_id] = t.type
        elif t.kind == ARRAY:
            elem, index, _n = t.array()
            refs += [elem, index]
            nexts[type_id] = elem
        elif t.kind in (STRUCT, UNION):
            refs += [m[1] for m in t.members()]
        elif t.kind == FUNC_PROTO:
            refs.append(t.type)
            refs += [p[1] for p in t.params()]
            if any(p[0] >= strings for p in t.params()):
                raise BtfError("BTF type %d: parameter name out of range" % type_id)
        elif t.kind == DATASEC:
            refs += [v[0] for v in t.variables()]
        for ref in refs:
            if ref >= count:
                raise BtfError("BTF type %d refers to type %d, out of range (%d types)"
                               % (type_id, ref, count - 1))
        for ref in refs:
            kind = btf.type(ref).kind if ref else UNKN  # 0: void
            if kind in _NEVER_REFERRED or (kind == VAR and t.kind != DATASEC):
                raise BtfError("BTF type %d refers to type %d, a %s, which %s" % (
                    type_id, ref, KIND_NAMES[kind],
                    "only a DATASEC holds" if kind == VAR else "no type may refer to"))
        if t.kind in (STRUCT, UNION, ARRAY):
            for ref in (refs[:1] if t.kind == ARRAY else refs):
                if _resolved_kind(btf, ref) in _SIZELESS:
                    raise BtfError("BTF type %d holds type %d, which has no size"
                                   % (type_id, ref))
    done = set()
    for start in nexts:
        seen = []
        node = start
        while node in nexts and node not in done:
            if node in seen:
                raise BtfError("BTF type %d is part of a reference loop" % node)
            seen.append(node)
            node = nexts[node]
        done.update(seen)


_UNSAFE_NAME = re.compile(rb"[\x01-\x1f\x7f]|\xc2[\x80-\x9f]")


def check_names(btf):
    """BtfError when a name that a C header would print holds control characters or bytes
    that are not UTF-8 (no C identifier does, and they would reach the terminal as they
    are). One scan of the string section tells that most BTF has none."""
    try:
        btf.strings.decode("utf-8")
        if not _UNSAFE_NAME.search(btf.strings):
            return
    except UnicodeDecodeError:
        pass
    for t in btf.types():
        names = [t.name_off]
        if t.kind in (STRUCT, UNION):
            names += [m[0] for m in t._items("<III")]
        elif t.kind in (ENUM, ENUM64):
            names += [e[0] for e in t._items("<III" if t.kind == ENUM64 else "<II")]
        elif t.kind == FUNC_PROTO:
            names += [p[0] for p in t.params()]
        for off in names:
            raw = btf.string(off).encode("utf-8", "surrogateescape")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raw = b"\x01"
            if _UNSAFE_NAME.search(raw):
                raise BtfError("BTF type %d: a name with control characters or bytes that are "
                               "not UTF-8 cannot be written as C" % t.id)
