"""Create one BPF link of each kind this kernel allows, with raw bpf(2), for tests/test_link.py
(Debian's libbpf 1.1 and bpftool 7.1 know few of these links). Programs are tiny raw
instruction arrays. Run inside the test's network namespace:

    python -m tests.linkhooks BPFFS CGROUP_DIR NETNS_PATH IFNAME [STRUCT_OPS_OBJ]

(it enters the network namespace NETNS_PATH itself, after attaching to the cgroups: `ip netns
exec` would hide the cgroup2 mount).

Each link is pinned at BPFFS/links/<name>; the process prints a JSON object
{name: {"link_id", "prog_id", ...parameters}} on one line and then keeps every link fd open
(for `pids` and `bpf_cookie`) until its stdin closes."""

import ctypes
import json
import os
import socket
import sys

from tests.nethooks import obj_pin, object_id, sys_bpf, u32s

BPF_PROG_LOAD, BPF_MAP_CREATE, BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN = 5, 0, 28, 17
(PT_KPROBE, PT_SCHED_CLS, PT_TRACEPOINT, PT_XDP, PT_CGROUP_SKB, PT_SK_SKB, PT_RAW_TP,
 PT_FLOW_DISSECTOR, PT_TRACING, PT_SK_LOOKUP, PT_NETFILTER) = 2, 3, 5, 6, 8, 14, 17, 22, 26, 30, 32
A_CG_INGRESS, A_CG_EGRESS, A_FLOW_DISSECTOR, A_TRACE_ITER, A_SK_LOOKUP = 0, 1, 17, 28, 36
A_XDP, A_SK_SKB_VERDICT, A_PERF_EVENT, A_TCX_INGRESS, A_TCX_EGRESS = 37, 38, 41, 46, 47
A_NETFILTER, A_UPROBE_MULTI, A_STRUCT_OPS = 45, 48, 44
MAP_SOCKMAP, MAP_HASH = 15, 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_PERF_NR = {"x86_64": 298, "aarch64": 241}[os.uname().machine]
_keep = []


def _ptr(buf):
    _keep.append(buf)
    return ctypes.addressof(buf).to_bytes(8, "little")


def u64(v):
    return (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def prog_load(prog_type, name, r0=0, attach_type=0, attach_btf_id=0):
    insns = bytes([0xb7, 0, 0, 0]) + r0.to_bytes(4, "little") + bytes.fromhex("9500000000000000")
    code = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = (u32s(prog_type, 2) + _ptr(code) + _ptr(lic) + u32s(0, 0) + u64(0) + u32s(0, 0)
            + name.encode().ljust(16, b"\0") + u32s(0, attach_type, 0, 0) + u64(0)
            + u32s(0, 0) + u64(0) + u32s(0, attach_btf_id))
    return sys_bpf(BPF_PROG_LOAD, attr)[0]


def link_create(prog_fd, target, attach_type, flags=0, extra=b""):
    return sys_bpf(BPF_LINK_CREATE, u32s(prog_fd, target, attach_type, flags) + extra)[0]


def vmlinux_func(name):
    from bpfinspect.kernel.libbpf import lib

    lb = lib()
    btf = lb.btf__load_vmlinux_btf()
    try:
        return lb.btf__find_by_name_kind(btf, name.encode(), 12)
    finally:
        lb.btf__free(btf)


def perf_event_open(ptype, config, config1=0, config2=0):
    attr = ctypes.create_string_buffer(128)
    raw = (u32s(ptype, 128) + u64(config) + u64(1) + u64(0) + u64(0) + u64(0) + u32s(0, 0)
           + u64(config1) + u64(config2))
    ctypes.memmove(attr, raw, len(raw))
    fd = _libc.syscall(ctypes.c_long(_PERF_NR), attr, ctypes.c_int(-1), ctypes.c_int(0),
                       ctypes.c_int(-1), ctypes.c_ulong(8))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, "perf_event_open: %s" % os.strerror(err))
    return fd


def map_create(map_type, key, value, entries, name):
    attr = u32s(map_type, key, value, entries, 0, 0, 0) + name.encode().ljust(16, b"\0")
    return sys_bpf(BPF_MAP_CREATE, attr)[0]


