"""File descriptors of kernel BPF objects: walking the ids, opening by id or pinned path,
and bpf_obj_get_info_by_fd.

Every fd opened here is owned by an ObjectFd, which the caller closes (a context manager).
An object that disappears while it is being walked (ENOENT) is skipped, as bpftool does.
"""

import ctypes
import errno
import os
from ctypes import byref, c_uint32

from bpfinspect.constants import BPF_F_RDONLY, BPF_FS_MAGIC
from bpfinspect.errors import BpfError, from_errno
from bpfinspect.kernel import procfs, syscalls, uapi
from bpfinspect.kernel.libbpf import lib

# how bpftool's messages name each kind: "can't get next program", "can't get prog by id"
NOUNS = {"prog": "program", "map": "map", "btf": "BTF object", "link": "link"}
_SHORT_NOUNS = {"prog": "prog", "map": "map", "btf": "BTF object", "link": "link"}


class ObjectFd:
    """An owned file descriptor of a BPF object, closed when the `with` block ends."""

    __slots__ = ("fd", "kind")

    def __init__(self, fd, kind):
        self.fd = fd
        self.kind = kind

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def close_all(fds):
    for f in fds:
        f.close()


def object_ids(kind):
    """Ids of every object of `kind` ('prog', 'map', 'btf'), in increasing order."""
    get_next = getattr(lib(), "bpf_%s_get_next_id" % kind)
    cur = c_uint32(0)
    while True:
        ret = get_next(cur.value, byref(cur))
        if ret == 0:
            yield cur.value
            continue
        err = -ret
        if err == errno.ENOENT:
            return
        raise from_errno(err, "can't get next %s" % NOUNS[kind],
                         " -- kernel too old?" if err == errno.EINVAL else "")


def open_by_id(kind, obj_id, message=None):
    """An ObjectFd for the object `obj_id`; maps are opened read-only."""
    lb = lib()
    if kind == "prog":
        fd = lb.bpf_prog_get_fd_by_id(obj_id)
    elif kind == "map":
        opts = uapi.bpf_get_fd_by_id_opts(sz=ctypes.sizeof(uapi.bpf_get_fd_by_id_opts),
                                          open_flags=BPF_F_RDONLY)
        fd = lb.bpf_map_get_fd_by_id_opts(obj_id, byref(opts))
    elif kind == "link":
        fd = lb.bpf_link_get_fd_by_id(obj_id)
    else:
        fd = lb.bpf_btf_get_fd_by_id(obj_id)
    if fd < 0:
        raise from_errno(-fd, message or "can't get %s by id (%u)" % (_SHORT_NOUNS[kind], obj_id))
    return ObjectFd(fd, kind)


def walk(kind):
    """ObjectFds of every object of `kind`, skipping those that vanish mid-walk (maps opened
    read-only). Raw bpf(2) through one reused attr buffer: the walk of a listing costs two
    syscalls per object and no libbpf wrapper."""
    calls = syscalls.HotBpf()
    flags = BPF_F_RDONLY if kind == "map" else 0
    ids = calls.ids(kind, flags)
    obj_id = 0
    while True:
        try:
            obj_id, fd = next(ids)
        except StopIteration:
            return
        except OSError as exc:
            raise _walk_error(kind, obj_id, calls, exc.errno) from None
        yield ObjectFd(fd, kind)


def _walk_error(kind, last_id, calls, err):
    """What object_ids() or open_by_id() would have raised for `err` after `last_id`: the
    error of the next-id step, or of opening the id that step found."""
    if calls.failed_open is not None:
        return from_errno(err, "can't get %s by id (%u)" % (_SHORT_NOUNS[kind], calls.failed_open))
    return from_errno(err, "can't get next %s" % NOUNS[kind],
                      " -- kernel too old?" if err == errno.EINVAL else "")


def infos(kind, info_type):
    """The info (bpf_obj_get_info_by_fd into a new `info_type`) of every object of `kind`
    ('prog', 'link' or 'btf'), as walk() and get_info() give them, with the same errors: an
    object that vanishes mid-walk, or whose info cannot be read, is skipped. A leaner loop
    than theirs (no ObjectFd, one reused length), for walks over thousands of objects."""
    lb = lib()
    fd_by_id = getattr(lb, "bpf_%s_get_fd_by_id" % kind)
    get = lb.bpf_obj_get_info_by_fd
    size, length = ctypes.sizeof(info_type), c_uint32()
    plength = byref(length)
    for obj_id in object_ids(kind):
        fd = fd_by_id(obj_id)
        if fd < 0:
            if fd == -errno.ENOENT:
                continue
            raise from_errno(-fd, "can't get %s by id (%u)" % (_SHORT_NOUNS[kind], obj_id))
        info = info_type()
        length.value = size
        try:
            ret = get(fd, byref(info), plength)
        finally:
            os.close(fd)
        if ret == 0:
            yield info


def is_bpffs(path):
    return syscalls.fs_magic(path) == BPF_FS_MAGIC


def _c_dirname(path):
    """dirname(3): trailing slashes do not count."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path else "."
    return os.path.dirname(stripped) or "."


def open_pinned(path, kind=None, quiet=False):
    """An ObjectFd for the object pinned at `path`; with `kind`, it must be of that kind."""
    opts = uapi.bpf_obj_get_opts(sz=ctypes.sizeof(uapi.bpf_obj_get_opts), file_flags=0)
    fd = lib().bpf_obj_get_opts(os.fsencode(path), byref(opts))
    if fd < 0:
        if quiet:
            return None
        err = -fd
        if err == errno.EACCES and not is_bpffs(_c_dirname(path)):
            # bpftool names the directory here, not the file
            raise BpfError("bpf obj get (%s): directory not in bpf file system (bpffs)"
                           % _c_dirname(path), err)
        raise from_errno(err, "bpf obj get (%s)" % path)
    obj = ObjectFd(fd, procfs.fd_kind(fd))
    if kind is not None and obj.kind != kind:
        obj.close()
        raise BpfError("incorrect object type: %s" % (obj.kind or "unknown"))
    return obj


def get_info(fd, info):
    """bpf_obj_get_info_by_fd into the ctypes struct `info`: 0 or a negated errno."""
    size = c_uint32(ctypes.sizeof(info))
    return lib().bpf_obj_get_info_by_fd(fd, byref(info), byref(size))


def object_id(fd):
    """The id of any BPF object (id sits at the same offset in every info struct)."""
    info = uapi.bpf_prog_info()
    if get_info(fd, info) not in (0, -errno.ENODEV):
        return None
    return info.id
