"""`map diff`: one line per difference and a summary, or one JSON object.

The differences come in key order as batches of fixed-size records (see
api.mapdiff.Differences). Without BTF every line of a map has one layout, so a batch is
rendered column by column from a template made from the per-difference view (as
views/columns.py does for `map dump`), with no Python per difference; the per-difference
view stays the single source of the layout. Maps with BTF go difference by difference.
"""

from bpfinspect.views.columns import MARKED_BYTES, EntryTemplate, markers, raw_marker
from bpfinspect.views.jsonw import encode
from bpfinspect.views.mapentries import entry_json, formatted, hex_list, json_entry, tokens
from bpfinspect.views.textsafe import safe

_RENDER_BYTES = 512 << 10  # text rendered at a time: inside a core's L2 cache


def _hex(data):
    return data.hex(" ")


def _hex_tokens(toks):
    return " ".join(toks)


def _value_tokens_text(lay, toks):
    """A value's text from its tokens (every CPU's, with their padding, in a per-CPU
    map)."""
    if lay.kind == "per_cpu":
        s, v = lay.value_stride, lay.value_size
        return " | ".join("cpu %u: %s" % (cpu, _hex_tokens(toks[cpu * s:cpu * s + v]))
                          for cpu in range(lay.ncpus))
    return _hex_tokens(toks)


def _texts(lay, key, value):
    """(key, value) on one line each: BTF-formatted as compact JSON where the map has BTF
    (DEL and C1 characters, which JSON leaves as they are, escaped for the terminal), else
    hex bytes."""
    if lay.btf is not None:
        k, v = _btf_texts(lay, key, value)
        return safe(k), None if v is None else safe(v)
    return _hex(key), None if value is None else _value_tokens_text(lay, tokens(value))


def _btf_texts(lay, key, value):
    f = formatted(lay, key, value if value is not None else b"\0" * lay.value_bytes, False)
    k = encode(f["key"]) if "key" in f else _hex(key)
    if value is None:
        return k, None
    if "value" in f:
        return k, encode(f["value"])
    if "values" in f:
        return k, encode(f["values"])
    return k, _value_tokens_text(lay, tokens(value))


def _line_text(sign, k, o, n=None):
    if sign == "~":
        return "~ key: %s  value: %s -> %s\n" % (k, o, n)
    return "%s key: %s  value: %s\n" % (sign, k, o)


def line(lay, sign, key, old, new):
    if sign != "+" and old is None:
        return "%s key: %s  value: <changed while read>\n" % (sign, _hex(key))
    if sign == "~":
        k, o = _texts(lay, key, old)
        _, n = _texts(lay, key, new)
        return _line_text(sign, k, o, n)
    k, v = _texts(lay, key, new if sign == "+" else old)
    return _line_text(sign, k, v)


