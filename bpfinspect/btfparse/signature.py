"""A type as one line of C, the way bpftool prints function prototypes
(btf_dumper.c, btf_dumper_type_only): `int on_getpid(void * ctx)`."""

from bpfinspect.btfparse import parser as P
from bpfinspect.errors import BtfError

_MAX_DEPTH = 64  # deeper than any real type: a reference cycle


def type_only(btf, type_id):
    """The type's one-line C text, or "" when it cannot be printed (as bpftool, which then
    prints nothing for it)."""
    out = []
    try:
        _type(btf, type_id, out, 0)
    except (BtfError, RecursionError, _Unprintable):
        return ""
    return "".join(out)


class _Unprintable(Exception):
    pass


def _type(btf, type_id, out, depth):
    if depth > _MAX_DEPTH:
        raise _Unprintable()
    if not type_id:
        out.append("void ")
        return
    t = btf.type(type_id)
    k = t.kind
    if k in (P.INT, P.TYPEDEF, P.FLOAT):
        out.append("%s " % t.name)
    elif k == P.STRUCT:
        out.append("struct %s " % t.name)
    elif k == P.UNION:
        out.append("union %s " % t.name)
    elif k in (P.ENUM, P.ENUM64):
        out.append("enum %s " % t.name)
    elif k == P.ARRAY:
        elem, _index, nelems = t.array()
        _type(btf, elem, out, depth + 1)
        out.append("[%u]" % nelems)
    elif k == P.PTR:
        _type(btf, t.type, out, depth + 1)
        out.append("* ")
    elif k == P.FWD:
        out.append("%s %s " % ("union" if t.kflag else "struct", t.name))
    elif k == P.VOLATILE:
        out.append("volatile ")
        _type(btf, t.type, out, depth + 1)
    elif k == P.CONST:
        out.append("const ")
        _type(btf, t.type, out, depth + 1)
    elif k == P.RESTRICT:
        out.append("restrict ")
        _type(btf, t.type, out, depth + 1)
    elif k == P.FUNC_PROTO:
        _func(btf, t, None, out, depth)
    elif k == P.FUNC:
        _func(btf, btf.type(t.type), t, out, depth)
    elif k == P.VAR:
        if t.linkage() == 0:
            out.append("static ")
        _type(btf, t.type, out, depth + 1)
        out.append(" %s" % t.name)
    elif k == P.DATASEC:
        out.append('section ("%s") ' % t.name)
    else:
        raise _Unprintable()


def _func(btf, proto, func, out, depth):
    if proto.kind != P.FUNC_PROTO:
        raise _Unprintable()
    _type(btf, proto.type, out, depth + 1)
    out.append("%s(" % func.name if func is not None else "(")
    for i, (name_off, arg_type) in enumerate(proto.params()):
        if i:
            out.append(", ")
        if arg_type:
            _type(btf, arg_type, out, depth + 1)
            if name_off:
                out.append(btf.string(name_off))
            elif out and out[-1].endswith(" "):
                out[-1] = out[-1][:-1]  # no name: drop the type's trailing space
        else:
            out.append("...")
    out.append(")")
