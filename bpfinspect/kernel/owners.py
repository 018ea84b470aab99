"""Which processes hold each BPF object (`pids`): the /proc walk or the kernel's task_file
iterator, whichever is cheaper for this host.

The walk (procfs.owners) costs a readlink per open file of every process; the iterator
(pid_iter.owners) costs a fixed ~15 ms (libbpf parsing vmlinux BTF, once per process, and
a program load) and then little per file. With few processes the walk wins; with many the
iterator does (figures in the README). Counting /proc's entries is cheap, so the choice is
made by the number of processes: the iterator from ITER_FROM processes on.

The iterator is only a faster way to the same table: any failure (no BTF, no privileges,
a verifier that refuses it, an old kernel, libbpf missing) falls back on the walk, silently.
It also steps aside when bpfinspect runs in a child pid namespace (the iterator reports
pids as the initial namespace numbers them, /proc as ours does).

BPFINSPECT_PIDS=procfs forces the walk, BPFINSPECT_PIDS=iter the iterator (still with the
fallback); the tests use both.
"""

import os

from bpfinspect.kernel import pid_iter, procfs

ITER_FROM = 400  # processes
PROC_PID_INIT_INO = 0xEFFFFFFC  # include/linux/proc_ns.h: the initial pid namespace
_failed = []  # the iterator failed once: this process does not try it again


def owners(kind, how=None):
    """{object id: [(pid, comm), ...]}, in pid order, one entry per process, bpfinspect
    itself left out. `how`: "procfs", "iter" or None (BPFINSPECT_PIDS, else by host)."""
    how = how or os.environ.get("BPFINSPECT_PIDS") or "auto"
    if how != "procfs" and not _failed and _initial_pid_ns() and (
            how == "iter" or pid_iter.ready() or _many_processes()):
        try:
            return pid_iter.owners(kind)
        except Exception as exc:  # noqa: BLE001 - any failure: the walk gives the same table
            _failed.append(exc)
    return procfs.owners(kind)


def _many_processes():
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    return sum(1 for name in entries if name[0] in "123456789") >= ITER_FROM


def _initial_pid_ns():
    try:
        return os.stat("/proc/self/ns/pid").st_ino == PROC_PID_INIT_INO
    except OSError:
        return False
