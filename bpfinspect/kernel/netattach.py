"""BPF programs attached to network hooks, as `net show` asks for them: BPF_PROG_QUERY on a
device's tcx/netkit hooks and on the netns' flow dissector, and the netfilter links.

BPF_PROG_QUERY is issued with bpf(2) directly: libbpf 1.1's bpf_prog_query_opts cannot ask
for link ids (tcx links)."""

import ctypes
import errno
import os
from ctypes import c_uint32

from bpfinspect import model
from bpfinspect.constants import (
    BPF_FLOW_DISSECTOR,
    BPF_LINK_TYPE_NETFILTER,
    BPF_PROG_QUERY,
    NET_QUERY_MAX,
    NET_TC_LOCATIONS,
)
from bpfinspect.errors import BpfError, NoSuchObject, strerror
from bpfinspect.kernel import info as kinfo
from bpfinspect.kernel import objects, syscalls, uapi

_buffers = {}


def prog_query(target, attach_type, count=NET_QUERY_MAX):
    """(prog ids, prog attach flags, link ids, link attach flags) attached at `target` (an
    ifindex or an fd), or a negated errno."""
    bufs = _buffers.get(count)
    if bufs is None:  # reused: `net show` asks four times per device
        bufs = _buffers[count] = tuple((c_uint32 * count)() for _ in range(4))
    ids, pflags, lids, lflags = bufs
    attr = uapi.bpf_attr_query(target_fd=target, attach_type=attach_type,
                               prog_ids=ctypes.addressof(ids), count=count,
                               prog_attach_flags=ctypes.addressof(pflags),
                               link_ids=ctypes.addressof(lids),
                               link_attach_flags=ctypes.addressof(lflags))
    ret = syscalls.bpf(BPF_PROG_QUERY, attr)
    if ret < 0:
        return ret
    n = min(attr.count, count)
    return tuple(ids[:n]), tuple(pflags[:n]), tuple(lids[:n]), tuple(lflags[:n])


def flow_dissector_id():
    """The flow dissector program of this process's netns, 0 if none (bpftool asks for one)."""
    try:
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    except OSError as exc:
        raise BpfError("can't open /proc/self/ns/net: %s" % strerror(exc.errno),
                       exc.errno) from None
    try:
        ret = prog_query(fd, BPF_FLOW_DISSECTOR, 1)
    finally:
        os.close(fd)
    if isinstance(ret, int):
        if ret == -errno.EINVAL:  # older kernels cannot query flow dissectors
            return 0
        raise BpfError("can't query prog: %s" % strerror(-ret), -ret)
    return ret[0][0] if len(ret[0]) == 1 else 0


def _bits(flags):
    return tuple(1 << j for j in range(32) if flags & (1 << j))


def prog_name(prog_id):
    """A program's full name, None if it has none or is gone."""
    try:
        obj = objects.open_by_id("prog", prog_id)
    except BpfError:
        return None
    with obj:
        info = uapi.bpf_prog_info()
        if objects.get_info(obj.fd, info) != 0 or not info.name[0]:
            return None
        return kinfo.prog_full_name(obj.fd, info)


def tc_programs(devname, ifindex):
    """NetTcx records of the device's tcx and netkit hooks, in bpftool's order; a hook
    that cannot be queried (no netkit device) has none."""
    out = []
    for attach_type, kind in NET_TC_LOCATIONS:
        ret = prog_query(ifindex, attach_type)
        if isinstance(ret, int):
            continue
        for prog_id, pflags, link_id, lflags in zip(*ret):
            out.append(model.NetTcx(devname=devname, ifindex=ifindex, kind=kind,
                                    name=prog_name(prog_id), prog_id=prog_id,
                                    prog_flags=_bits(pflags), link_id=link_id,
                                    link_flags=_bits(lflags)))
    return out


def netfilter_links():
    """NetFilterLink of every netfilter link, sorted as bpftool sorts them (pf, hook, prio,
    flags); links that vanish while they are walked are skipped."""
    found = []
    for obj in objects.walk("link"):
        with obj:
            info = uapi.bpf_link_info()
            ret = objects.get_info(obj.fd, info)
        if ret != 0 or info.type != BPF_LINK_TYPE_NETFILTER:
            continue
        nf = info.netfilter
        found.append(model.NetFilterLink(pf=nf.pf, hook=nf.hooknum, prio=nf.priority,
                                         flags=nf.flags, id=info.prog_id))
    found.sort(key=lambda n: (n.pf, n.hook, n.prio, n.flags))
    return found


def device_index(name):
    """The ifindex of device `name` (if_nametoindex); NoSuchObject with bpftool's message."""
    import socket

    try:
        return socket.if_nametoindex(name)
    except (OSError, ValueError):
        raise NoSuchObject("invalid devname %s" % name, errno.ENODEV) from None
