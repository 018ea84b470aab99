"""Run-time statistics: switching them on with BPF_ENABLE_STATS for as long as a file
descriptor is held, and reading every program's counters cheaply (one bpf_prog_info per
program, reusing one buffer; names that need BTF are looked up once per program)."""

import ctypes
import errno
import os
import struct

from bpfinspect import model
from bpfinspect.constants import BPF_STATS_ENABLED, BPF_STATS_RUN_TIME, BPF_OBJ_NAME_LEN
from bpfinspect.errors import from_errno
from bpfinspect.kernel import objects, procfs, syscalls, uapi
from bpfinspect.kernel.info import prog_full_name
from bpfinspect.kernel.libbpf import lib


def sysctl_enabled():
    """kernel.bpf_stats_enabled as last written by sysctl; None when it cannot be read. It
    stays 0 while a process holds a BPF_ENABLE_STATS fd (which turns statistics on all the
    same): another process's fd cannot be seen here."""
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


# the parts of struct bpf_prog_info a refresh reads: type, id, tag, jited_prog_len,
# xlated_prog_len at 0; nr_map_ids at 52; name at 64; run_time_ns, run_cnt, recursion_misses
# at 192 (offsets checked against uapi.bpf_prog_info by the unit tests)
_HEAD = struct.Struct("=II8sII")
_NR_MAP_IDS = struct.Struct("=I")
_NR_MAP_IDS_AT, _MAP_IDS_AT, _NAME_AT = 52, 56, 64
_RUN = struct.Struct("=QQQ")
_RUN_AT = 192


class CounterReader:
    """Reads every program's counters; keeps the names and types it has resolved, so that a
    refresh costs one open, one bpf_prog_info and one close per program, and no ctypes
    structure (the info is read into one reused buffer and unpacked at once)."""

    def __init__(self, memlock=False, map_ids=False):
        self._memlock = memlock
        self._map_ids = map_ids
        self._names = {}  # (id, tag) -> (type, name)
        self._size = ctypes.sizeof(uapi.bpf_prog_info)
        self._buf = ctypes.create_string_buffer(self._size)
        self._addr = ctypes.addressof(self._buf)
        self._ids = (ctypes.c_uint32 * 64)()
        self._calls = syscalls.HotBpf()
        self._known = []  # the ids the last read found, in order
        self._memlocks = {}  # (id, tag) -> memlock bytes
        self._refreshes = 0

    def read(self):
        """ProgCounters of every loaded program, in id order; programs that vanish while
        read are left out."""
        if self._map_ids or self._memlock:
            return self._read_with_extras()
        # the common case (every refresh of `prog top`), in one loop with everything local
        lb = lib()
        names = self._names
        describe = self._describe
        buf, addr, size = self._buf, self._addr, self._size
        info, memset, close = self._calls.info, ctypes.memset, os.close
        head, run, counters = _HEAD.unpack_from, _RUN.unpack_from, model.ProgCounters
        out = []
        append = out.append
        try:
            for _, fd in self._walk():
                memset(addr, 0, size)
                ret = info(fd, addr, size)
                if ret != 0 and ret != -errno.ENODEV:
                    close(fd)
                    continue
                type_number, prog_id, tag, jited, xlated = head(buf)
                run_time_ns, run_cnt, misses = run(buf, _RUN_AT)
                tag = tag.hex()
                known = names.get((prog_id, tag))
                if known is None:
                    known = names[(prog_id, tag)] = describe(lb, fd)
                close(fd)
                append(counters(prog_id, known[0], known[1], tag, run_time_ns, run_cnt,
                                misses, xlated, jited, None, ()))
        except OSError as exc:
            raise from_errno(exc.errno, "can't get next program") from None
        self._forget(out)
        self._known = [c.id for c in out]
        return out

    def _walk(self):
        """(id, fd) of every program. Ids are handed out in increasing order (cyclically,
        wrapping only after 2^31), so a refresh opens the programs it already knows by id
        and asks for next ids only above the highest: half the calls. Every tenth refresh
        walks all ids, which also finds any id reused after a wrap."""
        calls = self._calls
        self._refreshes += 1
        if not self._known or self._refreshes % 10 == 0:
            yield from calls.ids("prog")
            return
        yield from calls.fds("prog", self._known)
        yield from calls.ids("prog", start=self._known[-1])

    def _forget(self, out):
        if len(self._names) > 2 * len(out) + 64:  # forget programs long gone
            seen = {(c.id, c.tag) for c in out}
            self._names = {k: v for k, v in self._names.items() if k in seen}
            self._memlocks = {k: v for k, v in self._memlocks.items() if k in seen}

    def _read_with_extras(self):
        lb = lib()
        calls = self._calls
        out = []
        try:
            for _, fd in calls.ids("prog"):
                try:
                    item = self._one(lb, calls, fd)
                finally:
                    os.close(fd)
                if item is not None:
                    out.append(item)
        except OSError as exc:
            raise from_errno(exc.errno, "can't get next program") from None
        self._forget(out)
        return out

    def _one(self, lb, calls, fd):
        buf, size = self._buf, self._size
        ctypes.memset(self._addr, 0, size)
        if self._map_ids:
            struct.pack_into("=IQ", buf, _NR_MAP_IDS_AT, len(self._ids),
                             ctypes.addressof(self._ids))
        ret = calls.info(fd, self._addr, size)
        if ret not in (0, -errno.ENODEV):
            return None
        type_number, prog_id, tag, jited, xlated = _HEAD.unpack_from(buf)
        run_time_ns, run_cnt, misses = _RUN.unpack_from(buf, _RUN_AT)
        tag = tag.hex()
        known = self._names.get((prog_id, tag))
        if known is None:
            known = self._names[(prog_id, tag)] = self._describe(lb, fd)
        map_ids = ()
        if self._map_ids:
            count = _NR_MAP_IDS.unpack_from(buf, _NR_MAP_IDS_AT)[0]
            if count > len(self._ids):
                self._ids = (ctypes.c_uint32 * count)()
                return self._one(lb, calls, fd)
            map_ids = tuple(self._ids[:count])
        memlock = None
        if self._memlock:  # fixed for a program's life: read once
            memlock = self._memlocks.get((prog_id, tag))
            if memlock is None:
                value = procfs.fdinfo_field(fd, "memlock")
                memlock = int(value) if value and value.isdigit() else None
                self._memlocks[(prog_id, tag)] = memlock
        return model.ProgCounters(prog_id, known[0], known[1], tag, run_time_ns, run_cnt,
                                  misses, xlated, jited, memlock, map_ids)

    @staticmethod
    def _describe(lb, fd):
        """(type, full name) of the program `fd`: names the kernel cut at 15 characters come
        from BTF, once per program."""
        info = uapi.bpf_prog_info()
        objects.get_info(fd, info)
        type_name = lb.libbpf_bpf_prog_type_str(info.type)
        type_name = type_name.decode() if type_name else info.type
        raw = uapi.cstr(info.name)
        if len(raw) >= BPF_OBJ_NAME_LEN - 1:
            raw = prog_full_name(fd, info)
        return type_name, raw
