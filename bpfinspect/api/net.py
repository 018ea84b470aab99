"""`net show`: where programs are attached to the network, gathered as bpftool 7.8 gathers
it (RTM_GETLINK for XDP; per device tcx/netkit queries, then cls_bpf filters under each
class and qdisc, root, clsact ingress and egress; the netns' flow dissector; every netfilter
link), with fewer requests where the answers are known: the qdisc dump, the same for every
device, is made once, and devices without a qdisc that could hold a filter get no tc dumps."""

from bpfinspect import model
from bpfinspect.errors import BpfError
from bpfinspect.kernel import netattach

_XDP_MODES = {1: "driver", 2: "generic", 3: "offload"}
_MULTI = (("IFLA_XDP_SKB_PROG_ID", "generic"), ("IFLA_XDP_DRV_PROG_ID", "driver"),
          ("IFLA_XDP_HW_PROG_ID", "offload"))


def _xdp(ifindex, name, attrs):
    if not attrs:
        return None
    mode = attrs.get("IFLA_XDP_ATTACHED") or 0
    if mode == 0:
        return None
    if mode == 4:
        return model.NetXdp(devname=name, ifindex=ifindex, multi_attachments=tuple(
            (m, attrs[a]) for a, m in _MULTI if attrs.get(a) is not None))
    if mode not in _XDP_MODES or attrs.get("IFLA_XDP_PROG_ID") is None:
        # bpftool prints the device alone (no mode it knows, or no prog id)
        return model.NetXdp(devname=name, ifindex=ifindex)
    return model.NetXdp(devname=name, ifindex=ifindex, mode=_XDP_MODES[mode],
                        id=attrs["IFLA_XDP_PROG_ID"])


def _classic(rtnl, name, ifindex, qdiscs):
    """cls_bpf filters of one device; a failed dump ends the device's list, as in bpftool.
    `qdiscs` is rtnl.qdiscs()."""
    from bpfinspect.kernel.netlink import TC_H_CLSACT, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS, TC_H_ROOT

    out = []
    try:
        parents = rtnl.tc_parents(ifindex, qdiscs)
        parents += [("root", TC_H_ROOT),
                    ("clsact/ingress", (TC_H_CLSACT & 0xFFFF0000) | TC_H_MIN_INGRESS),
                    ("clsact/egress", (TC_H_CLSACT & 0xFFFF0000) | TC_H_MIN_EGRESS)]
        for kind, handle in parents:
            for fname, fid, acts in rtnl.bpf_filters(ifindex, handle):
                out.append(model.NetTcFilter(devname=name, ifindex=ifindex, kind=kind,
                                             name=fname, id=fid,
                                             act=tuple(acts) if acts is not None else None))
    except BpfError:
        pass
    return out


def _qdiscs(rtnl):
    """(rtnl.qdiscs(), the ifindexes that may have classes or filters). A device whose qdiscs
    are none or noqueue (noop, a down device's, is never dumped) has neither: noqueue and noop
    have no class operations, and no qdisc of its own has the handle a filter dump asks under,
    so its class and filter dumps, empty, are not made. When the qdisc dump fails, every
    device's list ends there, as each of bpftool's per-device qdisc dumps would."""
    try:
        qdiscs = rtnl.qdiscs()
    except BpfError:
        return [], set()
    return qdiscs, {idx for idx, kind, _handle in qdiscs if kind != "noqueue"}


def show(dev=None):
    """model.NetShow of this process's network namespace; `dev` (a device name) limits the
    xdp and tc sections to that device."""
    from bpfinspect.kernel.netlink import Rtnl

    ifindex = netattach.device_index(dev) if dev is not None else None
    flow = netattach.flow_dissector_id()
    xdp, tc = [], []
    with Rtnl() as rtnl:
        devices = [d for d in rtnl.links() if ifindex is None or d[0] == ifindex]
        for idx, name, attrs, _kind in devices:
            x = _xdp(idx, name, attrs)
            if x is not None:
                xdp.append(x)
        qdiscs, classful = _qdiscs(rtnl) if devices else ([], set())
        names = {}  # program names by id
        for idx, name, _attrs, kind in devices:
            # netkit hooks answer on netkit devices only (ENXIO elsewhere): asked there only
            tc.extend(netattach.tc_programs(name, idx, netkit=kind == "netkit", names=names))
            if idx in classful:
                tc.extend(_classic(rtnl, name, idx, qdiscs))
    return model.NetShow(xdp=tuple(xdp), tc=tuple(tc), flow_dissector=flow,
                         netfilter=tuple(netattach.netfilter_links()))
