"""Attach programs to network hooks with raw bpf(2), for tests/test_net.py (Debian's libbpf
1.1 and bpftool 7.1 know neither tcx nor netfilter links). Run inside the test's network
namespace (`ip netns exec NS python -m tests.nethooks SPEC...`): each link is pinned at the
path given, so it outlives this process; tcx programs attached without a link stay on the
device.

SPEC: xdp_link:IFNAME:PROG_PIN:LINK_PIN[:FLAGS] | tcx_link:IFNAME:ingress|egress:PROG_PIN:LINK_PIN
      tcx_attach:IFNAME:ingress|egress:PROG_PIN
      netfilter:PF:HOOK:PRIO:FLAGS:LINK_PIN (loads its own program, named nf_accept)
Prints each attachment's prog id and link id (0 without a link), one line each."""

import ctypes
import os
import socket
import sys

BPF_OBJ_PIN, BPF_OBJ_GET, BPF_PROG_ATTACH, BPF_LINK_CREATE, BPF_OBJ_GET_INFO_BY_FD = 6, 7, 8, 28, 15
BPF_XDP, BPF_TCX_INGRESS, BPF_TCX_EGRESS, BPF_NETFILTER = 37, 46, 47, 45
BPF_PROG_TYPE_NETFILTER = 32
BPF_PROG_LOAD = 5
_NR = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def sys_bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    ret = _libc.syscall(ctypes.c_long(_NR), ctypes.c_int(cmd), buf, ctypes.c_uint(128))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, "bpf(%d): %s" % (cmd, os.strerror(err)))
    return ret, buf


def u32s(*values):
    return b"".join(ctypes.c_uint32(v & 0xFFFFFFFF).value.to_bytes(4, "little") for v in values)


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return sys_bpf(BPF_OBJ_GET, ctypes.c_uint64(ctypes.addressof(p)).value.to_bytes(8, "little")
                   + u32s(0, 0))[0]


def obj_pin(fd, path):
    p = ctypes.create_string_buffer(path.encode())
    sys_bpf(BPF_OBJ_PIN, ctypes.addressof(p).to_bytes(8, "little") + u32s(fd, 0))


def object_id(fd):
    """The id of a prog or link fd (bpf_prog_info.id and bpf_link_info.id sit at offset 4)."""
    info = ctypes.create_string_buffer(256)
    attr = u32s(fd, 256) + ctypes.addressof(info).to_bytes(8, "little")
    sys_bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    return int.from_bytes(info.raw[4:8], "little")


def link_create(prog_fd, target, attach_type, flags=0, extra=b""):
    return sys_bpf(BPF_LINK_CREATE, u32s(prog_fd, target, attach_type, flags) + extra)[0]


def netfilter_prog():
    insns = bytes.fromhex("b700000001000000" "9500000000000000")  # r0 = 1; exit
    code = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(b"GPL")
    name = b"nf_accept".ljust(16, b"\0")
    attr = (u32s(BPF_PROG_TYPE_NETFILTER, 2) + ctypes.addressof(code).to_bytes(8, "little")
            + ctypes.addressof(lic).to_bytes(8, "little") + u32s(0, 0) + (0).to_bytes(8, "little")
            + u32s(0, 0) + name + u32s(0, BPF_NETFILTER))
    return sys_bpf(BPF_PROG_LOAD, attr)[0]


def main(specs):
    for spec in specs:
        link = None
        kind, *args = spec.split(":")
        if kind == "xdp_link":
            ifname, prog, pin, *flags = args
            fd = obj_get(prog)
            link = link_create(fd, socket.if_nametoindex(ifname), BPF_XDP,
                               int(flags[0]) if flags else 0)
            obj_pin(link, pin)
        elif kind in ("tcx_link", "tcx_attach"):
            ifname, where, prog = args[:3]
            fd = obj_get(prog)
            attach_type = BPF_TCX_INGRESS if where == "ingress" else BPF_TCX_EGRESS
            ifindex = socket.if_nametoindex(ifname)
            if kind == "tcx_link":
                link = link_create(fd, ifindex, attach_type)
                obj_pin(link, args[3])
            else:
                sys_bpf(BPF_PROG_ATTACH, u32s(ifindex, fd, attach_type, 0))
        elif kind == "netfilter":
            pf, hook, prio, flags, pin = args
            fd = netfilter_prog()
            link = link_create(fd, 0, BPF_NETFILTER, 0,
                               u32s(int(pf), int(hook), int(prio), int(flags)))
            obj_pin(link, pin)
        else:
            raise SystemExit("unknown spec %s" % spec)
        print(object_id(fd), object_id(link) if link is not None else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
