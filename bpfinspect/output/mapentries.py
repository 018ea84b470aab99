"""The entries of `map dump`, `lookup` and `peek`, one at a time, in bpftool's layouts
(map.c: print_entry_plain, print_entry_json, print_entry_error, do_dump_btf).

Bytes reach these functions as lists of two-character hex tokens, so that output/records.py
can run them once on marker tokens and then repeat the layout for millions of entries.
"""

import errno as _errno
import os

from bpfinspect.btf.values import FormatError, format_value
from bpfinspect.output.records import Record, markers, packed_columns

REUSEPORT_SOCKARRAY = 20


def tokens(data):
    return ["%02x" % b for b in data]


def fprint_hex(toks):
    """bpftool's fprint_hex: bytes separated by spaces, two after every 8th, a newline
    after every 16th."""
    out = []
    for i, t in enumerate(toks):
        if i == 0:
            out.append(t)
        elif i % 16 == 0:
            out.append("\n" + t)
        elif i % 8 == 0:
            out.append("  " + t)
        else:
            out.append(" " + t)
    return "".join(out)


def hex_list(toks):
    return ["0x" + t for t in toks]


def split_values(lay, value):
    """Per-CPU: each CPU's value; otherwise the one value."""
    if lay.kind != "per_cpu":
        return [value]
    s = lay.value_stride
    return [value[i * s:i * s + lay.value_size] for i in range(lay.ncpus)]


# --- plain ---------------------------------------------------------------------------------

def plain_entry(lay, key_toks, value_toks, inner_map_id=None):
    """print_entry_plain; value_toks is a list per CPU (one list for other maps)."""
    k, v = lay.key_size, lay.value_size
    out = []
    if lay.kind != "per_cpu":
        break_names = k > 16 or v > 16
        single_line = k + v <= 24 and not break_names
        sep = "\n" if break_names else " "
        if k:
            out.append("key:" + sep + fprint_hex(key_toks) + ("  " if single_line else "\n"))
        if v:
            if lay.kind == "map_of_maps":
                out.append("inner_map_id:" + sep + "%u " % inner_map_id)
            else:
                out.append("value:" + sep + fprint_hex(value_toks[0]))
        out.append("\n")
        return "".join(out)
    if k:
        out.append("key:\n" + fprint_hex(key_toks) + "\n")
    if v:
        for cpu, toks in enumerate(value_toks):
            out.append("value (CPU %02u):%s%s\n" % (cpu, "\n" if v > 16 else " ",
                                                   fprint_hex(toks)))
    return "".join(out)


def error_message(lay, err):
    """print_entry_error's message for a failed lookup, or None when bpftool prints nothing
    (no program or map at that index)."""
    if lay.kind in ("map_of_maps", "prog_array") and err == _errno.ENOENT:
        return None
    if err == _errno.ENOENT:
        return "<no entry>"
    if err == _errno.ENOSPC and lay.map.type == REUSEPORT_SOCKARRAY:
        return "<cannot read>"
    return os.strerror(err)


def plain_error(lay, key_toks, message):
    break_names = lay.key_size > 16 or len(message) > 16
    single_line = lay.key_size + len(message) <= 24 and not break_names
    sep = "\n" if break_names else " "
    return "key:%s%s%svalue:%s%s\n" % (sep, fprint_hex(key_toks),
                                       "  " if single_line else "\n", sep, message)


# --- JSON and BTF --------------------------------------------------------------------------

def formatted(lay, key, value, plain):
    """do_dump_btf: {"key": ..., "value" or "values": ...} from the map's BTF."""
    btf = lay.btf
    d = {}
    try:
        if lay.key_type_id:
            d["key"] = format_value(btf, lay.key_type_id, key, plain)
        if lay.kind != "per_cpu":
            d["value"] = format_value(btf, lay.value_type_id, value, plain)
        else:
            d["values"] = [{"cpu": cpu, "value": format_value(btf, lay.value_type_id, v, plain)}
                           for cpu, v in enumerate(split_values(lay, value))]
    except FormatError:
        pass  # bpftool stops the entry where its dumper fails
    return d


def json_entry(lay, key_toks, value_toks, inner_map_id=None, formatted_value=None):
    """print_entry_json."""
    d = {"key": hex_list(key_toks)}
    if lay.kind != "per_cpu":
        d["value"] = hex_list(value_toks[0])
        if lay.kind == "map_of_maps":
            d["inner_map_id"] = inner_map_id
    else:
        d["values"] = [{"cpu": cpu, "value": hex_list(t)} for cpu, t in enumerate(value_toks)]
    if formatted_value is not None:
        d["formatted"] = formatted_value
    return d


def json_error(key_toks, err):
    return {"key": hex_list(key_toks), "value": {"error": os.strerror(err)}}


def value_tokens(lay, value):
    return [tokens(v) for v in split_values(lay, value)]


def inner_id(value):
    return int.from_bytes(value[:4], "little")


# --- many entries at once --------------------------------------------------------------------

def record(lay, entry_text):
    """A Record repeating `entry_text(key_toks, value_toks)` over packed entries, or None
    when this layout has no fixed form (maps of maps, no key or value)."""
    if lay.kind not in ("plain", "per_cpu") or not lay.key_size or not lay.value_size:
        return None
    key_toks = markers(lay.key_size)
    values = []
    for cpu in range(lay.ncpus if lay.kind == "per_cpu" else 1):
        first = lay.key_size + cpu * lay.value_stride
        values.append(markers(lay.value_size, first))
    try:
        return Record.from_sample(entry_text(key_toks, values))
    except UnicodeEncodeError:
        return None


def render_packed(rec, lay, keys, values, n):
    value_bytes = lay.value_stride * (lay.ncpus if lay.kind == "per_cpu" else 1)
    return rec.render(packed_columns(keys, lay.key_size, values, value_bytes), n)


def unpack(lay, keys, values, n):
    """(key, value) pairs of a packed chunk."""
    k = lay.key_size
    vb = lay.value_stride * (lay.ncpus if lay.kind == "per_cpu" else 1)
    return [(keys[i * k:(i + 1) * k], values[i * vb:(i + 1) * vb]) for i in range(n)]
