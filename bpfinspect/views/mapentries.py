"""Map entries: `map dump`, `lookup`, `peek` and `getnext`, in text and JSON side by side, in
bpftool's layouts (map.c: print_entry_plain, print_entry_json, print_entry_error,
do_dump_btf).

Bytes reach the per-entry functions as lists of two-character hex tokens, so that
views/columns.py can run them once on marker tokens and then repeat the layout for millions
of entries.
"""

import errno as _errno

from bpfinspect.btfparse.values import format_value
from bpfinspect.constants import BPF_MAP_TYPE_REUSEPORT_SOCKARRAY
from bpfinspect.errors import FormatError, strerror
from bpfinspect.views.columns import EntryTemplate, markers, packed_columns
from bpfinspect.views.jsonw import JsonStream, encode
from bpfinspect.views.map import header_json, header_text


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
    if lay.is_empty_slot(err):
        return None
    if err == _errno.ENOENT:
        return "<no entry>"
    if err == _errno.ENOSPC and lay.map.type_number == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
        return "<cannot read>"
    return strerror(err)


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
                           for cpu, v in enumerate(lay.split_values(value))]
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
    return {"key": hex_list(key_toks), "value": {"error": strerror(err)}}


def value_tokens(lay, value):
    return [tokens(v) for v in lay.split_values(value)]


def inner_id(value):
    return int.from_bytes(value[:4], "little")


# --- many entries at once --------------------------------------------------------------------

def template(lay, entry_text):
    """An EntryTemplate repeating `entry_text(key_toks, value_toks)` over packed entries, or None
    when this layout has no fixed form (maps of maps, no key or value)."""
    if lay.kind not in ("plain", "per_cpu") or not lay.key_size or not lay.value_size:
        return None
    key_toks = markers(lay.key_size)
    values = []
    for cpu in range(lay.ncpus if lay.kind == "per_cpu" else 1):
        first = lay.key_size + cpu * lay.value_stride
        values.append(markers(lay.value_size, first))
    try:
        return EntryTemplate.from_sample(entry_text(key_toks, values))
    except UnicodeEncodeError:
        return None


def render_packed(tmpl, lay, keys, values, n):
    return tmpl.render(packed_columns(keys, lay.key_size, values, lay.value_bytes), n)


# --- whole dumps --------------------------------------------------------------------------

def write_text(out, dumps):
    """`map dump`: hex lines and `Found N elements`; several maps each under its header."""
    several = len(dumps) > 1
    for k, d in enumerate(dumps):
        lay = d.layout
        if several:
            out.write(header_text(lay.map))
        tmpl = template(lay, lambda kt, vt, lay=lay: plain_entry(lay, kt, vt))
        count = 0
        for chunk in d.chunks:
            if isinstance(chunk, tuple):
                keys, values, n = chunk
                if tmpl is not None:
                    out.write(render_packed(tmpl, lay, keys, values, n).decode("ascii"))
                    count += n
                    continue
                chunk = lay.unpack(keys, values, n)
            lines = []
            for key, value in chunk:
                if isinstance(value, int):
                    message = error_message(lay, value)
                    if message is not None:
                        lines.append(plain_error(lay, tokens(key), message))
                    continue
                lines.append(plain_entry(lay, tokens(key), value_tokens(lay, value),
                                         inner_id(value)))
                count += 1
            out.write("".join(lines))
        out.write("Found %u element%s\n" % (count, "" if count == 1 else "s"))
        if several and k != len(dumps) - 1:
            out.write("\n")


def write_btf_text(out, dumps):
    """`map dump` of maps that all have BTF, without -j: bpftool writes its BTF dumper's
    output as pretty JSON (with raw hex numbers, so not always JSON)."""
    stream = JsonStream(out, pretty=True)
    stream.begin_array()
    if len(dumps) == 1:
        for key, value in dumps[0].entries():
            if not isinstance(value, int):
                stream.value(formatted(dumps[0].layout, key, value, True))
    else:
        for d in dumps:
            obj = header_json(d.layout.map)
            obj["elements"] = [formatted(d.layout, key, value, True)
                               for key, value in d.entries() if not isinstance(value, int)]
            stream.value(obj)
    stream.close()


def entry_json(lay, key, value):
    if isinstance(value, int):
        return json_error(tokens(key), value)
    fmt = formatted(lay, key, value, False) if lay.btf is not None else None
    return json_entry(lay, tokens(key), value_tokens(lay, value), inner_id(value), fmt)


def write_json(stream, dumps):
    """`-j map dump`: an array of entries; several maps: an array of maps, each with its
    entries under "elements"."""
    stream.begin_array()
    if len(dumps) == 1:
        _stream_entries(stream, dumps[0])
    else:
        for d in dumps:
            obj = header_json(d.layout.map)
            obj["elements"] = [entry_json(d.layout, key, value)
                               for key, value in d.entries(skip_empty_slots=True)]
            stream.value(obj)
    stream.end_array()


def _stream_entries(stream, d):
    """The entries of one map into an open array; packed chunks of maps without BTF are
    rendered by views/columns.py, with no per-entry Python."""
    lay = d.layout
    tmpl = None
    if lay.btf is None:
        tmpl = template(lay, lambda kt, vt: "," + encode(json_entry(lay, kt, vt), stream.pretty, 1))
    for chunk in d.chunks:
        if tmpl is not None and isinstance(chunk, tuple):
            keys, values, n = chunk
            stream.encoded_run(render_packed(tmpl, lay, keys, values, n).decode("ascii"), n)
            continue
        if isinstance(chunk, tuple):
            chunk = lay.unpack(*chunk)
        for key, value in chunk:
            if isinstance(value, int) and lay.is_empty_slot(value):
                continue
            stream.value(entry_json(lay, key, value))


# --- one entry ------------------------------------------------------------------------------

def found_text(lay, key, value):
    """`map lookup` and `peek` of a found entry."""
    if lay.btf is not None:
        return encode(formatted(lay, key, value, True), True) + "\n"
    return plain_entry(lay, tokens(key or b""), value_tokens(lay, value), inner_id(value))


def not_found_text(key):
    return "key:\n%s\n\nNot found\n" % fprint_hex(tokens(key or b""))


def next_key_text(key, next_key):
    out = "key:\n%s\n" % fprint_hex(tokens(key)) if key is not None else "key: None\n"
    return out + "next key:\n%s\n" % fprint_hex(tokens(next_key))


def next_key_json(key, next_key):
    return {"key": hex_list(tokens(key)) if key is not None else None,
            "next_key": hex_list(tokens(next_key))}
