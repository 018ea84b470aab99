"""Which processes hold each BPF object (`pids`): the /proc walk or the kernel's task_file
iterator, whichever is cheaper for this host.

The walk (procfs.owners) costs a listdir per process, a readlink per open fd and an fdinfo
read per BPF fd: about 1.5 ms on an idle VM of 80 processes, 0.6 to 0.8 s (200 ms on a
quiet host) with 2,000 processes holding 20 BPF fds each. The iterator (pid_iter.owners)
costs about 10 ms the first time in a process (libbpf parsing the kernel's BTF for field
offsets, the program's load), then under 1 ms idle and 13 ms busy, whatever the fds. So:
the walk below ITER_FROM processes, where it costs no more than the iterator's first
query (about 0.025 ms a plain process); the iterator from there on, and always once its
offsets are known (`prog top` and the exporter ask again and again). Counting /proc's
entries costs well under a millisecond. Where processes hold many BPF fds the walk loses
earlier (0.3 ms a process); the threshold keeps what a host of plain processes can lose
to a few milliseconds, and the big win where it matters.

The iterator is only a faster way to the same table: any failure (no BTF, no privileges,
a verifier that refuses it, an old kernel, libbpf missing) falls back on the walk,
silently, and the process does not try the iterator again. It is not tried without
CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), without /sys/kernel/btf/vmlinux, or in a child
pid namespace (the iterator reports pids as the initial namespace numbers them, /proc as
ours does).

BPFINSPECT_PIDS=procfs forces the walk, BPFINSPECT_PIDS=iter the iterator (still with the
fallback); the tests use both.
"""

import os

from bpfinspect.constants import CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, VMLINUX_BTF
from bpfinspect.kernel import procfs

ITER_FROM = 250  # processes
PROC_PID_INIT_INO = 0xEFFFFFFC  # include/linux/proc_ns.h: the initial pid namespace
_failed = []  # the iterator failed once: this process does not try it again
_answered = []  # it answered once: its offsets are known, it is the cheaper way from now on


def owners(kind, how=None):
    """{object id: [(pid, comm), ...]}, in pid order, one entry per process, bpfinspect
    itself left out. `how`: "procfs", "iter" or None (BPFINSPECT_PIDS, else by host)."""
    how = how or os.environ.get("BPFINSPECT_PIDS") or "auto"
    if how != "procfs" and not _failed and (
            how == "iter" or _answered or _many_processes()) and _possible():
        # imported only where it may be used: its modules cost a few ms to import
        from bpfinspect.kernel import pid_iter

        try:
            table = pid_iter.owners(kind)
        except Exception as exc:  # noqa: BLE001 - any failure: the walk gives the same table
            _failed.append(exc)
        else:
            _answered[:] = [True]
            return table
    return procfs.owners(kind)


def _many_processes():
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    return sum(1 for name in entries if name[0] in "123456789") >= ITER_FROM


def _possible():
    """What is cheap to check before paying for BTF: the kernel has BTF, bpfinspect may
    load a tracing program (CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN), and it runs in
    the initial pid namespace."""
    from bpfinspect.kernel.features import effective_caps  # here: only busy hosts ask

    try:
        if os.stat("/proc/self/ns/pid").st_ino != PROC_PID_INIT_INO:
            return False
        if not os.path.exists(VMLINUX_BTF):
            return False
        caps = effective_caps()
    except OSError:
        return False
    return bool(caps >> CAP_SYS_ADMIN & 1) or (caps >> CAP_BPF & 1 and caps >> CAP_PERFMON & 1)
