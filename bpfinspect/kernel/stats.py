"""Run-time statistics: switching them on with BPF_ENABLE_STATS for as long as a file
descriptor is held, and reading every program's counters cheaply (one bpf_prog_info per
program, reusing one buffer; names that need BTF are looked up once per program)."""

import os

from bpfinspect import model
from bpfinspect.constants import BPF_STATS_ENABLED, BPF_STATS_RUN_TIME, BPF_OBJ_NAME_LEN
from bpfinspect.errors import from_errno
from bpfinspect.kernel import procfs, syscalls, uapi
from bpfinspect.kernel.info import prog_full_name, prog_info
from bpfinspect.kernel.proginfo import ProgInfoReader
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


class CounterReader:
    """Reads every program's counters; keeps the names and types it has resolved, so that a
    refresh costs one open, one bpf_prog_info and one close per program, and no ctypes
    structure (the info is read into one reused buffer and unpacked at once)."""

    def __init__(self, memlock=False, map_ids=False):
        self._memlock = memlock
        self._map_ids = map_ids
        self._names = {}  # (id, tag) -> (type, name)
        self._calls = syscalls.HotBpf()
        self._reader = ProgInfoReader(self._calls)
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
        read, close, counters = self._reader.read, os.close, model.ProgCounters
        out = []
        append = out.append
        try:
            for _, fd in self._walk():
                got = read(fd, False)
                if got is None:
                    close(fd)
                    continue
                f = got[0]
                prog_id, tag = f[1], f[2].hex()
                known = names.get((prog_id, tag))
                if known is None:
                    known = names[(prog_id, tag)] = describe(lb, fd, f)
                close(fd)
                append(counters(prog_id, known[0], known[1], tag, f[15], f[16], f[17], f[4],
                                f[3], None, ()))
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
        got = self._reader.read(fd, self._map_ids)
        if got is None:
            return None
        f, map_ids, _orphaned = got
        prog_id, tag = f[1], f[2].hex()
        known = self._names.get((prog_id, tag))
        if known is None:
            known = self._names[(prog_id, tag)] = self._describe(lb, fd, f)
        memlock = None
        if self._memlock:  # fixed for a program's life: read once
            memlock = self._memlocks.get((prog_id, tag))
            if memlock is None:
                value = procfs.fdinfo_field(fd, "memlock")
                memlock = int(value) if value and value.isdigit() else None
                self._memlocks[(prog_id, tag)] = memlock
        return model.ProgCounters(prog_id, known[0], known[1], tag, f[15], f[16], f[17], f[4],
                                  f[3], memlock, map_ids)

    @staticmethod
    def _describe(lb, fd, fields):
        """(type, full name) of the program `fd` whose ProgInfoReader `fields` are given:
        names the kernel cut at 15 characters come from BTF, once per program."""
        type_name = lb.libbpf_bpf_prog_type_str(fields[0])
        type_name = type_name.decode() if type_name else fields[0]
        raw = uapi.cstr(fields[8])
        if len(raw) >= BPF_OBJ_NAME_LEN - 1:
            raw = prog_full_name(fd, prog_info(fd)[0])
        return type_name, raw
