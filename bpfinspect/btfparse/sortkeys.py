"""bpftool 7.8's `format c` order (see sort.py) computed from tables, for BTF whose chains
of references are short enough that its 64-level caps cannot cut a walk (every real BTF):

- per type id, its kind, name offset and record start, from the walked section (base first);
- each reference or array resolved once to the type at the end of its chain (memoized), which
  gives its rank and sort name without a walk per type;
- one bytes key per type, rank, sort name, NUL, own name, NUL (strcmp's order, so one bytes
  comparison per pair instead of a tuple's), with the shape hash appended to the keys that
  tie; one stable sort of the ids by key keeps the id order within equal hashes;
- shape hashes memoized per (type, members or not), names hashed with one C-level sum.

order() answers None where it cannot promise the same order as sort.py's walks."""

import collections
import itertools
import operator

from bpfinspect.btfparse import parser as P
from bpfinspect.errors import BtfError

_MAX_RANK = 10
_MASK = (1 << 64) - 1
_REFS = frozenset((P.TYPE_TAG, P.CONST, P.PTR, P.VOLATILE, P.RESTRICT, P.TYPEDEF,
                   P.DECL_TAG))
# the longest chain of references taken here: twice that plus two levels stay within the
# 64 levels bpftool's walks allow
_LONGEST_CHAIN = 30
# rank of a type that is no reference: named, anonymous (by kind)
_RANK_NAMED = [_MAX_RANK] * 32
_RANK_ANON = [_MAX_RANK] * 32
for _kind, _named, _anon in ((P.ENUM, 1, 0), (P.ENUM64, 1, 0), (P.INT, 2, 2), (P.FLOAT, 2, 2),
                             (P.STRUCT, 3, _MAX_RANK), (P.UNION, 3, _MAX_RANK),
                             (P.FUNC_PROTO, 4, _MAX_RANK)):
    _RANK_NAMED[_kind] = _named
    _RANK_ANON[_kind] = _anon
_POWERS = [31 ** i for i in range(256)]


class _Names(dict):
    """{name offset: name as bytes}, one split of each string section; misses looked up."""

    def __init__(self, btf):
        super().__init__()
        b = btf
        while b is not None:
            parts = b.strings.split(b"\0")
            offsets = map(operator.add, itertools.accumulate(map(len, parts), initial=0),
                          itertools.count(b.str_base))
            self.update(zip(offsets, parts))
            b = b.base
        self[0] = b""
        self.btf = btf

    def __missing__(self, off):
        try:
            s = self.btf.string(off).encode("utf-8", "surrogateescape")
        except BtfError:
            s = b""
        self[off] = s
        return s


def _str_hash(name):
    """bpftool's str_hash: h = h * 31 + c over signed chars, in 64 bits."""
    if len(name) < len(_POWERS):
        if name.isascii():
            return sum(map(operator.mul, reversed(name), _POWERS)) & _MASK
    h = 0
    for c in name:
        h = (h * 31 + (c - 256 if c >= 128 else c)) & _MASK
    return h


class _Table:
    """Per type id (base first, 0 void): kind, name offset, the words and record start, and
    the next type of a reference or array (its element type)."""

    def __init__(self, btf):
        chain = []
        b = btf
        while b is not None:
            chain.append(b)
            b = b.base
        kinds, names, words, starts, nexts = [P.UNKN], [0], [None], [0], [0]
        for b in reversed(chain):
            b.check()
            if b.words is None:
                raise LookupError
            w, s = b.words, b.starts
            kinds += [w[p + 1] >> 24 & 0x1F for p in s]
            names += [w[p] for p in s]
            nexts += [w[p + 2] for p in s]
            words += [w] * len(s)
            starts += s
        for type_id in itertools.compress(range(len(kinds)), [k == P.ARRAY for k in kinds]):
            nexts[type_id] = words[type_id][starts[type_id] + 3]
        self.kinds, self.names, self.words, self.starts, self.nexts = (
            kinds, names, words, starts, nexts)

    def vlen(self, type_id):
        return self.words[type_id][self.starts[type_id] + 1] & 0xFFFF


def _chain_ends(table):
    """{reference or array id: the id at the end of its chain}; LookupError if a chain is
    longer than _LONGEST_CHAIN (or loops)."""
    kinds, nexts = table.kinds, table.nexts
    ref_like = [k in _REFS or k == P.ARRAY for k in kinds]
    end = {}
    for type_id in itertools.compress(range(len(kinds)), ref_like):
        if type_id in end:
            continue
        path = [type_id]
        t = nexts[type_id]
        while ref_like[t] and t not in end:
            path.append(t)
            if len(path) > _LONGEST_CHAIN:
                raise LookupError
            t = nexts[t]
        if t in end:
            last, depth = end[t]
        else:
            last, depth = t, 0
        for node in reversed(path):
            depth += 1
            if depth > _LONGEST_CHAIN:
                raise LookupError
            end[node] = (last, depth)
    return {type_id: last for type_id, (last, _depth) in end.items()}


