"""`perf show`: bpftool's text and JSON of model.PerfAttachment records (a document: the
text has no header, the JSON is always an array)."""

from bpfinspect.views.textsafe import safe

_PROBES = ("kprobe", "kretprobe")
_FILES = ("uprobe", "uretprobe")


def text(p):
    s = "pid %d  fd %d: prog_id %u  " % (p.pid, p.fd, p.prog_id)
    if p.fd_type in ("raw_tracepoint", "tracepoint"):
        return s + "%s  %s\n" % (p.fd_type, safe(p.name))
    if p.fd_type in _PROBES:
        if p.name:
            return s + "%s  func %s  offset %u\n" % (p.fd_type, safe(p.name), p.offset)
        return s + "%s  addr %u\n" % (p.fd_type, p.addr)
    if p.fd_type in _FILES:
        return s + "%s  filename %s  offset %u\n" % (p.fd_type, safe(p.name), p.offset)
    return s  # a type bpftool does not know: it prints no more, not even the newline


def json(p):
    d = {"pid": p.pid, "fd": p.fd, "prog_id": p.prog_id}
    if p.fd_type in ("raw_tracepoint", "tracepoint"):
        d["fd_type"] = p.fd_type
        d["tracepoint"] = p.name
    elif p.fd_type in _PROBES:
        d["fd_type"] = p.fd_type
        if p.name:
            d["func"] = p.name
            d["offset"] = p.offset
        else:
            d["addr"] = p.addr
    elif p.fd_type in _FILES:
        d["fd_type"] = p.fd_type
        d["filename"] = p.name
        d["offset"] = p.offset
    return d


def write_text(out, items):
    for p in items:
        out.write(text(p))


def write_json(stream, items):
    stream.begin_array()
    for p in items:
        stream.value(json(p))
    stream.end_array()
