"""The trace pipe (bpf_printk's output), found as bpftool's tracelog.c finds it: tracefs at
/sys/kernel/tracing or /sys/kernel/debug/tracing, else the first tracefs in /proc/mounts,
else mounted at /sys/kernel/tracing (bpftool's mnt_fs: make the mount point private, bind it
onto itself if needed, mount tracefs with mode=0700)."""

import ctypes
import errno
import os

from bpfinspect import constants as C
from bpfinspect.errors import BpfError, strerror
from bpfinspect.kernel import syscalls

TRACEFS_MAGIC = 0x74726163
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

def _is_tracefs(path):
    return syscalls.fs_magic(path) == TRACEFS_MAGIC


def _from_mounts():
    try:
        with open("/proc/mounts", "rb") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[2] == b"tracefs":
                    return os.fsdecode(fields[1])
    except OSError:
        pass
    return None


def _mount(target):
    libc = syscalls.libc()
    t = os.fsencode(target)
    bind_done = False
    while libc.mount(b"", t, b"none", MS_PRIVATE | MS_REC, None) != 0:
        err = ctypes.get_errno()
        if err != errno.EINVAL or bind_done:  # not a mount point yet
            return "mount --make-private %s failed: %s" % (target, strerror(err))
        if libc.mount(t, t, b"none", MS_BIND, None) != 0:
            return "mount --bind %s %s failed: %s" % (target, target,
                                                      strerror(ctypes.get_errno()))
        bind_done = True
    if libc.mount(b"tracefs", t, b"tracefs", 0, b"mode=0700") != 0:
        return "mount -t tracefs tracefs %s failed: %s" % (target, strerror(ctypes.get_errno()))
    return None


def trace_pipe(may_mount=True, on_mount=None):
    """The trace pipe's path; mounts tracefs when it is nowhere (unless not `may_mount`),
    calling `on_mount()` first."""
    for mnt in C.TRACEFS_MOUNTS:
        if _is_tracefs(mnt):
            return mnt + "/trace_pipe"
    mnt = _from_mounts()
    if mnt is not None and _is_tracefs(mnt):
        return mnt + "/trace_pipe"
    if not may_mount:
        raise BpfError("tracefs is not mounted, and -n/--nomount forbids mounting it")
    if on_mount is not None:
        on_mount()
    failed = _mount(C.TRACEFS_MOUNTS[0])
    if failed:
        raise BpfError("can't mount tracefs: %s" % failed)
    return C.TRACEFS_MOUNTS[0] + "/trace_pipe"


def lines(path):
    """The trace pipe's lines as they come (bytes, each with its newline); blocks."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BpfError("could not open trace pipe: %s" % strerror(exc.errno), exc.errno) from None
    with f:
        while True:
            try:
                line = f.readline()
            except OSError as exc:
                raise BpfError("failed to read content from trace pipe: %s"
                               % strerror(exc.errno), exc.errno) from None
            if not line:
                raise BpfError("failed to read content from trace pipe: %s" % strerror(0))
            yield line
