"""The system calls bpfinspect makes itself, through one libc handle: bpf(2) where libbpf 1.1
has no wrapper for what is asked (BPF_PROG_QUERY with link ids, feature probes), statfs(2)
for a file system's magic, mount(2) and if_nametoindex(3)."""

import ctypes
import errno
import os
from ctypes import byref

# __NR_bpf per machine
_NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "loongarch64": 280, "s390x": 351,
           "ppc64le": 361, "ppc64": 361, "i686": 357, "i386": 357, "armv7l": 386, "armv6l": 386}

_libc = None
_nr_bpf = _NR_BPF.get(os.uname().machine)
_nr_bpf_arg = ctypes.c_long(_nr_bpf or 0)


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                ctypes.c_ulong, ctypes.c_char_p]
        _libc.if_nametoindex.restype = ctypes.c_uint
    return _libc


def bpf(cmd, attr):
    """bpf(2) with the ctypes structure `attr`: the result (>= 0) or a negated errno."""
    if _nr_bpf is None:
        return -errno.ENOSYS
    ret = (_libc or libc()).syscall(_nr_bpf_arg, ctypes.c_int(cmd), byref(attr),
                                    ctypes.c_uint(ctypes.sizeof(attr)))
    return -ctypes.get_errno() if ret < 0 else ret


class _statfs(ctypes.Structure):
    _fields_ = [("f_type", ctypes.c_long), ("_rest", ctypes.c_byte * 120)]


def fs_magic(path):
    """The magic number of the file system `path` is on, or None when statfs fails."""
    buf = _statfs()
    if libc().statfs(os.fsencode(path), byref(buf)) != 0:
        return None
    return buf.f_type & 0xFFFFFFFF


class HotBpf:
    """The bpf(2) commands of a refresh (`prog top`, exporter scrapes: four per program),
    through one reused attr buffer and argument objects made once: no ctypes structure and
    no libbpf wrapper per call."""

    _NEXT_ID = {"prog": 11, "map": 12, "btf": 23, "link": 31}  # BPF_*_GET_NEXT_ID
    _FD_BY_ID = {"prog": 13, "map": 14, "btf": 19, "link": 30}  # BPF_*_GET_FD_BY_ID
    _OBJ_GET_INFO_BY_FD = 15

    def __init__(self):
        import struct

        nr = _NR_BPF.get(os.uname().machine)
        if nr is None:
            raise OSError(errno.ENOSYS, "bpf(2) is not known on this machine")
        self._nr = ctypes.c_long(nr)
        self._size = ctypes.c_uint(16)
        self._attr = ctypes.create_string_buffer(16)
        self._attr_ptr = ctypes.c_void_p(ctypes.addressof(self._attr))
        self._call = libc().syscall
        self._args = struct.Struct("=IIQ")  # every field of the 16 bytes, set on each call
        self._info_cmd = ctypes.c_int(self._OBJ_GET_INFO_BY_FD)
        self.failed_open = None  # the id whose opening raised the last OSError

    def _bpf(self, cmd):
        ret = self._call(self._nr, cmd, self._attr_ptr, self._size)
        return -ctypes.get_errno() if ret < 0 else ret

    def ids(self, kind, open_flags=0, start=0):
        """(id, fd) of every object of `kind` whose id is above `start`, in id order, each
        fd to be closed by the caller; objects that vanish between the two calls are left
        out. OSError on any other failure."""
        next_cmd = ctypes.c_int(self._NEXT_ID[kind])
        fd_cmd = ctypes.c_int(self._FD_BY_ID[kind])
        attr, args = self._attr, self._args
        current = start
        while True:
            args.pack_into(attr, 0, current, 0, 0)
            ret = self._bpf(next_cmd)
            if ret < 0:
                if ret == -errno.ENOENT:
                    return
                raise OSError(-ret, os.strerror(-ret))
            current = args.unpack_from(attr, 0)[1]
            fd = self._open(fd_cmd, current, open_flags)
            if fd is not None:
                yield current, fd

    def fds(self, kind, ids, open_flags=0):
        """(id, fd) of the objects of `kind` among `ids` that still exist, in that order."""
        fd_cmd = ctypes.c_int(self._FD_BY_ID[kind])
        for obj_id in ids:
            fd = self._open(fd_cmd, obj_id, open_flags)
            if fd is not None:
                yield obj_id, fd

    def _open(self, fd_cmd, obj_id, open_flags):
        """An fd of the object `obj_id`; None when it is gone; OSError on other failures."""
        self._args.pack_into(self._attr, 0, obj_id, 0, open_flags)
        fd = self._bpf(fd_cmd)
        if fd >= 0:
            return fd
        if fd == -errno.ENOENT:
            return None
        self.failed_open = obj_id
        raise OSError(-fd, os.strerror(-fd))

    def info(self, fd, address, size):
        """BPF_OBJ_GET_INFO_BY_FD into `size` bytes at `address`: 0 or a negated errno."""
        self._args.pack_into(self._attr, 0, fd, size, address)
        return self._bpf(self._info_cmd)
