"""Writing a DOT graph to a file, rendered by Graphviz's `dot` when the suffix asks for it."""

import os
import shutil
import subprocess

from bpfinspect.errors import BpfError

RENDERED = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DOT_TIMEOUT = 300
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
    """Write DOT `text` to `path` as `fmt` (from check_path). Rendering goes to a file
    beside `path` that replaces it only when dot succeeded and wrote something; a dot that
    runs longer than $BPFINSPECT_DOT_TIMEOUT seconds (default 300) is stopped."""
    if fmt == "dot":
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as exc:
            raise BpfError("can't write %s: %s" % (path, exc.strerror)) from None
        return
    timeout = float(os.environ.get("BPFINSPECT_DOT_TIMEOUT", DOT_TIMEOUT))
    part = os.path.join(os.path.dirname(os.path.abspath(path)),
                        ".%s.%d.part" % (os.path.basename(path), os.getpid()))
    try:
        try:
            done = subprocess.run(["dot", "-T" + fmt, "-o", part], input=text.encode(),
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BpfError("Graphviz's dot did not finish rendering %s in %g s; write a .dot "
                           "file and render it yourself" % (path, timeout)) from None
        except OSError as exc:
            raise BpfError("can't run Graphviz's dot: %s" % exc.strerror) from None
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise BpfError("Graphviz's dot failed to render %s: %s" % (
                path, message[0] if message else "exit status %d" % done.returncode))
        if not os.path.exists(part) or os.path.getsize(part) == 0:
            raise BpfError("Graphviz's dot wrote nothing for %s" % path)
        try:
            os.replace(part, path)
        except OSError as exc:
            raise BpfError("can't write %s: %s" % (path, exc.strerror)) from None
    finally:
        if os.path.exists(part):
            os.unlink(part)
