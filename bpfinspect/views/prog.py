"""`prog show`: a program's text and JSON views side by side (bpftool's prog.c,
print_prog_plain and print_prog_json), and the header both give each program of a
multi-program dump."""

import time

from bpfinspect.views.jsonw import encode
from bpfinspect.views.shared import device_json, device_text, pids_json, pids_text, pins_text
from bpfinspect.views.textsafe import safe


def type_text(value):
    """A type name, or `type N` for a number libbpf did not name."""
    return "type %u" % value if isinstance(value, int) else value


_LOADED_AT = {}  # (epoch second, zone) -> its text: a listing's programs share few seconds


def loaded_at_text(epoch):
    key = (epoch, time.timezone, time.altzone, time.tzname)
    text = _LOADED_AT.get(key)
    if text is None:
        if len(_LOADED_AT) > 4096:
            _LOADED_AT.clear()
        text = _LOADED_AT[key] = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch))
    return text


def header_text(p):
    """The first line of `prog show`, which also heads each program of a multi-program dump."""
    return "%u: %s  %stag %s%s%s%s%s\n" % (
        p.id, type_text(p.type), "name %s  " % safe(p.name) if p.name else "", p.tag,
        device_text(p.device) if p.device is not None else "",
        "  gpl" if p.gpl_compatible else "",
        " run_time_ns %u run_cnt %u" % (p.run_time_ns, p.run_cnt) if p.run_time_ns else "",
        " recursion_misses %u" % p.recursion_misses if p.recursion_misses else "")


def text(p):
    out = "%s%s\txlated %uB%s%s%s%s%s%s%s\n" % (
        header_text(p),
        "\tloaded_at %s  uid %u\n" % (loaded_at_text(p.loaded_at), p.uid)
        if p.loaded_at is not None else "",
        p.bytes_xlated,
        "  jited %uB" % p.bytes_jited if p.bytes_jited else "  not jited",
        "  memlock %dB" % p.bytes_memlock if p.bytes_memlock is not None else "",
        "  orphaned" if p.orphaned else "",
        "  map_ids " + ",".join(map(str, p.map_ids)) if p.map_ids else "",
        pins_text(p.pinned) if p.pinned else "",
        "\n\tbtf_id %u" % p.btf_id if p.btf_id else "",
        pids_text(p.pids) if p.pids else "")
    if p.metadata:
        out += "\tmetadata:%s\n" % "".join(
            "\n\t\t%s = %s" % (safe(var.name), safe(encode(var.plain))) for var in p.metadata)
    return out


def header_json(p):
    """The members that head each program of a multi-program dump (and `prog show`)."""
    d = {"id": p.id, "type": p.type}
    if p.name:
        d["name"] = p.name
    d["tag"] = p.tag
    d["gpl_compatible"] = p.gpl_compatible
    if p.run_time_ns:
        d["run_time_ns"] = p.run_time_ns
        d["run_cnt"] = p.run_cnt
    if p.recursion_misses:
        d["recursion_misses"] = p.recursion_misses
    return d


def plain_json(p):
    """json(p) holds no Encoded text (only metadata values may)."""
    return not p.metadata


def json(p):
    d = header_json(p)
    if p.device is not None:
        d["dev"] = device_json(p.device)
    if p.loaded_at is not None:
        d["loaded_at"] = p.loaded_at
        d["uid"] = p.uid
    d["orphaned"] = p.orphaned
    d["bytes_xlated"] = p.bytes_xlated
    d["jited"] = bool(p.bytes_jited)
    if p.bytes_jited:
        d["bytes_jited"] = p.bytes_jited
    if p.bytes_memlock is not None:
        d["bytes_memlock"] = p.bytes_memlock
    if p.map_ids:
        d["map_ids"] = list(p.map_ids)
    if p.btf_id:
        d["btf_id"] = p.btf_id
    if p.pinned is not None:
        d["pinned"] = list(p.pinned)
    pids_json(p, d)
    if p.metadata:
        d["metadata"] = {var.name: var.json for var in p.metadata}
    return d
