"""bpfinspect's Python API: what BPF is doing inside the running kernel, as frozen records
(psutil for BPF). The command line is a client of this layer.

    import bpfinspect
    for p in bpfinspect.programs():
        print(p.id, p.type, p.name, p.tag, [o.comm for o in p.pids])
    p = bpfinspect.program(name="sys_enter_bpf")
    for insn in p.xlated().image.insns(): ...
    m = bpfinspect.map(pinned="/sys/fs/bpf/counts")
    for entry in m.entries(decode=True): print(entry.key, entry.value, entry.decoded)

Records carry bpftool's JSON names (`id`, `type`, `name`, `tag`, `bytes_xlated`, `map_ids`,
`pinned`, `pids`, ...). Errors raise bpfinspect.errors exceptions: NoSuchObject,
AccessDenied (not root), LibraryMissing (no libbpf.so.1), UsageError, CorruptInput.
Reading changes nothing in the kernel: maps are opened read-only.
"""

from bpfinspect.errors import UsageError
from bpfinspect.model import Selector

_CLASSES = ("Program", "Map", "BtfObject", "Link")


def __getattr__(name):
    """The record classes, from api.listing when first asked for: a command that needs only
    one of the api's modules (`net`, `cgroup`, ...) does not pay for listing's imports."""
    if name in _CLASSES:
        from bpfinspect.api import listing

        return getattr(listing, name)
    raise AttributeError("module 'bpfinspect.api' has no attribute %r" % name)


def iter_records(kind, **options):
    from bpfinspect.api import listing

    return listing.iter_records(kind, **options)


def one(kind, selector, **options):
    from bpfinspect.api import listing

    return listing.one(kind, selector, **options)

__all__ = ["programs", "maps", "btf_objects", "program", "map", "btf", "Program", "Map",
           "BtfObject", "net_attachments", "links", "link", "Link"]


def programs(pinned=True, pids=True):
    """Every loaded program (Program), in id order. `pinned`: look up where each is pinned
    on every mounted bpffs (None when not looked up); `pids`: the processes holding each."""
    return list(iter_records("prog", pinned=pinned, pids=pids))


def maps(pinned=True, pids=True):
    """Every map (Map), in id order."""
    return list(iter_records("map", pinned=pinned, pids=pids))


def btf_objects(pids=True):
    """Every BTF object (BtfObject), in id order, with the programs and maps using it."""
    return list(iter_records("btf", pids=pids))


def _selector(kind, **given):
    chosen = [(by, value) for by, value in given.items() if value is not None]
    if len(chosen) != 1:
        raise UsageError("%s() takes exactly one of %s" % (kind, ", ".join(given)))
    by, value = chosen[0]
    if by == "tag" and isinstance(value, str):
        value = bytes.fromhex(value)
    return Selector(by, value)


def program(id=None, name=None, tag=None, pinned=None):  # noqa: A002 - bpftool's words
    """The one program with this id, full name, tag (hex or bytes) or pinned path;
    NoSuchObject when there is none, UsageError when a name or tag matches several."""
    return one("prog", _selector("program", id=id, name=name, tag=tag, pinned=pinned))


def map(id=None, name=None, pinned=None):  # noqa: A001,A002 - bpftool's words
    """The one map with this id, name or pinned path (opened read-only)."""
    return one("map", _selector("map", id=id, name=name, pinned=pinned))


def btf(id):  # noqa: A002
    """The BTF object with this id."""
    return one("btf", Selector("id", id))


def links(pinned=True, pids=True):
    """Every BPF link (Link: model.Link with .program()), in id order: type, prog_id, and in
    `.detail` the link type's own record (model.LinkRawTracepoint, LinkCgroup, LinkDevice,
    ...; None for types without a body)."""
    return list(iter_records("link", pinned=pinned, pids=pids))


def link(id=None, pinned=None):  # noqa: A002 - bpftool's words
    """The one link with this id or pinned path; NoSuchObject when there is none."""
    return one("link", _selector("link", id=id, pinned=pinned))


def net_attachments(dev=None):
    """What `net show` shows, as a model.NetShow (xdp, tc, flow_dissector, netfilter) of
    this process's network namespace; `dev` limits xdp and tc to one device (NoSuchObject
    when there is no such device). Needs pyroute2."""
    from bpfinspect.api import net

    return net.show(dev)
