"""BTF objects: `btf show` (text and JSON side by side, bpftool's btf.c show_btf_plain and
show_btf_json), the raw dump of `btf dump ... format raw` (dump_btf_type) as text lines or
JSON-ready dicts, and the frame bpftool 7.8 puts around a C header (dump_btf_c)."""

import re
import struct

from bpfinspect.btfparse import parser as P
from bpfinspect.constants import btf_info_kind, btf_info_vlen
from bpfinspect.errors import BtfError
from bpfinspect.views.shared import no_encoded_text, pids_json, pids_text
from bpfinspect.views.textsafe import safe


def text(b):
    out = ["%u: " % b.id]
    if b.kernel:
        out.append("name [%s]  " % safe(b.name))
    elif b.name:
        out.append("name %s  " % safe(b.name))
    else:
        out.append("name <anon>  ")
    out.append("size %uB" % b.size)
    if b.prog_ids:
        out.append("  prog_ids " + ",".join(str(i) for i in b.prog_ids))
    if b.map_ids:
        out.append("  map_ids " + ",".join(str(i) for i in b.map_ids))
    out.append(pids_text(b.pids))
    out.append("\n")
    return "".join(out)


plain_json = no_encoded_text  # json() never holds Encoded text


def json(b):
    d = {"id": b.id, "size": b.size, "prog_ids": list(b.prog_ids), "map_ids": list(b.map_ids)}
    pids_json(b, d)
    d["kernel"] = b.kernel
    if b.name:
        d["name"] = b.name
    return d


# --- `btf dump ... format raw` ---------------------------------------------------------------

