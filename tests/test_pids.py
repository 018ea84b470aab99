"""`pids`: the task_file iterator (kernel/pid_iter.py) finds what the /proc walk finds, the
walk stands in when the iterator is forced off or fails, and the iterator leaves nothing
in the kernel. The objects are a program, a map and an iterator link pinned in the private
bpffs, held by processes from tests/holders.py with hostile names."""

import json
import os

import pytest

from bpfinspect.kernel import owners as owners_lookup
from bpfinspect.kernel import pid_iter, procfs
from tests import loader
from tests.holders import Holders, iter_link
from tests.kernel import bpfinspect, bpftool_json, need
from tests.nethooks import obj_get, obj_pin

KINDS = ("prog", "map", "link", "btf")
# a trailing newline (the walk once stripped it), a newline inside, an escape sequence,
# bytes that are not UTF-8, a bracket pair
COMMS = (b"pids\n", b"a\nb\x1b[1m\xff(x)")


@pytest.fixture(scope="module")
def pins(bpffs):
    try:
        pid_iter.layout()
    except (OSError, LookupError) as exc:
        need(False, "no task_file iterator here: %s" % exc)
    root = os.path.join(bpffs, "pids")
    os.makedirs(root)
    paths = {kind: os.path.join(root, kind) for kind in ("prog", "map", "link")}
    fd = loader.load(loader.return_zero(), "pids_prog")
    loader.pin_fd(fd, paths["prog"])
    os.close(fd)
    fd = loader.create_map(2, 4, 8, 1, "pids_map")  # an array
    loader.pin_fd(fd, paths["map"])
    os.close(fd)
    prog_fd, link_fd = iter_link()
    obj_pin(link_fd, paths["link"])
    os.close(link_fd)
    os.close(prog_fd)
    return paths


def _ids(paths):
    """{kind: id} of the pinned objects."""
    from bpfinspect.kernel import objects

    out = {}
    for kind, path in paths.items():
        with objects.open_pinned(path, kind) as obj:
            out[kind] = objects.object_id(obj.fd)
    return out


@pytest.fixture(scope="module")
def held(pins):
    """(pids by comm, {kind: id}): three processes of each hostile name, each holding 12
    fds of the three objects and of the kernel's BTF."""
    paths = [pins["prog"], pins["map"], pins["link"], "btf:1"]  # 1: vmlinux
    with Holders(paths, 3, 12, COMMS[0]) as first, Holders(paths, 3, 12, COMMS[1]) as second:
        yield {COMMS[0]: first, COMMS[1]: second}, dict(_ids(pins), btf=1)


def _same(kind, one, other):
    """Whether two lookups agree on the whole table. Other processes on the host come and
    go between the two: a few tries, the last one's tables compared."""
    for _ in range(5):
        a, b = one(kind), other(kind)
        if a == b:
            break
    return a, b


def test_iterator_finds_what_the_walk_finds(held):
    by_comm, ids = held
    for kind in KINDS:
        a, b = _same(kind, pid_iter.owners, procfs.owners)
        assert a == b, kind
    for kind, obj_id in ids.items():
        found = dict(pid_iter.owners(kind)[obj_id])
        for comm, pids in by_comm.items():
            for pid in pids:
                assert found[pid] == comm.decode("utf-8", "surrogateescape"), (kind, pid)


def test_iterator_leaves_out_bpfinspect_itself(held, pins):
    """This process holds the program and the link while it asks: it is not listed."""
    _, ids = held
    fds = [obj_get(pins[kind]) for kind in ("prog", "link")]
    try:
        for kind in ("prog", "link"):
            assert os.getpid() not in [pid for pid, _ in pid_iter.owners(kind)[ids[kind]]]
    finally:
        for fd in fds:
            os.close(fd)


def test_walk_when_forced_or_when_the_iterator_fails(held, monkeypatch):
    for kind in KINDS:
        a, b = _same(kind, lambda k: owners_lookup.owners(k, "procfs"), procfs.owners)
        assert a == b, kind

    def broken(kind):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(pid_iter, "records", broken)
    monkeypatch.setattr(owners_lookup, "_failed", [])
    for kind in KINDS:
        a, b = _same(kind, lambda k: owners_lookup.owners(k, "iter"), procfs.owners)
        assert a == b, kind


def test_listings_show_the_same_pids_both_ways(held):
    by_comm, ids = held
    expected = sorted(pid for pids in by_comm.values() for pid in pids)
    for kind, obj_id in ids.items():
        seen = {}
        for how in ("procfs", "iter"):
            proc = bpfinspect("-j", kind, "show", "id", str(obj_id),
                              env={"BPFINSPECT_PIDS": how}, check=0)
            seen[how] = json.loads(proc.stdout)["pids"]
        assert seen["iter"] == seen["procfs"], kind
        assert expected == sorted(p["pid"] for p in seen["iter"]
                                  if p["pid"] in expected), kind


def test_nothing_stays_in_the_kernel(held):
    before_progs = {p["id"] for p in bpftool_json("prog", "show")}
    before_links = {link["id"] for link in bpftool_json("link", "show")}
    for kind in KINDS:
        pid_iter.owners(kind)
        proc = bpfinspect(kind, "show", env={"BPFINSPECT_PIDS": "iter"}, check=0)
        assert proc.stderr == ""
    after_progs = {p["id"]: p for p in bpftool_json("prog", "show")}
    after_links = {link["id"]: link for link in bpftool_json("link", "show")}
    # other tests may load programs meanwhile: none of the new ones is the iterator
    new_progs = [after_progs[i] for i in set(after_progs) - before_progs]
    assert not [p for p in new_progs if p.get("name") == pid_iter.PROG_NAME.decode()]
    new_links = [after_links[i] for i in set(after_links) - before_links]
    assert not [link for link in new_links if link.get("type") == "iter"]
    assert not [p for p in after_progs.values() if p.get("name") == pid_iter.PROG_NAME.decode()]