def struct_ops_map(path):
    """The fd of the struct_ops map of the object at `path`, loaded with BPF_F_LINK and its
    value stored (libbpf 1.1's bpf_map__attach_struct_ops), not yet registered."""
    from bpfinspect.kernel.libbpf import lib

    h = ctypes.CDLL(lib().path)
    vp = ctypes.c_void_p
    for name, res, args in (("bpf_object__open_file", vp, [ctypes.c_char_p, vp]),
                            ("bpf_object__find_map_by_name", vp, [vp, ctypes.c_char_p]),
                            ("bpf_map__set_map_flags", ctypes.c_int, [vp, ctypes.c_uint32]),
                            ("bpf_object__load", ctypes.c_int, [vp]),
                            ("bpf_map__attach_struct_ops", vp, [vp]),
                            ("bpf_map__fd", ctypes.c_int, [vp])):
        getattr(h, name).restype = res
        getattr(h, name).argtypes = args
    obj = h.bpf_object__open_file(path.encode(), None)
    m = h.bpf_object__find_map_by_name(obj, b"lk_cc")
    h.bpf_map__set_map_flags(m, 1 << 13)  # BPF_F_LINK
    if h.bpf_object__load(obj) != 0 or not h.bpf_map__attach_struct_ops(m):
        raise OSError("can't load %s" % path)
    return h.bpf_map__fd(m)


