"""Views: model records formatted as text, JSON or DOT. One module per object holds that
object's text and JSON side by side (prog, map, btf, mapentries, xlated, jited, visual);
text.py, json.py and visual.py's DotOutput implement the Output interface (output.py) by
routing to them. Views only format: they import no kernel or disassembler code."""

import importlib

OUTPUTS = {
    "text": "bpfinspect.views.text:TextOutput",
    "json": "bpfinspect.views.json:JsonOutput",
    "dot": "bpfinspect.views.visual:DotOutput",
}


def make_output(name, out, pretty=False):
    """The Output of kind `name` writing to `out`; only its module is imported."""
    module, _, cls = OUTPUTS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(out, pretty=pretty)
