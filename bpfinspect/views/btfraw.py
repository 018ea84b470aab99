"""`btf dump ... format raw` of every type of a BTF, as text: one loop over the records as
32-bit words (btfparse.table), each type one '%' format with its head in it, the members,
parameters and enumerators of a type formatted in one list comprehension, names from one
table of the string section. The same text as views.btf.raw_text (which prints root ids and
is what this falls back to for a section that does not walk)."""

from bpfinspect.btfparse import parser as P
from bpfinspect.errors import BtfError
from bpfinspect.views import btf as btf_view
from bpfinspect.views.textsafe import safe

# every printable ASCII byte and NUL: a string section with nothing else needs no escaping
_PLAIN = bytes([0]) + bytes(range(0x20, 0x7F))
_BLOCK = 4096  # types per chunk written


class _Names(dict):
    """{name offset: the name as printed}; offsets not in the table (into a string's middle,
    into the base's section, out of range) are looked up on a miss."""

    def __init__(self, btf, table):
        super().__init__(table)
        self.btf = btf
        self[0] = "(anon)"

    def __missing__(self, off):
        try:
            s = safe(self.btf.string(off))
        except BtfError:
            return "(invalid)"
        self[off] = s
        return s


def _names(btf):
    items = btf.string_items()
    strings = btf.strings
    if not (strings.isascii() and not strings.translate(None, _PLAIN)):
        if btf_view.needs_escaping(strings):
            items = ((off, safe(text)) for off, text in items)
    return _Names(btf, items)


def raw_text_all(btf):
    """The raw dump of every type of `btf` (not its base's) as chunks of whole lines."""
    btf.check()
    if btf.words is None:
        yield from btf_view.raw_text(btf, range(btf.start_id, btf.count))
        return
    words, starts = btf.words, btf.starts
    names = _names(btf)
    for first in range(0, len(starts), _BLOCK):
        yield _chunk(btf, words, starts[first:first + _BLOCK], btf.start_id + first, names)


_INT_ENCODINGS = btf_view.INT_ENCODINGS
_LINKAGE = btf_view.FUNC_LINKAGE
_VAR_LINKAGE = btf_view.VAR_LINKAGE
_SIGNED = ("UNSIGNED", "SIGNED")
_KIND_NAMES = btf_view.KIND_NAMES
(_INT, _PTR, _ARRAY, _STRUCT, _UNION, _ENUM, _FWD, _TYPEDEF, _VOLATILE, _CONST, _RESTRICT,
 _FUNC, _FUNC_PROTO, _VAR, _DATASEC, _FLOAT, _DECL_TAG, _TYPE_TAG, _ENUM64) = (
    P.INT, P.PTR, P.ARRAY, P.STRUCT, P.UNION, P.ENUM, P.FWD, P.TYPEDEF, P.VOLATILE, P.CONST,
    P.RESTRICT, P.FUNC, P.FUNC_PROTO, P.VAR, P.DATASEC, P.FLOAT, P.DECL_TAG, P.TYPE_TAG,
    P.ENUM64)
_REFERRING = {kind: btf_view.KIND_NAMES[kind]
              for kind in (_PTR, _CONST, _VOLATILE, _RESTRICT, _TYPEDEF, _TYPE_TAG)}
_COMPOSITE = {_STRUCT: "STRUCT", _UNION: "UNION"}


