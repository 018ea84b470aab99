"""`cgroup show` and `cgroup tree`: programs attached to cgroups (v2), as bpftool 7.8 finds
them."""

import os

from bpfinspect import model
from bpfinspect.errors import BpfError, NoSuchObject, strerror
from bpfinspect.kernel import cgroups


def show(path, effective=False):
    """model.CgroupShow of the cgroup directory `path`: its programs (with `effective`, also
    those inherited from its ancestors), or None when it has none."""
    fd = cgroups.open_cgroup(path)
    if fd is None:
        raise NoSuchObject("can't open cgroup %s" % path)
    try:
        with cgroups.Querier(effective) as q:
            has = q.has_programs(fd)
            if has is not True:
                if has is False:
                    return model.CgroupShow(effective=effective, programs=None)
                raise BpfError("can't query bpf programs attached to %s: %s"
                               % (path, strerror(-has)), -has)
            return model.CgroupShow(effective=effective, programs=tuple(q.programs(fd)))
    finally:
        os.close(fd)


def default_root():
    """The first cgroup v2 mount, as bpftool finds it."""
    root = cgroups.cgroup2_root()
    if root is None:
        raise BpfError("cgroup v2 isn't mounted")
    return root


def tree(root=None, effective=False):
    """model.CgroupTree of every cgroup under `root` (default: the cgroup2 mount) that has
    programs; its nodes are found while they are read."""
    if root is None:
        root = default_root()
    return model.CgroupTree(effective=effective, cgroups=_nodes(root, effective))


def _nodes(root, effective):
    with cgroups.Querier(effective) as q:
        walker = cgroups.walk(root)
        while True:
            try:
                path, level = next(walker)
            except StopIteration:
                return
            except OSError as exc:
                raise BpfError("can't iterate over %s: %s" % (root, strerror(exc.errno)),
                               exc.errno) from None
            fd = cgroups.open_cgroup(path)
            if fd is None:
                err = _errno_of_open(path)
                raise BpfError("can't open cgroup %s: %s" % (path, strerror(err)), err)
            try:
                has = q.has_programs(fd)
                if has is False:
                    continue
                if has is not True:
                    raise BpfError("can't query bpf programs attached to %s: %s"
                                   % (path, strerror(-has)), -has)
                yield model.CgroupNode(cgroup=path, programs=tuple(q.programs(fd, level)))
            finally:
                os.close(fd)


def _errno_of_open(path):
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        return exc.errno
    return 0
