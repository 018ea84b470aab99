"""`prog diff`: per function, a unified diff of two programs' normalised instructions
(model.ProgDiff), in text (diff -u's layout, `--- old func NAME` / `+++ new func NAME`
labels) and JSON side by side. Functions that are the same print nothing."""

from bpfinspect.views.textsafe import safe, safe_source

PAINTED = True  # write_text takes the colour painter


def _label(side, name):
    return "/dev/null" if name is None else "%s func %s" % (side, name)


def text_lines(doc):
    """The diff's lines, without newlines."""
    for f in doc.functions:
        if f.status == "same":
            continue
        yield "--- " + safe(_label(doc.old, f.old_name))
        yield "+++ " + safe(_label(doc.new, None if f.status == "removed" else f.name))
        for h in f.hunks:
            yield "@@ -%s +%s @@" % (_range(h.old_start, h.old_lines),
                                     _range(h.new_start, h.new_lines))
            for line in h.lines:
                yield safe_source(line)


def _range(start, count):
    return "%d" % start if count == 1 else "%d,%d" % (start, count)


def write_text(out, doc, paint=None):
    for line in text_lines(doc):
        out.write((paint.diff(line) if paint is not None else line) + "\n")


def json_value(doc):
    return {
        "same": doc.same,
        "by_tag": doc.by_tag,
        "old": doc.old,
        "new": doc.new,
        "functions": [{
            "name": f.name,
            "old_name": f.old_name,
            "status": f.status,
            "hunks": [{"old_start": h.old_start, "old_lines": h.old_lines,
                       "new_start": h.new_start, "new_lines": h.new_lines,
                       "lines": list(h.lines)} for h in f.hunks],
        } for f in doc.functions],
    }


def write_json(stream, doc):
    stream.value(json_value(doc))
