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


def loaded_at_text(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch))


def header_text(p):
    """The first line of `prog show`, which also heads each program of a multi-program dump."""
    out = ["%u: %s  " % (p.id, type_text(p.type))]
    if p.name:
        out.append("name %s  " % safe(p.name))
    out.append("tag " + p.tag)
    out.append(device_text(p.device))
    if p.gpl_compatible:
        out.append("  gpl")
    if p.run_time_ns:
        out.append(" run_time_ns %u run_cnt %u" % (p.run_time_ns, p.run_cnt))
    if p.recursion_misses:
        out.append(" recursion_misses %u" % p.recursion_misses)
    out.append("\n")
    return "".join(out)


def text(p):
    out = [header_text(p)]
    if p.loaded_at is not None:
        out.append("\tloaded_at %s  uid %u\n" % (loaded_at_text(p.loaded_at), p.uid))
    out.append("\txlated %uB" % p.bytes_xlated)
    out.append("  jited %uB" % p.bytes_jited if p.bytes_jited else "  not jited")
    if p.bytes_memlock is not None:
        out.append("  memlock %dB" % p.bytes_memlock)
    if p.orphaned:
        out.append("  orphaned")
    if p.map_ids:
        out.append("  map_ids " + ",".join(str(i) for i in p.map_ids))
    out.append(pins_text(p.pinned))
    if p.btf_id:
        out.append("\n\tbtf_id %u" % p.btf_id)
    out.append(pids_text(p.pids))
    out.append("\n")
    if p.metadata:
        out.append("\tmetadata:")
        for var in p.metadata:
            out.append("\n\t\t%s = %s" % (safe(var.name), safe(encode(var.plain))))
        out.append("\n")
    return "".join(out)


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
