"""The newest bpftool's order for `format c` (btf.c: sort_btf_c): types by rank, then name,
then own name, then a hash of their shape, then id, so that the headers of two kernels diff
well. The hash is computed only where the first keys tie."""

import struct

from bpfinspect.btfparse import parser as P
from bpfinspect.errors import BtfError

_MAX_RANK = 10
_MASK = (1 << 64) - 1
_REFS = frozenset((P.TYPE_TAG, P.CONST, P.PTR, P.VOLATILE, P.RESTRICT, P.TYPEDEF,
                   P.DECL_TAG))
_HEAD = struct.Struct("<III")


class _Types:
    """(name_off, kind, vlen, word, body offset) per id, and names as bytes."""

    def __init__(self, btf):
        self.btf = btf
        self.names = {}
        self.table = btf.string_table()
        # one table of heads for every id, base first: no per-lookup chain walk
        chain = []
        b = btf
        while b is not None:
            chain.append(b)
            b = b.base
        heads = [(0, P.UNKN, 0, 0, 0)]
        datas = [btf.types_data]
        unpack = _HEAD.unpack_from
        for b in reversed(chain):
            data = b.types_data
            del heads[b.start_id:]
            heads.extend((name_off, (info >> 24) & 0x1F, info & 0xFFFF, word, pos + 12)
                         for pos in b.check()
                         for name_off, info, word in (unpack(data, pos),))
            del datas[b.start_id:]
            datas.extend([data] * (b.count - b.start_id))
        self.heads = heads
        self.datas = datas

    def head(self, type_id):
        return self.heads[type_id]

    def data(self, type_id):
        return self.datas[type_id]

    def name(self, off):
        s = self.names.get(off)
        if s is None:
            t = self.table.get(off)
            if t is None:
                try:
                    t = self.btf.string(off)
                except BtfError:
                    t = ""
            s = self.names[off] = t.encode("utf-8", "surrogateescape")
        return s


def _rank(ts, type_id, has_name, depth=0):
    name_off, kind, vlen, word, body = ts.head(type_id)
    if name_off:
        has_name = True
    if kind in (P.ENUM, P.ENUM64):
        return 1 if has_name else 0
    if kind in (P.INT, P.FLOAT):
        return 2
    if kind in (P.STRUCT, P.UNION):
        return 3 if has_name else _MAX_RANK
    if kind == P.FUNC_PROTO:
        return 4 if has_name else _MAX_RANK
    if kind == P.ARRAY:
        if has_name and depth < 64:
            return _rank(ts, struct.unpack_from("<I", ts.data(type_id), body)[0], True, depth + 1)
        return _MAX_RANK
    if kind in _REFS:
        if has_name and depth < 64:
            return _rank(ts, word, True, depth + 1)
        return _MAX_RANK
    return _MAX_RANK


def _sort_name(ts, type_id, from_ref, depth=0):
    name_off, kind, vlen, word, body = ts.head(type_id)
    if kind in (P.ENUM, P.ENUM64):
        if not from_ref and not name_off and vlen:
            name_off = struct.unpack_from("<I", ts.data(type_id), body)[0]
        return ts.name(name_off)
    if depth >= 64:
        return b""
    if kind == P.ARRAY:
        return _sort_name(ts, struct.unpack_from("<I", ts.data(type_id), body)[0], True,
                          depth + 1)
    if kind in _REFS:
        return _sort_name(ts, word, True, depth + 1)
    return ts.name(name_off)


def _str_hash(name):
    h = 0
    for c in name:
        h = (h * 31 + (c - 256 if c >= 128 else c)) & _MASK
    return h


def _name_hash(ts, h, name_off, cache):
    if not name_off:
        return h
    s = cache.get(name_off)
    if s is None:
        s = cache[name_off] = _str_hash(ts.name(name_off))
    return (h * 31 + s) & _MASK


