"""`map diff`: one line per difference and a summary, or one JSON object."""

from bpfinspect.views.jsonw import encode
from bpfinspect.views.mapentries import entry_json, formatted, tokens
from bpfinspect.views.textsafe import safe


def _hex(data):
    return data.hex(" ")


def _value_text(lay, value):
    if lay.kind == "per_cpu":
        return " | ".join("cpu %u: %s" % (cpu, _hex(v))
                          for cpu, v in enumerate(lay.split_values(value)))
    return _hex(value)


def _texts(lay, key, value):
    """(key, value) on one line each: BTF-formatted as compact JSON where the map has BTF
    (DEL and C1 characters, which JSON leaves as they are, escaped for the terminal), else
    hex bytes."""
    if lay.btf is not None:
        k, v = _btf_texts(lay, key, value)
        return safe(k), None if v is None else safe(v)
    return _hex(key), None if value is None else _value_text(lay, value)


def _btf_texts(lay, key, value):
    f = formatted(lay, key, value if value is not None else b"\0" * lay.value_bytes, False)
    k = encode(f["key"]) if "key" in f else _hex(key)
    if value is None:
        return k, None
    if "value" in f:
        return k, encode(f["value"])
    if "values" in f:
        return k, encode(f["values"])
    return k, _value_text(lay, value)


def line(lay, sign, key, old, new):
    if sign == "~":
        k, o = _texts(lay, key, old)
        _, n = _texts(lay, key, new)
        return "~ key: %s  value: %s -> %s\n" % (k, o, n)
    k, v = _texts(lay, key, new if sign == "+" else old)
    return "%s key: %s  value: %s\n" % (sign, k, v)


def summary(result):
    counts = {"+": 0, "-": 0, "~": 0}
    for d in result.differences:
        counts[d[0]] += 1
    return counts


def write_text(out, result):
    lay = result.layout
    lines = []
    for sign, key, old, new in result.differences:
        if sign != "+" and old is None:
            lines.append("%s key: %s  value: <changed while read>\n" % (sign, _hex(key)))
        else:
            lines.append(line(lay, sign, key, old, new))
        if len(lines) >= 4096:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))
    c = summary(result)
    out.write("%u added, %u removed, %u changed, %u same\n" % (c["+"], c["-"], c["~"],
                                                               result.same))
    if result.changed_during_read:
        out.write("Note: %s changed while it was read; the differences may not be exact\n"
                  % result.maps)


def write_json(stream, result):
    """-j: written a few thousand entries at a time (compact), so that a million differences
    are never one object in memory; -p: one value."""
    if stream.pretty:
        stream.value(json_value(result))
        return
    lay = result.layout
    out = stream.out
    for n, sign in enumerate("+-~"):
        out.write(('{"%s":[' if n == 0 else '],"%s":[') % ("added", "removed", "changed")[n])
        texts = []
        first = True
        for d in result.differences:
            if d[0] != sign:
                continue
            texts.append(encode(_json_difference(lay, *d)))
            if len(texts) >= 4096:
                out.write(("" if first else ",") + ",".join(texts))
                texts, first = [], False
        if texts:
            out.write(("" if first else ",") + ",".join(texts))
    out.write('],"same":%u,"changed_during_read":%s}' % (
        result.same, "true" if result.changed_during_read else "false"))


def _json_entry(lay, key, value):
    if value is None:
        return {"key": ["0x" + t for t in tokens(key)], "value": None}
    return entry_json(lay, key, value)


def _json_difference(lay, sign, key, old, new):
    if sign == "+":
        return _json_entry(lay, key, new)
    if sign == "-":
        return _json_entry(lay, key, old)
    o, n = _json_entry(lay, key, old), _json_entry(lay, key, new)
    return {"key": o["key"], "old": o, "new": n}


def json_value(result):
    lay = result.layout
    added, removed, changed = [], [], []
    lists = {"+": added, "-": removed, "~": changed}
    for d in result.differences:
        lists[d[0]].append(_json_difference(lay, *d))
    return {"added": added, "removed": removed, "changed": changed, "same": result.same,
            "changed_during_read": result.changed_during_read}
