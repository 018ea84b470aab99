"""A small system of BPF objects with known relations, for tests/test_graph.py, made with raw
bpf(2) and held by this process until its stdin closes:

    python -m tests.graphsys BPFFS CGROUP_DIR NETNS_PATH IFNAME

- gr_caller (socket filter) uses the prog_array gr_jmp, which holds gr_target (a tail call);
  gr_caller is pinned at BPFFS/graph/caller;
- the array_of_maps gr_outer holds the array gr_inner;
- gr_cg (cgroup_skb) has a cgroup link on CGROUP_DIR (ingress);
- gr_xdp has an XDP link on IFNAME in the network namespace NETNS_PATH.

and attachments without a link:
- gr_cg2 (cgroup_skb) attached with BPF_PROG_ATTACH (multi) on CGROUP_DIR's ingress, beside
  gr_cg's link; gr_cg_eg on its egress (no flags), its fd closed (no process holds it);
- gr_nl_xdp attached through netlink (`ip link set dev PEER xdpgeneric`) on IFNAME's veth
  peer PEER (grv1: one device cannot have generic and driver XDP at once);
- gr_tc a direct-action cls_bpf filter on IFNAME's clsact ingress (`tc filter`), unpinned,
  its fd closed: only the filter keeps it;
- gr_tcx2 attached with BPF_PROG_ATTACH on IFNAME's tcx ingress, beside gr_tcx's tcx link;
- gr_flow, the flow dissector of NETNS_PATH, attached with BPF_PROG_ATTACH;
- gr_tp (tracepoint) on syscalls:sys_enter_getpgid and gr_up (kprobe type) on a uprobe of
  this Python at UPROBE_OFFSET, each with PERF_EVENT_IOC_SET_BPF on a perf event this
  process keeps open; their program fds are closed.

Prints {"pid", "caller", "target", "cg", "xdp", "jmp", "outer", "inner", "cg_link",
"xdp_link", "pin", "cg2", "cg_eg", "nl_xdp", "tc", "tp", "up", "tcx", "tcx_link", "tcx2",
"flow", "up_path", "netns_ino"} (ids, paths) on one line."""

import ctypes
import json
import os
import socket
import subprocess
import sys

from tests.linkhooks import (A_CG_EGRESS, A_CG_INGRESS, A_FLOW_DISSECTOR, A_TCX_INGRESS, A_XDP,
                             PT_CGROUP_SKB, PT_FLOW_DISSECTOR, PT_KPROBE, PT_SCHED_CLS,
                             PT_TRACEPOINT, PT_XDP, _libc, _ptr, link_create,
                             perf_event_open, prog_load, u64)
from tests.nethooks import BPF_OBJ_GET_INFO_BY_FD, obj_pin, object_id, sys_bpf, u32s

BPF_MAP_CREATE, BPF_MAP_UPDATE_ELEM, BPF_PROG_LOAD = 0, 2, 5
MAP_ARRAY, MAP_PROG_ARRAY, MAP_ARRAY_OF_MAPS = 2, 3, 12
PT_SOCKET_FILTER = 1
BPF_PROG_ATTACH, BPF_F_ALLOW_MULTI = 8, 2
PERF_EVENT_IOC_SET_BPF = 0x40042408  # _IOW('$', 8, __u32)
PERF_TYPE_TRACEPOINT = 2
TRACEPOINT = "sys_enter_getpgid"
UPROBE_OFFSET = 0x1010
PEER = "grv1"


def map_create(map_type, entries, name, inner_fd=0):
    attr = u32s(map_type, 4, 4, entries, 0, inner_fd, 0) + name.encode().ljust(16, b"\0")
    return sys_bpf(BPF_MAP_CREATE, attr)[0]


def map_id(fd):
    info = ctypes.create_string_buffer(256)
    sys_bpf(BPF_OBJ_GET_INFO_BY_FD, u32s(fd, 256) + ctypes.addressof(info).to_bytes(8, "little"))
    return int.from_bytes(info.raw[4:8], "little")


def update(fd, key, value):
    k = ctypes.create_string_buffer(u32s(key), 4)
    v = ctypes.create_string_buffer(u32s(value), 4)
    sys_bpf(BPF_MAP_UPDATE_ELEM, u32s(fd, 0) + _ptr(k) + _ptr(v) + u64(0))


def load_using(map_fd, name):
    """A socket filter whose code loads the map `map_fd` (so that it uses it), then returns 0."""
    insns = (bytes([0x18, 0x11, 0, 0]) + u32s(map_fd) + bytes(8)  # r1 = map (pseudo map fd)
             + bytes([0xb7, 0, 0, 0]) + u32s(0) + bytes.fromhex("9500000000000000"))
    code = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = (u32s(PT_SOCKET_FILTER, len(insns) // 8) + _ptr(code) + _ptr(lic) + u32s(0, 0)
            + u64(0) + u32s(0, 0) + name.encode().ljust(16, b"\0"))
    return sys_bpf(BPF_PROG_LOAD, attr)[0]


def prog_attach(prog_fd, target_fd, attach_type, flags):
    sys_bpf(BPF_PROG_ATTACH, u32s(target_fd, prog_fd, attach_type, flags))


def perf_attach(perf_fd, prog_fd):
    if _libc.ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, prog_fd) != 0:
        raise OSError(ctypes.get_errno(), "PERF_EVENT_IOC_SET_BPF")


