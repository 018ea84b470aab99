"""`struct_ops show` and `struct_ops dump`: bpftool 7.8's text and JSON.

A document is ("show", model.StructOps iterable) or ("dump", model.StructOpsDump iterable).
JSON is always an array. The dump's text is the JSON layout of a pretty writer holding
bpftool's plain-text values (pointers as "0x..." strings, hex bitfields)."""

from bpfinspect.btfparse.values import format_value
from bpfinspect.views.jsonw import JsonStream
from bpfinspect.views.textsafe import safe


def text(s):
    return "%u: %-15s %-32s\n" % (s.id, safe(s.name), safe(s.kernel_struct_ops))


def json(s):
    return {"id": s.id, "name": s.name, "kernel_struct_ops": s.kernel_struct_ops}


def dump_values(d, plain):
    """The two objects bpftool writes per map: its bpf_map_info and its value."""
    names = d.prog_names.get
    return ({"bpf_map_info": format_value(d.btf, d.map_info_type_id, d.map_info, plain)},
            {d.value_name: format_value(d.btf, d.value_type_id, d.value, plain,
                                        prog_name=names)})


def _dump(stream, dumps, plain):
    stream.begin_array()
    for d in dumps:
        for obj in dump_values(d, plain):
            stream.value(obj)
    stream.end_array()


def write_text(out, doc):
    verb, items = doc
    if verb == "show":
        for s in items:
            out.write(text(s))
        return
    stream = JsonStream(out, pretty=True)
    _dump(stream, items, True)
    out.write("\n")


def write_json(stream, doc):
    verb, items = doc
    if verb == "show":
        stream.begin_array()
        for s in items:
            stream.value(json(s))
        stream.end_array()
        return
    _dump(stream, items, False)