def _chunk(btf, w, starts, type_id, N):
    # f-strings: a decimal field costs less than '%u' (every number here is unsigned or
    # made signed before, so both print the same)
    out = []
    add = out.append
    for p in starts:
        info = w[p + 1]
        kind = info >> 24 & 0x1F
        if kind == _FUNC:
            add(f"[{type_id}] FUNC '{N[w[p]]}' type_id={w[p + 2]} "
                f"linkage={_LINKAGE.get(info & 0xFFFF, '(unknown)')}\n")
        elif kind == _FUNC_PROTO:
            vlen = info & 0xFFFF
            add(f"[{type_id}] FUNC_PROTO '{N[w[p]]}' ret_type_id={w[p + 2]} vlen={vlen}")
            for i in range(p + 3, p + 3 + 2 * vlen, 2):
                add(f"\n\t'{N[w[i]]}' type_id={w[i + 1]}")
            add("\n")
        elif kind in _REFERRING:
            add(f"[{type_id}] {_REFERRING[kind]} '{N[w[p]]}' type_id={w[p + 2]}\n")
        elif kind == _STRUCT or kind == _UNION:
            vlen = info & 0xFFFF
            add(f"[{type_id}] {_COMPOSITE[kind]} '{N[w[p]]}' size={w[p + 2]} vlen={vlen}")
            if info >> 31:
                for i in range(p + 3, p + 3 + 3 * vlen, 3):
                    o = w[i + 2]
                    if o >> 24:
                        add(f"\n\t'{N[w[i]]}' type_id={w[i + 1]} bits_offset={o & 0xFFFFFF} "
                            f"bitfield_size={o >> 24}")
                    else:
                        add(f"\n\t'{N[w[i]]}' type_id={w[i + 1]} bits_offset={o}")
            else:
                for i in range(p + 3, p + 3 + 3 * vlen, 3):
                    add(f"\n\t'{N[w[i]]}' type_id={w[i + 1]} bits_offset={w[i + 2]}")
            add("\n")
        elif kind == _ARRAY:
            add(f"[{type_id}] ARRAY '{N[w[p]]}' type_id={w[p + 3]} index_type_id={w[p + 4]} "
                f"nr_elems={w[p + 5]}\n")
        elif kind == _ENUM or kind == _ENUM64:
            vlen = info & 0xFFFF
            signed = info >> 31
            add(f"[{type_id}] {'ENUM' if kind == _ENUM else 'ENUM64'} '{N[w[p]]}' "
                f"encoding={_SIGNED[signed]} size={w[p + 2]} vlen={vlen}")
            if kind == _ENUM:
                if signed:
                    for i in range(p + 3, p + 3 + 2 * vlen, 2):
                        v = w[i + 1]
                        add(f"\n\t'{N[w[i]]}' val={v - (v >> 31 << 32)}")
                else:
                    for i in range(p + 3, p + 3 + 2 * vlen, 2):
                        add(f"\n\t'{N[w[i]]}' val={w[i + 1]}")
            else:
                it = iter(w[p + 3:p + 3 + 3 * vlen])
                if signed:
                    add("".join([f"\n\t'{N[n]}' val={(hi << 32 | lo) - (hi >> 31 << 64)}LL"
                                 for n, lo, hi in zip(it, it, it)]))
                else:
                    add("".join([f"\n\t'{N[n]}' val={hi << 32 | lo}ULL"
                                 for n, lo, hi in zip(it, it, it)]))
            add("\n")
        elif kind == _INT:
            v = w[p + 3]
            add(f"[{type_id}] INT '{N[w[p]]}' size={w[p + 2]} bits_offset={(v >> 16) & 0xFF} "
                f"nr_bits={v & 0xFF} encoding={_INT_ENCODINGS.get((v >> 24) & 0x0F, 'UNKN')}\n")
        elif kind == _FWD:
            add(f"[{type_id}] FWD '{N[w[p]]}' fwd_kind={'union' if info >> 31 else 'struct'}\n")
        elif kind == _VAR:
            add(f"[{type_id}] VAR '{N[w[p]]}' type_id={w[p + 2]}, "
                f"linkage={_VAR_LINKAGE.get(w[p + 3], '(unknown)')}\n")
        elif kind == _FLOAT:
            add(f"[{type_id}] FLOAT '{N[w[p]]}' size={w[p + 2]}\n")
        elif kind == _DECL_TAG:
            c = w[p + 3]
            add(f"[{type_id}] DECL_TAG '{N[w[p]]}' type_id={w[p + 2]} "
                f"component_idx={c - (c >> 31 << 32)}\n")
        elif kind == _DATASEC:
            vlen = info & 0xFFFF
            add(f"[{type_id}] DATASEC '{N[w[p]]}' size={w[p + 2]} vlen={vlen}")
            it = iter(w[p + 3:p + 3 + 3 * vlen])
            for v_type, offset, size in zip(it, it, it):
                add(f"\n\ttype_id={v_type} offset={offset} size={size}")
                if v_type < btf.count:
                    try:
                        vt = btf.type(v_type)
                    except BtfError:
                        continue
                    add(f" ({_KIND_NAMES[vt.kind]} '{N[vt.name_off]}')")
            add("\n")
        else:  # UNKN has no known size: the walk stopped before
            add(f"[{type_id}] {_KIND_NAMES[kind]} '{N[w[p]]}'\n")
        type_id += 1
    return "".join(out)