def attached_by(prog_fd, pin, *argv):
    """Run `argv` (ip or tc, with the program pinned at `pin`), then unpin it."""
    obj_pin(prog_fd, pin)
    try:
        subprocess.run(argv, check=True, capture_output=True)
    finally:
        os.unlink(pin)


def main(bpffs, cgroup_dir, netns_path, ifname):
    out = {"pid": os.getpid()}
    jmp = map_create(MAP_PROG_ARRAY, 4, "gr_jmp")
    caller = load_using(jmp, "gr_caller")
    target = prog_load(PT_SOCKET_FILTER, "gr_target")
    update(jmp, 1, target)
    os.makedirs(os.path.join(bpffs, "graph"), exist_ok=True)
    out["pin"] = os.path.join(bpffs, "graph", "caller")
    obj_pin(caller, out["pin"])
    inner = map_create(MAP_ARRAY, 1, "gr_inner")
    outer = map_create(MAP_ARRAY_OF_MAPS, 2, "gr_outer", inner)
    update(outer, 0, inner)
    cg_prog = prog_load(PT_CGROUP_SKB, "gr_cg", 1, A_CG_INGRESS)
    cg = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    cg_link = link_create(cg_prog, cg, A_CG_INGRESS)
    cg2 = prog_load(PT_CGROUP_SKB, "gr_cg2", 1, A_CG_INGRESS)
    prog_attach(cg2, cg, A_CG_INGRESS, BPF_F_ALLOW_MULTI)
    cg_eg = prog_load(PT_CGROUP_SKB, "gr_cg_eg", 1, A_CG_EGRESS)
    prog_attach(cg_eg, cg, A_CG_EGRESS, 0)
    with open("/sys/kernel/tracing/events/syscalls/%s/id" % TRACEPOINT) as f:
        tp_perf = perf_event_open(PERF_TYPE_TRACEPOINT, int(f.read()))
    tp = prog_load(PT_TRACEPOINT, "gr_tp")
    perf_attach(tp_perf, tp)
    with open("/sys/bus/event_source/devices/uprobe/type") as f:
        uprobe_type = int(f.read())
    out["up_path"] = os.path.realpath(sys.executable)
    path = ctypes.create_string_buffer(out["up_path"].encode())
    up_perf = perf_event_open(uprobe_type, 0, ctypes.addressof(path), UPROBE_OFFSET)
    up = prog_load(PT_KPROBE, "gr_up")
    perf_attach(up_perf, up)
    ns = os.open(netns_path, os.O_RDONLY)
    if _libc.setns(ns, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    xdp = prog_load(PT_XDP, "gr_xdp", 2, A_XDP)
    ifindex = socket.if_nametoindex(ifname)
    xdp_link = link_create(xdp, ifindex, A_XDP)
    tcx = prog_load(PT_SCHED_CLS, "gr_tcx", 0, A_TCX_INGRESS)
    tcx_link = link_create(tcx, ifindex, A_TCX_INGRESS)
    tcx2 = prog_load(PT_SCHED_CLS, "gr_tcx2", 0, A_TCX_INGRESS)
    prog_attach(tcx2, ifindex, A_TCX_INGRESS, 0)
    flow = prog_load(PT_FLOW_DISSECTOR, "gr_flow", 1, A_FLOW_DISSECTOR)
    prog_attach(flow, 0, A_FLOW_DISSECTOR, 0)  # this process's netns
    out["netns_ino"] = os.fstat(ns).st_ino
    nl_xdp = prog_load(PT_XDP, "gr_nl_xdp", 2)
    attached_by(nl_xdp, os.path.join(bpffs, "graph", "nl_xdp"),
                "ip", "link", "set", "dev", PEER, "xdpgeneric", "pinned",
                os.path.join(bpffs, "graph", "nl_xdp"))
    tc = prog_load(PT_SCHED_CLS, "gr_tc")
    subprocess.run(["tc", "qdisc", "add", "dev", ifname, "clsact"], check=True,
                   capture_output=True)
    attached_by(tc, os.path.join(bpffs, "graph", "tc"),
                "tc", "filter", "add", "dev", ifname, "ingress", "bpf", "da", "pinned",
                os.path.join(bpffs, "graph", "tc"))
    for name, fd in (("caller", caller), ("target", target), ("cg", cg_prog), ("xdp", xdp),
                     ("cg_link", cg_link), ("xdp_link", xdp_link), ("cg2", cg2),
                     ("cg_eg", cg_eg), ("nl_xdp", nl_xdp), ("tc", tc), ("tp", tp),
                     ("up", up), ("tcx", tcx), ("tcx_link", tcx_link), ("tcx2", tcx2),
                     ("flow", flow)):
        out[name] = object_id(fd)
    for fd in (cg_eg, tc, tp, up):  # held by their attachments only
        os.close(fd)
    for name, fd in (("jmp", jmp), ("outer", outer), ("inner", inner)):
        out[name] = map_id(fd)
    print(json.dumps(out), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(*sys.argv[1:5])