# kinds whose shape hash is their name's alone
_NAME_ONLY = [kind not in _REFS and kind not in (P.STRUCT, P.UNION, P.ENUM, P.ENUM64, P.ARRAY)
              for kind in range(32)]


def _shape_hasher(table, names):
    """A function (type id, with members) -> bpftool's shape hash (names, members, array
    lengths, through references), memoized per type and flag."""
    kinds, name_offs, words, starts, nexts = (table.kinds, table.names, table.words,
                                              table.starts, table.nexts)
    name_hashes = {}
    memos = ({}, {})
    mul, powers, mask = operator.mul, _POWERS, _MASK

    def name_hash(off):
        name = names[off]
        if name.isascii() and len(name) < len(powers):
            s = sum(map(mul, reversed(name), powers)) & mask
        else:
            s = _str_hash(name)
        name_hashes[off] = s
        return s

    def shape(type_id, members):
        memo = memos[members]
        kind = kinds[type_id]
        off = name_offs[type_id]
        h = (name_hashes.get(off) or name_hash(off)) if off else 0
        if kind in _REFS or kind == P.ARRAY:
            if kind == P.ARRAY:
                h = (h * 31 + words[type_id][starts[type_id] + 5]) & mask
            t = nexts[type_id]
            sub = memo.get(t)
            if sub is None:
                sub = shape(t, members)
            h = (h * 31 + sub) & mask
        elif kind == P.STRUCT or kind == P.UNION:
            if members:
                flat = memos[False]
                w, p = words[type_id], starts[type_id]
                for i in range(p + 3, p + 3 + 3 * (w[p + 1] & 0xFFFF), 3):
                    off = w[i]
                    if off:
                        h = (h * 31 + (name_hashes.get(off) or name_hash(off))) & mask
                    t = w[i + 1]
                    sub = flat.get(t)
                    if sub is None:
                        sub = shape(t, False)
                    h = (h * 31 + sub) & mask
        elif kind == P.ENUM or kind == P.ENUM64:
            step = 2 if kind == P.ENUM else 3
            w, p = words[type_id], starts[type_id]
            for i in range(p + 3, p + 3 + step * (w[p + 1] & 0xFFFF), step):
                off = w[i]
                if off:
                    h = (h * 31 + (name_hashes.get(off) or name_hash(off))) & mask
        memo[type_id] = h
        return h

    def top(type_id):
        h = memos[True].get(type_id)
        return shape(type_id, True) if h is None else h

    return top


def order(btf, without=()):
    """Every type id from 1 in bpftool's sorted order, but those of the kinds `without` (which
    are not ranked at all); None when the table-driven order cannot be promised equal to
    sort.py's walks."""
    try:
        table = _Table(btf)
        ends = _chain_ends(table)
    except LookupError:
        return None
    kinds, name_offs = table.kinds, table.names
    names = _Names(btf)
    count = len(kinds)
    if without:
        dropped = [kind in without for kind in range(32)]
        ids = [type_id for type_id in range(1, count) if not dropped[kinds[type_id]]]
    else:
        ids = range(1, count)
    ranks = [(_RANK_NAMED if n else _RANK_ANON)[k] for k, n in zip(kinds, name_offs)]
    own = [names[n] for n in name_offs]
    sort_names = own[:]
    for type_id, last in ends.items():
        sort_names[type_id] = own[last]
        ranks[type_id] = _RANK_NAMED[kinds[last]] if name_offs[type_id] else _MAX_RANK
    for kind in (P.ENUM, P.ENUM64):  # an anonymous enum sorts by its first enumerator
        for type_id in itertools.compress(range(count), [k == kind for k in kinds]):
            if not name_offs[type_id] and table.vlen(type_id):
                sort_names[type_id] = names[table.words[type_id][table.starts[type_id] + 3]]
    if without:  # keys for the ids kept only
        keys = dict(zip(ids, [b"%c%b\0%b\0" % (ranks[i], sort_names[i], own[i]) for i in ids]))
        repeats = collections.Counter(keys.values())
        tied = [type_id for type_id, key in keys.items() if repeats[key] > 1]
    else:  # a list by id, void's key empty (no other is)
        keys = [b"%c%b\0%b\0" % k for k in zip(ranks, sort_names, own)]
        keys[0] = b""
        repeats = collections.Counter(keys)
        tied = [type_id for type_id, key in enumerate(keys) if repeats[key] > 1]
    # an anonymous reference hashes as what it refers to: types that tie and come to the
    # same type that way hash the same, and a tie of those alone needs no hash at all
    nexts = table.nexts
    same = {}
    ends_of_tie = collections.defaultdict(set)
    for type_id in tied:
        t = type_id
        while not name_offs[t] and kinds[t] in _REFS:
            t = nexts[t]
        same[type_id] = t
        ends_of_tie[keys[type_id]].add(t)
    shape = _shape_hasher(table, names)
    zero = bytes(8)
    for type_id, t in same.items():
        if len(ends_of_tie[keys[type_id]]) == 1 or (_NAME_ONLY[kinds[t]] and not name_offs[t]):
            keys[type_id] += zero
        else:
            keys[type_id] += shape(t).to_bytes(8, "big")
    return sorted(ids, key=keys.__getitem__)
