"""The view interface: what an output kind (text, JSON, DOT, and later a live table or
Prometheus text) implements. Each method takes model records and writes them; an output
kind that has no view of something says so with Unsupported. A new output kind is one new
module with one Output subclass, registered in views/__init__.py; a new kind of object is
one new view module, reached through objects() and document()."""

import sys

from bpfinspect.errors import UsageError
from bpfinspect.views.textsafe import safe


def write_batched(write, texts, size=256):
    """write(list) with up to `size` of `texts` at a time, so that a listing is written a
    batch at a time rather than once per object; what was made before an error (in the
    walk that makes `texts`) is still written."""
    batch = []
    try:
        for text in texts:
            batch.append(text)
            if len(batch) == size:
                done, batch = batch, []
                write(done)
    finally:
        if batch:
            write(batch)


class Unsupported(UsageError):
    """This output kind has no view of what was asked for."""


class Output:
    name = "?"

    def __init__(self, out, pretty=False):
        self.out = out
        self.pretty = pretty

    def _unsupported(self, what):
        raise Unsupported("%s output has no view of %s" % (self.name, what))

    def objects(self, kind, items, listing=False):
        """`show`: model records of `kind` ("prog", "map", "btf", ...: the view module
        views/<kind>.py formats each record); `listing` when every object was asked for
        rather than those a selector named."""
        self._unsupported(kind + " objects")

    def document(self, kind, doc):
        """Any other command's output, `doc` a model record (or records) that the view module
        views/<kind>.py writes whole: a new object needs a new view module, not a new
        method here."""
        self._unsupported(kind)

    def xlated(self, listings, opcodes=False, linum=False):
        """`prog dump xlated`: model.Xlated per program."""
        self._unsupported("xlated instructions")

    def jited(self, listings, opcodes=False, linum=False):
        """`prog dump jited`: model.Jited per program, disassembled."""
        self._unsupported("JIT code")

    def cfg(self, graphs, opcodes=False, linum=False):
        """`prog dump xlated ... visual`: model.Cfg per program."""
        self._unsupported("control-flow graphs")

    def map_dump(self, dumps):
        """`map dump`: model.MapDump per map, entries read as they are written."""
        self._unsupported("map entries")

    def map_entry(self, lay, key, value):
        """`map lookup`/`peek`: a found entry."""
        self._unsupported("map entries")

    def map_not_found(self, lay, key):
        self._unsupported("map entries")

    def map_next_key(self, lay, key, next_key):
        self._unsupported("map keys")

    def map_diff(self, result):
        """`map diff`: an api.mapdiff.MapDiff."""
        self._unsupported("map differences")

    def btf_raw(self, btf, roots=()):
        """`btf dump ... format raw` of a parsed btfparse.parser.Btf."""
        self._unsupported("BTF types")

    def version(self, info):
        """`version`: {"version", "libbpf_version", "features"}."""
        self._unsupported("the version")

    def error(self, message):
        """One error line."""
        raise NotImplementedError

    def null(self):
        """What bpftool prints where a command has no output (`null` in JSON)."""

    def close(self):
        self.out.flush()


def error_text(out, message):
    """bpftool's p_err without -j: `Error: ...` on stderr, after what stdout holds."""
    out.flush()
    sys.stderr.write("Error: %s\n" % safe(message))