def _rendered(template, records, n, size):
    """n records of `size` bytes through the EntryTemplate `template`, at most
    _RENDER_BYTES of text at a time: every place is a strided write over the whole buffer,
    so a buffer that stays in the CPU's cache renders faster (a batch of 8,192 JSON
    differences is 2 MB: 346 -> 231 ms a million)."""
    rows = max(1, _RENDER_BYTES // template.width)
    step = rows * size
    return b"".join(template.render(_columns(records[at:at + step], size),
                                    min(rows, n - at // size))
                    for at in range(0, n * size, step))


def _columns(records, size):
    """columns() of EntryTemplate.render for packed records of `size` bytes."""
    return lambda i: records[i::size]


def _value_markers(lay, first):
    """Marker tokens of a value at record offset `first`, per CPU as value_tokens() gives."""
    if lay.kind == "per_cpu":
        return [markers(lay.value_size, first + cpu * lay.value_stride)
                for cpu in range(lay.ncpus)]
    return [markers(lay.value_size, first)]


def _templated(lay, diffs):
    return lay.btf is None and lay.kind in ("plain", "per_cpu") and lay.key_size and \
        lay.value_size and diffs.size <= MARKED_BYTES


class _TextTemplates:
    """A '~' line and a '+' or '-' line; in a batch of both, every record is rendered as
    '~' and the part after the first value is cut from the others (masked to NUL bytes,
    which are then deleted)."""

    def __init__(self, lay, diffs):
        sign = raw_marker(diffs.sign_at)
        key = _hex_tokens(markers(lay.key_size))
        first = _value_tokens_text(lay, markers(diffs.value_size, diffs.first_at))
        second = _value_tokens_text(lay, markers(diffs.value_size, diffs.second_at))
        self.changed = EntryTemplate.from_sample(_line_text("~", key, first, second).replace("~", sign, 1))
        self.one = EntryTemplate.from_sample(_line_text(sign, key, first))
        w, cut = self.changed.width, self.one.width - 1
        self.masks = [b""] * 256
        self.masks[ord("~")] = b"\xff" * w
        self.masks[ord("+")] = self.masks[ord("-")] = \
            b"\xff" * cut + b"\0" * (w - 1 - cut) + b"\xff"


def _text_batch(lay, diffs, tmpl, records, n):
    size = diffs.size
    if tmpl is not None and records[diffs.flags_at::size].count(0) == n:
        signs = records[diffs.sign_at::size]
        tildes = signs.count(b"~")
        if tildes == 0:
            return _rendered(tmpl.one, records, n, size).decode("ascii")
        full = _rendered(tmpl.changed, records, n, size)
        if tildes == n:
            return full.decode("ascii")
        mask = b"".join(map(tmpl.masks.__getitem__, signs))
        cut = int.from_bytes(full, "big") & int.from_bytes(mask, "big")
        return cut.to_bytes(len(full), "big").translate(None, b"\0").decode("ascii")
    return "".join(line(lay, *diffs.decode(records, i)) for i in range(n))


def write_text(out, result):
    lay = result.layout
    diffs = result.differences
    tmpl = _TextTemplates(lay, diffs) if _templated(lay, diffs) else None
    for records, n in diffs.batches():
        out.write(_text_batch(lay, diffs, tmpl, records, n))
    c = diffs.counts
    out.write("%u added, %u removed, %u changed, %u same\n" % (c["+"], c["-"], c["~"],
                                                               result.same))
    if result.changed_during_read:
        out.write("Note: %s changed while it was read; the differences may not be exact\n"
                  % result.maps)


def _json_templates(lay, diffs, pretty):
    """{sign: EntryTemplate of "," and one element of its array}."""
    key = markers(lay.key_size)
    first = _value_markers(lay, diffs.first_at)
    second = _value_markers(lay, diffs.second_at)
    one = EntryTemplate.from_sample("," + encode(json_entry(lay, key, first), pretty, 2))
    changed = {"key": hex_list(key), "old": json_entry(lay, key, first),
               "new": json_entry(lay, key, second)}
    return {"+": one, "-": one, "~": EntryTemplate.from_sample("," + encode(changed, pretty, 2))}


def _json_batch(lay, diffs, tmpl, records, n, pretty):
    """The batch's elements, joined by commas."""
    if tmpl is not None and records[diffs.flags_at::diffs.size].count(0) == n:
        return _rendered(tmpl, records, n, diffs.size)[1:].decode("ascii")
    return ",".join(encode(_json_difference(lay, *diffs.decode(records, i)), pretty, 2)
                    for i in range(n))


def write_json(stream, result):
    """-j and -p: one object, written a batch of differences at a time, so that a million
    differences are never one object in memory."""
    lay = result.layout
    diffs = result.differences
    out, pretty = stream.out, stream.pretty
    templates = _json_templates(lay, diffs, pretty) if _templated(lay, diffs) else {}
    inner, colon = ("\n    ", ": ") if pretty else ("", ":")
    counts = diffs.counts
    out.write("{")
    for n, (name, sign) in enumerate(zip(("added", "removed", "changed"), "+-~")):
        out.write('%s%s"%s"%s' % ("," if n else "", inner, name, colon))
        if not counts[sign]:
            out.write("[]")
            continue
        out.write("[")
        first = True
        for records, k in diffs.batches(sign):
            text = _json_batch(lay, diffs, templates.get(sign), records, k, pretty)
            out.write(text if first else "," + text)
            first = False
        out.write(inner + "]")
    out.write('%s"same"%s%u,%s"changed_during_read"%s%s%s}' % (
        "," + inner, colon, result.same, inner, colon,
        "true" if result.changed_during_read else "false", "\n" if pretty else ""))
    stream.complete = True


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
