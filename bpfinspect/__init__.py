"""bpfinspect: what BPF is doing inside the running kernel.

The Python API (bpfinspect.api) is importable from here: bpfinspect.programs(),
bpfinspect.maps(), bpfinspect.btf_objects(), bpfinspect.program(...), bpfinspect.map(...),
bpfinspect.btf(id). It is loaded on first use, so that the command line starts fast."""

from bpfinspect.constants import VERSION as __version__  # noqa: F401

_API = ("programs", "maps", "btf_objects", "program", "map", "btf", "Program", "Map",
        "BtfObject", "links", "link", "Link", "net_attachments")


def __getattr__(name):
    if name in _API:
        from bpfinspect import api

        return getattr(api, name)
    raise AttributeError("module 'bpfinspect' has no attribute %r" % name)


def __dir__():
    return sorted(list(globals()) + list(_API))
