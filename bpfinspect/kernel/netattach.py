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
from bpfinspect.kernel import objects, syscalls, uapi

_queries = {}


def _query_buffers(count):
    """(attr, prog ids, prog flags, link ids, link flags) for queries of `count` entries,
    made once and reused: `net show` asks four times per device."""
    bufs = _queries.get(count)
    if bufs is None:
        arrays = tuple((c_uint32 * count)() for _ in range(4))
        ids, pflags, lids, lflags = arrays
        attr = uapi.bpf_attr_query(prog_ids=ctypes.addressof(ids),
                                   prog_attach_flags=ctypes.addressof(pflags),
                                   link_ids=ctypes.addressof(lids),
                                   link_attach_flags=ctypes.addressof(lflags))
        bufs = _queries[count] = (attr,) + arrays
    return bufs


def prog_query(target, attach_type, count=NET_QUERY_MAX):
    """(prog ids, prog attach flags, link ids, link attach flags) attached at `target` (an
    ifindex or an fd), or a negated errno."""
    attr, ids, pflags, lids, lflags = _query_buffers(count)
    attr.target_fd, attr.attach_type, attr.count = target, attach_type, count
    attr.query_flags = attr.attach_flags = attr.revision = 0
    ret = syscalls.bpf(BPF_PROG_QUERY, attr)
    if ret < 0:
        return ret
    n = min(attr.count, count)
    if n == 0:
        return (), (), (), ()
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
    from bpfinspect.kernel.info import prog_full_name  # only when a program is attached

    try:
        obj = objects.open_by_id("prog", prog_id)
    except BpfError:
        return None
    with obj:
        info = uapi.bpf_prog_info()
        if objects.get_info(obj.fd, info) != 0 or not info.name[0]:
            return None
        return prog_full_name(obj.fd, info)


_TCX_LOCATIONS = tuple(loc for loc in NET_TC_LOCATIONS if not loc[1].startswith("netkit/"))


def tc_programs(devname, ifindex, netkit=True, names=None):
    """NetTcx records of the device's tcx and netkit hooks, in bpftool's order; a hook
    that cannot be queried (no netkit device) has none. netkit False: the netkit hooks are
    not asked (the device is not a netkit device, where the query fails). `names`, a dict,
    keeps the programs' names by id across calls (one `net show`)."""
    names = {} if names is None else names
    out = []
    for attach_type, kind in NET_TC_LOCATIONS if netkit else _TCX_LOCATIONS:
        ret = prog_query(ifindex, attach_type)
        if isinstance(ret, int):
            continue
        for prog_id, pflags, link_id, lflags in zip(*ret):
            if prog_id not in names:
                names[prog_id] = prog_name(prog_id)
            out.append(model.NetTcx(devname=devname, ifindex=ifindex, kind=kind,
                                    name=names[prog_id], prog_id=prog_id,
                                    prog_flags=_bits(pflags), link_id=link_id,
                                    link_flags=_bits(lflags)))
    return out


def netfilter_links():
    """NetFilterLink of every netfilter link, sorted as bpftool sorts them (pf, hook, prio,
    flags); links that vanish while they are walked are skipped."""
    found = []
    for info in objects.infos("link", uapi.bpf_link_info):
        if info.type != BPF_LINK_TYPE_NETFILTER:
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
