"""Run-time statistics: switching them on with BPF_ENABLE_STATS for as long as a file
descriptor is held, and reading every program's counters cheaply (one bpf_prog_info per
program, reusing one buffer; names that need BTF are looked up once per program)."""

import ctypes
import errno
import os

from bpfinspect import model
from bpfinspect.constants import BPF_STATS_ENABLED, BPF_STATS_RUN_TIME, BPF_OBJ_NAME_LEN
from bpfinspect.errors import from_errno
from bpfinspect.kernel import objects, procfs, uapi
from bpfinspect.kernel.info import prog_full_name
from bpfinspect.kernel.libbpf import lib


def sysctl_enabled():
    """kernel.bpf_stats_enabled as the kernel reports it now (also 1 while any process holds
    a BPF_ENABLE_STATS fd); None when it cannot be read."""
    try:
        with open(BPF_STATS_ENABLED, "rb") as f:
            return f.read().strip() == b"1"
    except OSError:
        return None


def enable_run_time_stats():
    """A file descriptor whose holder keeps run-time statistics on; they go off when it is
    closed, also when the process dies."""
    fd = lib().bpf_enable_stats(BPF_STATS_RUN_TIME)
    if fd < 0:
        raise from_errno(-fd, "can't enable BPF run-time statistics")
    return fd


def close_fd(fd):
    os.close(fd)


class CounterReader:
    """Reads every program's counters; keeps the names and types it has resolved, so that a
    refresh costs one open, one bpf_prog_info and one close per program."""

    def __init__(self, memlock=False, map_ids=False):
        self._memlock = memlock
        self._map_ids = map_ids
        self._names = {}  # (id, tag) -> (type, name)
        self._info = uapi.bpf_prog_info()
        self._size = ctypes.c_uint32()
        self._ids = (ctypes.c_uint32 * 64)()

    def read(self):
        """ProgCounters of every loaded program, in id order; programs that vanish while
        read are left out."""
        lb = lib()
        out = []
        for prog_id in objects.object_ids("prog"):
            fd = lb.bpf_prog_get_fd_by_id(prog_id)
            if fd < 0:
                if -fd == errno.ENOENT:
                    continue
                raise from_errno(-fd, "can't get prog by id (%u)" % prog_id)
            try:
                item = self._one(lb, fd)
            finally:
                os.close(fd)
            if item is not None:
                out.append(item)
        seen = {(c.id, c.tag) for c in out}
        for key in [k for k in self._names if k not in seen]:
            del self._names[key]
        return out

    def _one(self, lb, fd):
        info = self._info
        ctypes.memset(ctypes.addressof(info), 0, ctypes.sizeof(info))
        if self._map_ids:
            info.nr_map_ids = len(self._ids)
            info.map_ids = ctypes.addressof(self._ids)
        self._size.value = ctypes.sizeof(info)
        ret = lb.bpf_obj_get_info_by_fd(fd, ctypes.byref(info), ctypes.byref(self._size))
        if ret not in (0, -errno.ENODEV):
            return None
        tag = bytes(info.tag).hex()
        key = (info.id, tag)
        known = self._names.get(key)
        if known is None:
            known = self._names[key] = self._describe(lb, fd, info)
        map_ids = ()
        if self._map_ids and info.nr_map_ids:
            if info.nr_map_ids > len(self._ids):
                self._ids = (ctypes.c_uint32 * info.nr_map_ids)()
                return self._one(lb, fd)
            map_ids = tuple(self._ids[:info.nr_map_ids])
        memlock = None
        if self._memlock:
            value = procfs.fdinfo(fd).get("memlock")
            memlock = int(value) if value and value.isdigit() else None
        return model.ProgCounters(
            id=info.id, type=known[0], name=known[1], tag=tag, run_time_ns=info.run_time_ns,
            run_cnt=info.run_cnt, recursion_misses=info.recursion_misses,
            bytes_xlated=info.xlated_prog_len, bytes_jited=info.jited_prog_len,
            bytes_memlock=memlock, map_ids=map_ids)

    @staticmethod
    def _describe(lb, fd, info):
        type_name = lb.libbpf_bpf_prog_type_str(info.type)
        type_name = type_name.decode() if type_name else info.type
        raw = uapi.cstr(info.name)
        if len(raw) >= BPF_OBJ_NAME_LEN - 1:
            # the kernel cut it: the full name from BTF, with a private copy of the info
            copy = uapi.bpf_prog_info()
            ctypes.memmove(ctypes.addressof(copy), ctypes.addressof(info), ctypes.sizeof(info))
            copy.nr_map_ids = 0
            copy.map_ids = 0
            raw = prog_full_name(fd, copy)
        return type_name, raw