KIND_NAMES = ("UNKNOWN",) + P.KIND_NAMES[1:]
INT_ENCODINGS = {0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL"}
VAR_LINKAGE = {0: "static", 1: "global", 2: "extern"}
FUNC_LINKAGE = {0: "static", 1: "global", 2: "extern"}
_TYPE = struct.Struct("<III")


def _name(btf, off):
    if not off:
        return "(anon)"
    try:
        return btf.string(off)
    except BtfError:
        return "(invalid)"


def type_ids(btf, roots=()):
    """The ids a raw dump walks: `roots`, or every type of this BTF (not its base's)."""
    return list(roots) if roots else range(btf.start_id, btf.count)


# a string section that holds any of these needs its names escaped (NUL ends each string)
_UNSAFE_STRINGS = re.compile(rb"[\x01-\x1f\x7f]|\xc2[\x80-\x9f]")


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def needs_escaping(strings):
    """Whether some name in the string section `strings` must be escaped to be printed."""
    return bool(_UNSAFE_STRINGS.search(strings)) or not _is_utf8(strings)


def raw_text(btf, ids):
    """The raw dump as chunks of text (one pass over the records, no Type objects). Names
    are escaped as every text view escapes untrusted text; most BTF needs no escaping, which
    one scan of its string section tells."""
    out = []
    data = btf.types_data
    unpack = _TYPE.unpack_from
    u32 = struct.Struct("<I").unpack_from
    i32 = struct.Struct("<i").unpack_from
    table = btf.string_table()
    if needs_escaping(btf.strings):
        table = {off: safe(text) for off, text in table.items()}
    offset_of = btf.offset_of
    first_own = btf.start_id

    def name(off):
        if not off:
            return "(anon)"
        s = table.get(off)
        if s is None:
            try:
                s = safe(btf.string(off))
            except BtfError:
                return "(invalid)"
        return s

    for type_id in ids:
        if type_id == 0:  # void, as bpftool prints it for root_id 0
            out.append("[0] UNKNOWN '(anon)'\n")
            continue
        if type_id < first_own:  # a root id in the base (split BTF)
            out.extend(raw_text(btf.base, [type_id]))
            continue
        pos = offset_of(type_id)
        name_off, info, word = unpack(data, pos)
        kind = btf_info_kind(info)
        vlen = btf_info_vlen(info)
        head = "[%u] %s '%s'" % (type_id, KIND_NAMES[kind], name(name_off))
        body = pos + 12
        if kind == P.INT:
            v = u32(data, body)[0]
            out.append("%s size=%u bits_offset=%u nr_bits=%u encoding=%s\n" % (
                head, word, (v >> 16) & 0xFF, v & 0xFF,
                INT_ENCODINGS.get((v >> 24) & 0x0F, "UNKN")))
        elif kind in _REFERRING:
            out.append("%s type_id=%u\n" % (head, word))
        elif kind == P.STRUCT or kind == P.UNION:
            parts = ["%s size=%u vlen=%u" % (head, word, vlen)]
            kflag = info >> 31
            for m_name, m_type, offset in _MEMBER.iter_unpack(data[body:body + 12 * vlen]):
                if kflag:
                    if offset >> 24:
                        parts.append("\n\t'%s' type_id=%u bits_offset=%u bitfield_size=%u" % (
                            name(m_name), m_type, offset & 0xFFFFFF, offset >> 24))
                        continue
                    offset &= 0xFFFFFF
                parts.append("\n\t'%s' type_id=%u bits_offset=%u" % (name(m_name), m_type,
                                                                      offset))
            parts.append("\n")
            out.append("".join(parts))
        elif kind == P.FUNC_PROTO:
            parts = ["%s ret_type_id=%u vlen=%u" % (head, word, vlen)]
            for p_name, p_type in _PARAM.iter_unpack(data[body:body + 8 * vlen]):
                parts.append("\n\t'%s' type_id=%u" % (name(p_name), p_type))
            parts.append("\n")
            out.append("".join(parts))
        elif kind == P.FUNC:
            out.append("%s type_id=%u linkage=%s\n" % (head, word,
                                                        FUNC_LINKAGE.get(vlen, "(unknown)")))
        elif kind == P.ARRAY:
            out.append("%s type_id=%u index_type_id=%u nr_elems=%u\n"
                       % ((head,) + _TYPE.unpack_from(data, body)))
        elif kind == P.ENUM or kind == P.ENUM64:
            signed = info >> 31
            parts = ["%s encoding=%s size=%u vlen=%u" % (head, "SIGNED" if signed else
                                                         "UNSIGNED", word, vlen)]
            if kind == P.ENUM:
                fmt = _ENUM_SIGNED if signed else _ENUM_UNSIGNED
                for e_name, value in fmt.iter_unpack(data[body:body + 8 * vlen]):
                    parts.append("\n\t'%s' val=%d" % (name(e_name), value))
            else:
                for e_name, lo, hi in _TYPE.iter_unpack(data[body:body + 12 * vlen]):
                    value = hi << 32 | lo
                    if signed:
                        parts.append("\n\t'%s' val=%dLL" % (
                            name(e_name), value - (1 << 64) if value >> 63 else value))
                    else:
                        parts.append("\n\t'%s' val=%dULL" % (name(e_name), value))
            parts.append("\n")
            out.append("".join(parts))
        elif kind == P.FWD:
            out.append("%s fwd_kind=%s\n" % (head, "union" if info >> 31 else "struct"))
        elif kind == P.VAR:
            out.append("%s type_id=%u, linkage=%s\n" % (
                head, word, VAR_LINKAGE.get(u32(data, body)[0], "(unknown)")))
        elif kind == P.DATASEC:
            parts = ["%s size=%u vlen=%u" % (head, word, vlen)]
            for v_type, offset, size in _TYPE.iter_unpack(data[body:body + 12 * vlen]):
                parts.append("\n\ttype_id=%u offset=%u size=%u" % (v_type, offset, size))
                if v_type < btf.count:
                    try:
                        vt = btf.type(v_type)
                        parts.append(" (%s '%s')" % (KIND_NAMES[vt.kind], name(vt.name_off)))
                    except BtfError:
                        pass
            parts.append("\n")
            out.append("".join(parts))
        elif kind == P.FLOAT:
            out.append("%s size=%u\n" % (head, word))
        elif kind == P.DECL_TAG:
            out.append("%s type_id=%u component_idx=%d\n" % (head, word, i32(data, body)[0]))
        else:
            out.append(head + "\n")
        if len(out) >= 8192:
            yield "".join(out)
            out = []
    yield "".join(out)


_REFERRING = frozenset((P.PTR, P.CONST, P.VOLATILE, P.RESTRICT, P.TYPEDEF, P.TYPE_TAG))
_MEMBER = struct.Struct("<III")
_PARAM = struct.Struct("<II")
_ENUM_SIGNED = struct.Struct("<Ii")
_ENUM_UNSIGNED = struct.Struct("<II")


def raw_json(btf, ids):
    """The raw dump's {"types": [...]} entries, one dict per type."""
    for type_id in ids:
        if type_id == 0:  # void
            yield {"id": 0, "kind": KIND_NAMES[0], "name": "(anon)"}
            continue
        t = btf.type(type_id)
        kind = t.kind
        d = {"id": type_id, "kind": KIND_NAMES[kind], "name": _name(btf, t.name_off)}
        if kind == P.INT:
            encoding, offset, bits = t.int_encoding()
            d.update(size=t.size, bits_offset=offset, nr_bits=bits,
                     encoding=INT_ENCODINGS.get(encoding, "UNKN"))
        elif kind in (P.PTR, P.CONST, P.VOLATILE, P.RESTRICT, P.TYPEDEF, P.TYPE_TAG):
            d["type_id"] = t.type
        elif kind == P.ARRAY:
            elem, index, nelems = t.array()
            d.update(type_id=elem, index_type_id=index, nr_elems=nelems)
        elif kind in (P.STRUCT, P.UNION):
            members = []
            for m_name, m_type, offset, bits in t.members(lambda off: _name(btf, off)):
                m = {"name": m_name, "type_id": m_type, "bits_offset": offset}
                if bits:
                    m["bitfield_size"] = bits
                members.append(m)
            d.update(size=t.size, vlen=t.vlen, members=members)
        elif kind in (P.ENUM, P.ENUM64):
            d.update(encoding="SIGNED" if t.kflag else "UNSIGNED", size=t.size, vlen=t.vlen,
                     values=[{"name": n, "val": v}
                             for n, v in t.enumerators(lambda off: _name(btf, off))])
        elif kind == P.FWD:
            d["fwd_kind"] = "union" if t.kflag else "struct"
        elif kind == P.FUNC:
            d.update(type_id=t.type, linkage=FUNC_LINKAGE.get(t.vlen, "(unknown)"))
        elif kind == P.FUNC_PROTO:
            d.update(ret_type_id=t.type, vlen=t.vlen,
                     params=[{"name": _name(btf, n), "type_id": pt} for n, pt in t.params()])
        elif kind == P.VAR:
            d.update(type_id=t.type, linkage=VAR_LINKAGE.get(t.linkage(), "(unknown)"))
        elif kind == P.DATASEC:
            d.update(size=t.size, vlen=t.vlen,
                     vars=[{"type_id": v, "offset": o, "size": s} for v, o, s in t.variables()])
        elif kind == P.FLOAT:
            d["size"] = t.size
        elif kind == P.DECL_TAG:
            d.update(type_id=t.type, component_idx=t.component_idx())
        yield d


# --- `btf dump ... format c`: what frames libbpf's C (vmlinux.h) ------------------------------

HEADER = """#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

"""

FOOTER = """#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
"""

KFUNCS_BEGIN = "\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n"
KFUNCS_END = "#endif\n\n"


def kfunc_prefix(fastcall):
    """What precedes a kfunc's declaration; " __weak __ksym;\\n" follows it."""
    return "extern __bpf_fastcall " if fastcall else "extern "


KFUNC_SUFFIX = " __weak __ksym;\n"