def main(bpffs, cgroup_dir, netns_path, ifname, struct_ops_obj=None):
    out = {}
    fds = []
    pins = os.path.join(bpffs, "links")
    os.makedirs(pins, exist_ok=True)

    def done(name, prog, link, **params):
        obj_pin(link, os.path.join(pins, name))
        fds.append(link)
        out[name] = dict(link_id=object_id(link), prog_id=object_id(prog) if prog else 0,
                         **params)

    # raw_tracepoint with a cookie (BPF_RAW_TRACEPOINT_OPEN, cookie since 6.10)
    prog = prog_load(PT_RAW_TP, "lk_raw_tp")
    tp = ctypes.create_string_buffer(b"sched_switch")
    link = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, _ptr(tp) + u32s(prog, 0) + u64(4242))[0]
    done("raw_tp", prog, link, tp_name="sched_switch", cookie=4242)
    prog = prog_load(PT_RAW_TP, "lk_raw_tp0")
    tp0 = ctypes.create_string_buffer(b"sys_enter")
    link = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, _ptr(tp0) + u32s(prog, 0) + u64(0))[0]
    done("raw_tp0", prog, link, tp_name="sys_enter", cookie=0)

    # cgroup links on a cgroup and its child
    for sub, attach in (("", A_CG_INGRESS), ("child", A_CG_EGRESS)):
        path = os.path.join(cgroup_dir, sub) if sub else cgroup_dir
        cg = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        prog = prog_load(PT_CGROUP_SKB, "lk_cgroup", 1, attach)
        done("cgroup" + (("_" + sub) if sub else ""), prog, link_create(prog, cg, attach),
             cgroup_id=os.stat(path).st_ino, attach_type=attach)
        os.close(cg)

    # iterators: task (with a pid), task_vma (with a tid), cgroup (with an order); map
    # element iterators are refused with EPERM at load here
    prog = prog_load(PT_TRACING, "lk_iter_task", 0, A_TRACE_ITER, vmlinux_func("bpf_iter_task"))
    info = ctypes.create_string_buffer(u32s(0, os.getpid(), 0, 0), 16)
    done("iter_task", prog, link_create(prog, 0, A_TRACE_ITER, 0, _ptr(info) + u32s(16)),
         pid=os.getpid())
    prog = prog_load(PT_TRACING, "lk_iter_vma", 0, A_TRACE_ITER,
                     vmlinux_func("bpf_iter_task_vma"))
    info = ctypes.create_string_buffer(u32s(os.getpid(), 0, 0, 0), 16)
    done("iter_task_vma", prog, link_create(prog, 0, A_TRACE_ITER, 0, _ptr(info) + u32s(16)),
         tid=os.getpid())
    cg = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    prog = prog_load(PT_TRACING, "lk_iter_cg", 0, A_TRACE_ITER, vmlinux_func("bpf_iter_cgroup"))
    info = ctypes.create_string_buffer(u32s(2, cg, 0, 0), 16)  # descendants_pre
    done("iter_cgroup", prog, link_create(prog, 0, A_TRACE_ITER, 0, _ptr(info) + u32s(16)),
         cgroup_id=os.stat(cgroup_dir).st_ino)
    os.close(cg)
    prog = prog_load(PT_TRACING, "lk_iter_maps", 0, A_TRACE_ITER,
                     vmlinux_func("bpf_iter_bpf_map"))
    done("iter_maps", prog, link_create(prog, 0, A_TRACE_ITER))

    # netns: sk_lookup and flow_dissector
    ns = os.open(netns_path, os.O_RDONLY)
    if _libc.setns(ns, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    ino = os.fstat(ns).st_ino
    prog = prog_load(PT_SK_LOOKUP, "lk_sk_lookup", 1, A_SK_LOOKUP)
    done("sk_lookup", prog, link_create(prog, ns, A_SK_LOOKUP), netns_ino=ino)
    prog = prog_load(PT_FLOW_DISSECTOR, "lk_flow", 1, A_FLOW_DISSECTOR)
    done("flow_dissector", prog, link_create(prog, ns, A_FLOW_DISSECTOR), netns_ino=ino)

    # devices: xdp, tcx ingress and egress
    ifindex = socket.if_nametoindex(ifname)
    prog = prog_load(PT_XDP, "lk_xdp", 2, A_XDP)
    done("xdp", prog, link_create(prog, ifindex, A_XDP), ifindex=ifindex)
    for where, attach in (("ingress", A_TCX_INGRESS), ("egress", A_TCX_EGRESS)):
        prog = prog_load(PT_SCHED_CLS, "lk_tcx", 0, attach)
        done("tcx_" + where, prog, link_create(prog, ifindex, attach), ifindex=ifindex)

    # netfilter on two hooks
    for name, pf, hook, prio, flags in (("nf_ip_in", 2, 1, -128, 0), ("nf_ip6_out", 10, 3, 7, 0)):
        prog = prog_load(PT_NETFILTER, "lk_nf", 1, A_NETFILTER)
        done(name, prog, link_create(prog, 0, A_NETFILTER, 0, u32s(pf, hook, prio, flags)),
             pf=pf, hook=hook, prio=prio, flags=flags)

    # perf_event links: a tracepoint and a uprobe, with cookies
    with open("/sys/kernel/tracing/events/syscalls/sys_enter_getppid/id") as f:
        tp_id = int(f.read())
    pfd = perf_event_open(2, tp_id)
    prog = prog_load(PT_TRACEPOINT, "lk_perf_tp", 0, A_PERF_EVENT)
    done("perf_tp", prog, link_create(prog, pfd, A_PERF_EVENT, 0, u64(777)),
         tracepoint="sys_enter_getppid", cookie=777)
    os.close(pfd)
    with open("/sys/bus/event_source/devices/uprobe/type") as f:
        uprobe_type = int(f.read())
    target = os.path.realpath(sys.executable)
    path = ctypes.create_string_buffer(target.encode())
    _keep.append(path)
    pfd = perf_event_open(uprobe_type, 0, ctypes.addressof(path), 0x1000)
    prog = prog_load(PT_KPROBE, "lk_perf_up", 0, A_PERF_EVENT)
    done("perf_uprobe", prog, link_create(prog, pfd, A_PERF_EVENT, 0, u64(31337)),
         file=target, offset=0x1000, cookie=31337)
    os.close(pfd)

    # uprobe_multi: two offsets with cookies, one return probe with a pid
    offs = (ctypes.c_uint64 * 2)(0x1000, 0x1010)
    refs = (ctypes.c_uint64 * 2)(0, 0)
    cookies = (ctypes.c_uint64 * 2)(11, 0x22)
    for name, flags, pid in (("uprobe_multi", 0, 0), ("uretprobe_multi", 1, os.getpid())):
        prog = prog_load(PT_KPROBE, "lk_umulti", 0, A_UPROBE_MULTI)
        extra = (_ptr(path) + _ptr(offs) + _ptr(refs) + _ptr(cookies) + u32s(2, flags, pid))
        done(name, prog, link_create(prog, 0, A_UPROBE_MULTI, 0, extra), path=target,
             offsets=[0x1000, 0x1010], cookies=[11, 0x22], pid=pid)

    # sockmap
    mfd = map_create(MAP_SOCKMAP, 4, 4, 2, "lk_sockmap")
    prog = prog_load(PT_SK_SKB, "lk_sk_skb", 1, A_SK_SKB_VERDICT)
    done("sockmap", prog, link_create(prog, mfd, A_SK_SKB_VERDICT), map_id=object_id(mfd))

    # struct_ops: a BPF tcp_congestion_ops (tests/bpf/link_struct_ops.bpf.c) registered by a link
    if struct_ops_obj:
        map_fd = struct_ops_map(struct_ops_obj)
        done("struct_ops", 0, link_create(map_fd, 0, A_STRUCT_OPS), map_id=object_id(map_fd))

    print(json.dumps(out), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(*sys.argv[1:6])
