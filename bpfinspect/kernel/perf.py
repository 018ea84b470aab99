"""Perf events with BPF programs, found per process and fd with bpf_task_fd_query, as
bpftool's perf.c finds them: /proc in readdir order, each /proc/PID/fd in readdir order,
every fd queried, failures skipped."""

import ctypes
import os
from ctypes import byref, c_uint32, c_uint64

from bpfinspect import constants as C
from bpfinspect import model
from bpfinspect.errors import BpfError, strerror
from bpfinspect.kernel.libbpf import lib

ENOTSUPP = 524  # the kernel's own "not supported", which a query of a non-perf fd returns


class _Query:
    def __init__(self):
        self.lib = lib()
        self.buf = ctypes.create_string_buffer(4096)
        self.len = c_uint32()
        self.prog_id = c_uint32()
        self.fd_type = c_uint32()
        self.offset = c_uint64()
        self.addr = c_uint64()

    def __call__(self, pid, fd, size=4096):
        self.len.value = size
        return self.lib.bpf_task_fd_query(pid, fd, 0, self.buf, byref(self.len),
                                          byref(self.prog_id), byref(self.fd_type),
                                          byref(self.offset), byref(self.addr))


def check_support(query=None):
    """bpftool's has_perf_query_support: querying an fd of "/" must fail with ENOTSUPP."""
    query = query or _Query()
    try:
        fd = os.open("/", os.O_RDONLY)
    except OSError as exc:
        raise BpfError('perf_query_support: cannot open directory "/" (%s)'
                       % strerror(exc.errno)) from None
    try:
        ret = query(os.getpid(), fd, 256)
    finally:
        os.close(fd)
    if ret != -ENOTSUPP:
        err = -ret if ret < 0 else 0
        raise BpfError("perf_query_support: %s" % (strerror(err) if err != ENOTSUPP
                                                     else "Unknown error 524"), err)


def _digits(name):
    return name.isdigit() and name.isascii()


def attachments():
    """model.PerfAttachment per process fd that holds a perf event with a program."""
    query = _Query()
    check_support(query)
    try:
        procs = os.scandir("/proc")
    except OSError:
        raise BpfError("can't open /proc") from None
    with procs:
        for entry in procs:
            if not _digits(entry.name):
                continue
            pid = int(entry.name)
            try:
                fds = list(os.scandir("/proc/%s/fd" % entry.name))
            except OSError:
                continue
            for fd_entry in fds:
                if not _digits(fd_entry.name):
                    continue
                fd = int(fd_entry.name)
                if query(pid, fd) < 0:
                    continue
                yield _record(pid, fd, query)


def _record(pid, fd, q):
    fd_type = q.fd_type.value
    name = q.buf.value.decode("utf-8", "surrogateescape")
    kind = C.PERF_FD_TYPE_NAMES[fd_type] if fd_type < len(C.PERF_FD_TYPE_NAMES) else fd_type
    return model.PerfAttachment(pid=pid, fd=fd, prog_id=q.prog_id.value, fd_type=kind,
                                name=name, offset=q.offset.value, addr=q.addr.value)


