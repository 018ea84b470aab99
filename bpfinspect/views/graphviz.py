"""Writing a DOT graph to a file, rendered by Graphviz's `dot` when the suffix asks for it."""

import os
import shutil
import subprocess

from bpfinspect.errors import BpfError

RENDERED = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
SUFFIXES = (".dot", ".gv") + tuple(RENDERED)


def check_path(path):
    """The output format for `path` ("dot" or a Graphviz -T format); BpfError otherwise."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".dot", ".gv"):
        return "dot"
    if suffix in RENDERED:
        if shutil.which("dot") is None:
            raise BpfError("rendering %s needs Graphviz's 'dot', which is not installed "
                           "(Debian/Ubuntu: apt-get install graphviz); write a .dot file "
                           "instead" % path)
        return RENDERED[suffix]
    raise BpfError("can't tell the output format of '%s': use one of %s"
                   % (path, ", ".join(SUFFIXES)))


def write(text, path, fmt):
    """Write DOT `text` to `path` as `fmt` (from check_path)."""
    if fmt == "dot":
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as exc:
            raise BpfError("can't write %s: %s" % (path, exc.strerror)) from None
        return
    try:
        done = subprocess.run(["dot", "-T" + fmt, "-o", path], input=text.encode(),
                              capture_output=True)
    except OSError as exc:
        raise BpfError("can't run Graphviz's dot: %s" % exc.strerror) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise BpfError("Graphviz's dot failed to render %s: %s"
                       % (path, message[0] if message else "exit status %d" % done.returncode))
