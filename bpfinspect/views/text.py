"""bpftool's plain-text output: routes each request to the object's view module.

Each object's view is imported by the method that needs it, so that a command pays
only for its own (`version` for none)."""

import importlib

from bpfinspect.views.output import Output, error_text, write_batched


def _view(kind):
    """views/<kind>.py: `show` of objects of `kind` goes to its text() and json(), any other
    document to its write_text() and write_json()."""
    return importlib.import_module("bpfinspect.views." + kind)


class TextOutput(Output):
    name = "text"
    paint = None  # a views.colour.Painter when the command line asks for colour

    def objects(self, kind, items, listing=False):
        render = _view(kind).text
        if self.paint is not None:
            render = self.paint.shown(kind, render)
        write_batched(lambda texts: self.out.write("".join(texts)), map(render, items))

    def xlated(self, listings, opcodes=False, linum=False):
        """With several programs, each under its `prog show` line."""
        from bpfinspect.views import xlated

        self._programs(listings, lambda x: xlated.text_chunks(x, opcodes, linum), "xlated")

    def jited(self, listings, opcodes=False, linum=False):
        from bpfinspect.views import jited

        self._programs(listings, lambda x: jited.text_chunks(x, opcodes, linum), "jited")

    def _programs(self, listings, chunks, mode):
        from bpfinspect.views import prog

        header = prog.header_text
        if self.paint is not None:
            header = self.paint.shown("prog", header)
            chunks = self.paint.listing(mode, chunks)
        several = len(listings) > 1
        for k, x in enumerate(listings):
            if several:
                self.out.write(header(x.program))
            for chunk in chunks(x):
                self.out.write(chunk)
            if several and k != len(listings) - 1:
                self.out.write("\n")

    def map_dump(self, dumps):
        from bpfinspect.views import mapentries

        if all(d.layout.map.btf_id for d in dumps):
            mapentries.write_btf_text(self.out, dumps)
        else:
            mapentries.write_text(self.out, dumps)

    def map_entry(self, lay, key, value):
        from bpfinspect.views import mapentries

        self.out.write(mapentries.found_text(lay, key, value))

    def map_not_found(self, lay, key):
        from bpfinspect.views import mapentries

        self.out.write(mapentries.not_found_text(key))

    def map_next_key(self, lay, key, next_key):
        from bpfinspect.views import mapentries

        self.out.write(mapentries.next_key_text(key, next_key))

    def map_diff(self, result):
        from bpfinspect.views import mapdiff

        mapdiff.write_text(self.out, result)

    def btf_raw(self, btf_obj, roots=()):
        from bpfinspect.views import btf, btfraw

        chunks = (btf.raw_text(btf_obj, btf.type_ids(btf_obj, roots)) if roots
                  else btfraw.raw_text_all(btf_obj))
        for chunk in chunks:
            self.out.write(chunk)

    def version(self, info):
        features = ",".join(" " + name for name, on in info["features"].items() if on)
        self.out.write("bpfinspect v%s\nusing libbpf %s\nfeatures:%s\n" % (
            info["version"],
            "v" + info["libbpf_version"] if info["libbpf_version"] else "(not found)",
            features))

    def document(self, kind, doc):
        view = _view(kind)
        if self.paint is not None and getattr(view, "PAINTED", False):
            view.write_text(self.out, doc, paint=self.paint)
        else:
            view.write_text(self.out, doc)

    def error(self, message):
        error_text(self.out, message)
