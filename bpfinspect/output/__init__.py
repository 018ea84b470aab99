"""Formatter registry: the cli picks a formatter by name; only that one is imported."""

import importlib

FORMATTERS = {
    "text": "bpfinspect.output.text:TextFormatter",
    "json": "bpfinspect.output.json:JsonFormatter",
    "dot": "bpfinspect.output.dot:DotFormatter",
}


def make_formatter(name, out, pretty=False):
    module, _, cls = FORMATTERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(out, pretty=pretty)
