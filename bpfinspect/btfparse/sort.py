"""The newest bpftool's order for `format c` (btf.c: sort_btf_c): types by rank, then name,
then own name, then a hash of their shape, then id, so that the headers of two kernels diff
well. The hash is computed only where the first keys tie."""

import struct

from bpfinspect.btfparse import parser as P
from bpfinspect.btfparse import sortkeys
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
        # the strings that start after a NUL of this BTF's own section, as bytes (what
        # string() decodes, encoded back); others are looked up on a miss
        names = self.names = {}
        pos = btf.str_base
        for raw in btf.strings.split(b"\0"):
            names[pos] = raw
            pos += len(raw) + 1
        names[0] = b""
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

    def name(self, off):
        s = self.names.get(off)
        if s is None:
            try:
                t = self.btf.string(off)
            except BtfError:
                t = ""
            s = self.names[off] = t.encode("utf-8", "surrogateescape")
        return s


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


def _disambig(ts, type_id, members, cache, memo=None):
    """The shape hash of a type (bpftool's: names, members, array lengths, through
    references; at most 64 levels down). `memo` keeps a subtree's hash with how deep it
    went, reused wherever the 64-level cap would not have cut it."""
    if memo is None:
        memo = {}
    return _shape(ts, type_id, members, cache, memo, 0)[0]


def _shape(ts, type_id, members, cache, memo, depth):
    """(hash, levels below) of _disambig's walk; levels is None where the cap cut it."""
    key = (type_id, members)
    hit = memo.get(key)
    if hit is not None and depth + hit[1] <= 64:
        return hit
    name_off, kind, vlen, word, body = ts.heads[type_id]
    h = _name_hash(ts, 0, name_off, cache)
    if depth > 64:
        return h, None
    below = 0
    if kind in (P.ENUM, P.ENUM64):
        size = 8 if kind == P.ENUM else 12
        data = ts.datas[type_id]
        for i in range(vlen):
            h = _name_hash(ts, h, struct.unpack_from("<I", data, body + i * size)[0], cache)
    elif kind in (P.STRUCT, P.UNION):
        if members:
            data = ts.datas[type_id]
            for i in range(vlen):
                m_name, m_type, _off = struct.unpack_from("<III", data, body + i * 12)
                h = _name_hash(ts, h, m_name, cache)
                sub, levels = _shape(ts, m_type, False, cache, memo, depth + 1)
                h = (h * 31 + sub) & _MASK
                below = None if levels is None or below is None else max(below, levels + 1)
    elif kind in _REFS:
        sub, levels = _shape(ts, word, members, cache, memo, depth + 1)
        h = (h * 31 + sub) & _MASK
        below = None if levels is None else levels + 1
    elif kind == P.ARRAY:
        elem, _index, nelems = struct.unpack_from("<III", ts.datas[type_id], body)
        h = (h * 31 + nelems) & _MASK
        sub, levels = _shape(ts, elem, members, cache, memo, depth + 1)
        h = (h * 31 + sub) & _MASK
        below = None if levels is None else levels + 1
    if below is not None:
        memo[key] = (h, below)
    return h, below


def _keys(ts, count):
    """[(rank, sort name, own name, id)] for ids 1..count-1, as bpftool 7.8 ranks and names
    types (a reference or array takes its target's rank and name, to a depth of 64),
    computed in loops over the head table."""
    heads, datas, name = ts.heads, ts.datas, ts.name
    enums, ints, aggs, refs = (P.ENUM, P.ENUM64), (P.INT, P.FLOAT), (P.STRUCT, P.UNION), _REFS
    array, proto = P.ARRAY, P.FUNC_PROTO
    unpack = struct.unpack_from
    keys = []
    for type_id in range(1, count):
        head = heads[type_id]
        own = head[0]
        # rank
        has_name, depth, t, (name_off, kind, vlen, word, body) = False, 0, type_id, head
        while True:
            if name_off:
                has_name = True
            if kind in enums:
                rank = 1 if has_name else 0
            elif kind in ints:
                rank = 2
            elif kind in aggs:
                rank = 3 if has_name else _MAX_RANK
            elif kind == proto:
                rank = 4 if has_name else _MAX_RANK
            elif (kind == array or kind in refs) and has_name and depth < 64:
                t = unpack("<I", datas[t], body)[0] if kind == array else word
                depth += 1
                name_off, kind, vlen, word, body = heads[t]
                continue
            else:
                rank = _MAX_RANK
            break
        # sort name
        from_ref, depth, t, (name_off, kind, vlen, word, body) = False, 0, type_id, head
        while True:
            if kind in enums:
                if not from_ref and not name_off and vlen:
                    name_off = unpack("<I", datas[t], body)[0]
                sort_name = name(name_off)
            elif depth >= 64:
                sort_name = b""
            elif kind == array or kind in refs:
                t = unpack("<I", datas[t], body)[0] if kind == array else word
                from_ref = True
                depth += 1
                name_off, kind, vlen, word, body = heads[t]
                continue
            else:
                sort_name = name(name_off)
            break
        keys.append((rank, sort_name, name(own), type_id))
    return keys


def order(btf, without=()):
    """Every type id of `btf` from 1 (its base's too, for split BTF), in bpftool's sorted
    order (void, which bpftool keeps in its list, is left out), but those of the kinds
    `without`. From tables (sortkeys) where they give the same order; else by walks."""
    done = sortkeys.order(btf, without)
    if done is not None:
        return done
    ids, kinds = _order_walking(btf)
    if not without:
        return ids
    dropped = [kind in without for kind in range(32)]
    return [type_id for type_id in ids if not dropped[kinds[type_id]]]


def _order_walking(btf):
    """(ids, kinds) as order() needs them, with a walk per type (and the 64-level caps)."""
    ts = _Types(btf)
    keys = _keys(ts, btf.count)
    keys.sort()
    out = []
    cache, memo = {}, {}
    i, n = 0, len(keys)
    while i < n:
        rank, sort_name, own, type_id = keys[i]
        j = i + 1
        while j < n:
            k = keys[j]
            if k[2] != own or k[1] != sort_name or k[0] != rank:
                break
            j += 1
        if j - i == 1:
            out.append(type_id)
        else:  # a tie: the shape hash decides, then the id
            group = sorted((_disambig(ts, k[3], True, cache, memo), k[3]) for k in keys[i:j])
            out.extend(type_id for _h, type_id in group)
        i = j
    return out, [head[1] for head in ts.heads]


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
