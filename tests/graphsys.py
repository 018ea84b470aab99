"""A small system of BPF objects with known relations, for tests/test_graph.py, made with raw
bpf(2) and held by this process until its stdin closes:

    python -m tests.graphsys BPFFS CGROUP_DIR NETNS_PATH IFNAME

- gr_caller (socket filter) uses the prog_array gr_jmp, which holds gr_target (a tail call);
  gr_caller is pinned at BPFFS/graph/caller;
- the array_of_maps gr_outer holds the array gr_inner;
- gr_cg (cgroup_skb) has a cgroup link on CGROUP_DIR (ingress);
- gr_xdp has an XDP link on IFNAME in the network namespace NETNS_PATH.

Prints {"pid", "caller", "target", "cg", "xdp", "jmp", "outer", "inner", "cg_link",
"xdp_link", "pin"} (ids) on one line."""

import ctypes
import json
import os
import socket
import sys

from tests.linkhooks import (A_CG_INGRESS, A_XDP, PT_CGROUP_SKB, PT_XDP, _libc, _ptr,
                             link_create, prog_load, u64)
from tests.nethooks import BPF_OBJ_GET_INFO_BY_FD, obj_pin, object_id, sys_bpf, u32s

BPF_MAP_CREATE, BPF_MAP_UPDATE_ELEM, BPF_PROG_LOAD = 0, 2, 5
MAP_ARRAY, MAP_PROG_ARRAY, MAP_ARRAY_OF_MAPS = 2, 3, 12
PT_SOCKET_FILTER = 1


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
    ns = os.open(netns_path, os.O_RDONLY)
    if _libc.setns(ns, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    xdp = prog_load(PT_XDP, "gr_xdp", 2, A_XDP)
    xdp_link = link_create(xdp, socket.if_nametoindex(ifname), A_XDP)
    for name, fd in (("caller", caller), ("target", target), ("cg", cg_prog), ("xdp", xdp),
                     ("cg_link", cg_link), ("xdp_link", xdp_link)):
        out[name] = object_id(fd)
    for name, fd in (("jmp", jmp), ("outer", outer), ("inner", inner)):
        out[name] = map_id(fd)
    print(json.dumps(out), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(*sys.argv[1:5])