def _disambig(ts, type_id, members, cache, depth=0):
    name_off, kind, vlen, word, body = ts.head(type_id)
    h = _name_hash(ts, 0, name_off, cache)
    if depth > 64:
        return h
    if kind in (P.ENUM, P.ENUM64):
        size = 8 if kind == P.ENUM else 12
        data = ts.data(type_id)
        for i in range(vlen):
            h = _name_hash(ts, h, struct.unpack_from("<I", data, body + i * size)[0], cache)
    elif kind in (P.STRUCT, P.UNION):
        if members:
            data = ts.data(type_id)
            for i in range(vlen):
                m_name, m_type, _off = struct.unpack_from("<III", data, body + i * 12)
                h = _name_hash(ts, h, m_name, cache)
                h = (h * 31 + _disambig(ts, m_type, False, cache, depth + 1)) & _MASK
    elif kind in _REFS:
        h = (h * 31 + _disambig(ts, word, members, cache, depth + 1)) & _MASK
    elif kind == P.ARRAY:
        elem, _index, nelems = struct.unpack_from("<III", ts.data(type_id), body)
        h = (h * 31 + nelems) & _MASK
        h = (h * 31 + _disambig(ts, elem, members, cache, depth + 1)) & _MASK
    return h


def order(btf):
    """Every type id of `btf` from 1 (its base's too, for split BTF), in bpftool's sorted
    order (void, which bpftool keeps in its list, is left out)."""
    ts = _Types(btf)
    keys = []
    for type_id in range(1, btf.count):
        name_off = ts.head(type_id)[0]
        keys.append((_rank(ts, type_id, False), _sort_name(ts, type_id, False),
                     ts.name(name_off), type_id))
    keys.sort()
    out = []
    cache = {}
    i = 0
    while i < len(keys):
        j = i + 1
        while j < len(keys) and keys[j][:3] == keys[i][:3]:
            j += 1
        if j - i == 1:
            out.append(keys[i][3])
        else:  # a tie: the shape hash decides, then the id
            group = sorted((_disambig(ts, k[3], True, cache), k[3]) for k in keys[i:j])
            out.extend(type_id for _h, type_id in group)
        i = j
    return out


def kfuncs(btf, kind_and_name=None):
    """[(FUNC id, name, is bpf_fastcall)] of the functions tagged `bpf_kfunc`, sorted by
    name, as bpftool's BPF kfuncs block lists them. The tags are found by their record's
    bytes (name offset and kind): no pass over every type. `kind_and_name(id)` gives a
    type's (kind, name); by default btf.type()."""
    if kind_and_name is None:
        def kind_and_name(type_id):
            t = btf.type(type_id)
            return t.kind, t.name
    found, funcs = {}, {}
    for tag in (b"bpf_kfunc", b"bpf_fastcall"):
        found[tag] = set()
        for b in _chain(btf):
            off = b.strings.find(b"\0" + tag + b"\0")
            if off < 0:
                continue
            pattern = struct.pack("<II", b.str_base + off + 1, P.DECL_TAG << 24)
            data = b.types_data
            pos = data.find(pattern)
            while pos >= 0:
                if pos % 4 == 0 and struct.unpack_from("<i", data, pos + 12)[0] == -1:
                    target = struct.unpack_from("<I", data, pos + 8)[0]
                    try:
                        kind, name = kind_and_name(target)
                    except BtfError:
                        kind = None
                    if kind == P.FUNC:
                        found[tag].add(target)
                        funcs[target] = name
                pos = data.find(pattern, pos + 4)
    names = {f: funcs[f].encode("utf-8", "surrogateescape") for f in found[b"bpf_kfunc"]}
    return [(f, names[f].decode("utf-8", "surrogateescape"), f in found[b"bpf_fastcall"])
            for f in sorted(names, key=names.get)]


def _chain(btf):
    while btf is not None:
        yield btf
        btf = btf.base
