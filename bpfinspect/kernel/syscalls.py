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
