"""bpftool's JSON output (-j, -p), always valid JSON: routes each request to the object's
view module. Each object's view is imported by the method that needs it, so that a
command pays only for its own (`version` for none)."""

import importlib

from bpfinspect.model import Encoded
from bpfinspect.views.jsonw import JsonStream
from bpfinspect.views.output import Output, error_text, write_batched


def _view(kind):
    """views/<kind>.py: `show` of objects of `kind` goes to its text() and json(), any other
    document to its write_text() and write_json()."""
    return importlib.import_module("bpfinspect.views." + kind)


def _chunks(items, size=16384):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class JsonOutput(Output):
    name = "json"

    def __init__(self, out, pretty=False):
        super().__init__(out, pretty)
        self.stream = JsonStream(out, pretty)

    def objects(self, kind, items, listing=False):
        """`listing`: every object of a kind, always an array; otherwise the objects a
        selector matched, an array only when there are several."""
        view = _view(kind)
        convert = view.json
        plain = getattr(view, "plain_json", None)  # item -> its JSON holds no Encoded text
        if not listing:
            items = list(items)
            if len(items) == 1:
                self.stream.value(convert(items[0]))
                return
        self.stream.begin_array()
        encoded = self.stream.element_text
        write_batched(self.stream.encoded,
                      (encoded(convert(item), plain is not None and plain(item))
                       for item in items))
        self.stream.end_array()

    def xlated(self, listings, opcodes=False, linum=False):
        """An array of instructions; with several programs, an array of programs, each with
        its instructions under "insns"."""
        from bpfinspect.views import prog, xlated

        pretty = self.stream.pretty
        self.stream.begin_array()
        if len(listings) == 1:
            for chunk in _chunks(xlated.json_encoded(listings[0], opcodes, linum, pretty, 1)):
                self.stream.encoded(chunk)
        else:
            for x in listings:
                d = prog.header_json(x.program)
                d["insns"] = [Encoded(s) for s in xlated.json_encoded(x, opcodes, linum,
                                                                       pretty, 3)]
                self.stream.value(d)
        self.stream.end_array()

    def jited(self, listings, opcodes=False, linum=False):
        from bpfinspect.views import jited, prog

        if len(listings) == 1:
            self.stream.value(jited.json_value(listings[0], opcodes, linum))
            return
        self.stream.begin_array()
        for x in listings:
            d = prog.header_json(x.program)
            d["insns"] = jited.json_value(x, opcodes, linum)
            self.stream.value(d)
        self.stream.end_array()

    def map_dump(self, dumps):
        from bpfinspect.views import mapentries

        mapentries.write_json(self.stream, dumps)

    def map_entry(self, lay, key, value):
        from bpfinspect.views import mapentries

        self.stream.value(mapentries.entry_json(lay, key or b"", value))

    def map_not_found(self, lay, key):
        self.stream.value(None)

    def map_next_key(self, lay, key, next_key):
        from bpfinspect.views import mapentries

        self.stream.value(mapentries.next_key_json(key, next_key))

    def map_diff(self, result):
        from bpfinspect.views import mapdiff

        mapdiff.write_json(self.stream, result)

    def btf_raw(self, btf_obj, roots=()):
        """{"types": [...]}."""
        from bpfinspect.views import btf

        self.stream.value({"types": list(btf.raw_json(btf_obj, btf.type_ids(btf_obj, roots)))},
                          plain=True)  # raw_json holds no Encoded text

    def version(self, info):
        self.stream.value(info)

    def document(self, kind, doc):
        _view(kind).write_json(self.stream, doc)

    def error(self, message):
        if self.stream.complete:  # e.g. Ctrl-C after the document was whole: keep it valid
            error_text(self.out, message)
            return
        self.stream.value({"error": message})

    def null(self):
        self.stream.value(None)

    def close(self):
        self.stream.close()
