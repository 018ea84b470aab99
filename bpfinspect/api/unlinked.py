"""Where programs are attached without a link, for `graph`, read with the readers of
`net show`, `cgroup tree` and `perf show`: XDP through netlink, tcx and netkit programs
attached with BPF_PROG_ATTACH, classic cls_bpf filters and the netns' flow dissector
(`net`); programs attached to cgroups with BPF_PROG_ATTACH (`cgroup`); perf events a
process holds with a program (`perf`). Every reader also lists what links attached: the
graph leaves those out (they are drawn through their links).

Each reader returns (records, notes): a failure is a note, never an error of `graph`."""

import os

from bpfinspect.errors import BpfError, strerror

# the program types each reader can find attached (its walk is skipped when a graph has none)
NET_TYPES = frozenset(("xdp", "sched_cls", "sched_act", "flow_dissector"))
CGROUP_TYPES = frozenset(("cgroup_skb", "cgroup_sock", "cgroup_sock_addr", "sock_ops",
                          "cgroup_device", "cgroup_sysctl", "cgroup_sockopt", "lsm"))
# bpf_task_fd_query answers for tracepoint, kprobe and uprobe events (perf_event programs on
# hardware or software events: EOPNOTSUPP); its raw_tracepoint answers are links
PERF_TYPES = frozenset(("tracepoint", "kprobe"))
TYPES = {"net": NET_TYPES, "cgroup": CGROUP_TYPES, "perf": PERF_TYPES}


def net():
    """(model.NetShow of this process's network namespace, the namespace's inode number),
    or (None, None) when it cannot be read."""
    from bpfinspect.api import net as api_net

    try:
        ino = os.stat("/proc/self/ns/net").st_ino
        return (api_net.show(), ino), []
    except BpfError as exc:
        return (None, None), ["network attachments not read: %s" % exc.message]
    except OSError as exc:
        return (None, None), ["network attachments not read: %s" % strerror(exc.errno)]


def cgroup():
    """([model.CgroupNode of each cgroup with programs attached to it (not inherited): ids,
    attach types and flags, names None], {cgroup id (inode): path}) for the whole cgroup2
    tree, walked as `cgroup tree` walks it; a cgroup that cannot be read is skipped."""
    from bpfinspect import model
    from bpfinspect.kernel import cgroups

    root = cgroups.cgroup2_root()
    nodes, paths, notes = [], {}, []
    if root is None:
        return (nodes, paths), notes
    skipped = 0
    with cgroups.Querier(False) as q:
        try:
            for path, _level in cgroups.walk(root):
                fd = cgroups.open_cgroup(path)
                if fd is None:
                    skipped += 1
                    continue
                try:
                    paths.setdefault(os.fstat(fd).st_ino, path)
                    progs = q.attached(fd)
                finally:
                    os.close(fd)
                if progs:
                    nodes.append(model.CgroupNode(cgroup=path, programs=tuple(progs)))
        except OSError as exc:
            notes.append("cgroups not read: can't iterate over %s: %s"
                         % (root, strerror(exc.errno)))
    if skipped:
        notes.append("%d cgroups could not be opened" % skipped)
    return (nodes, paths), notes


def perf():
    """([model.PerfAttachment], {pid: comm} of the processes holding them)."""
    from bpfinspect.api import perf as api_perf
    from bpfinspect.kernel import procfs

    try:
        found = list(api_perf.attachments())
    except BpfError as exc:
        return ([], {}), ["perf events not read: %s" % exc.message]
    comms = {}
    for a in found:
        if a.pid not in comms:
            comms[a.pid] = procfs.comm(a.pid)
    return (found, comms), []
