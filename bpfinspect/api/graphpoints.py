"""Attach points of `graph`: the node id, label and fields of where a program is attached,
through a link (link_point) or without one (the records of `net show`, `cgroup tree` and
`perf show`: xdp_points, tc_points, flow_dissector_point, cgroup_points, perf_points). One
id scheme for both, so that a link and an attachment without a link on the same hook share
the node:

    cgroup:ATTACH_TYPE:PATH     dev:NAME:HOOK         netns:INO:ATTACH_TYPE
    tracepoint:NAME             kfunc:PROBE:FUNC      uprobe:PROBE:PATH+0xOFFSET
    perf:TYPE:CONFIG:linkID     netfilter:PF:HOOK:PRIO    iter:TARGET

HOOK is a link's attach type (tcx_ingress, netkit_peer; xdp for an XDP link), the XDP mode
as iproute2 names it (xdp for driver mode, xdpgeneric, xdpoffload), or the parent of a
classic tc filter as `net show` names it (clsact/ingress, clsact/egress, root, or the
qdisc's kind)."""

from bpfinspect import model

# NetXdp modes -> hooks
XDP_HOOKS = {"driver": "xdp", "generic": "xdpgeneric", "offload": "xdpoffload"}


def cgroup_point(attach_type, cgroup_id, path):
    where = path if path is not None else "cgroup id %u" % cgroup_id
    return ("cgroup:%s:%s" % (attach_type, where), "cgroup %s\n%s" % (where, attach_type),
            (("path", path), ("cgroup_id", cgroup_id), ("attach_type", attach_type)))


def device_point(devname, ifindex, hook):
    dev = devname if devname is not None else "ifindex %u" % ifindex
    return ("dev:%s:%s" % (dev, hook), "%s\n%s" % (dev, hook),
            (("dev", devname), ("ifindex", ifindex), ("hook", hook)))


def netns_point(netns_ino, attach_type):
    return ("netns:%u:%s" % (netns_ino, attach_type), "netns %u\n%s" % (netns_ino, attach_type),
            (("netns_ino", netns_ino), ("attach_type", attach_type)))


def tracepoint_point(name):
    return ("tracepoint:%s" % name, "tracepoint\n%s" % name, (("tracepoint", name),))


def kprobe_point(retprobe, func, offset):
    probe = "kretprobe" if retprobe else "kprobe"
    where = "%s+%u" % (func, offset) if offset else str(func)
    return ("kfunc:%s:%s" % (probe, where), "%s\n%s" % (probe, where),
            (("probe", probe), ("function", func), ("offset", offset)))


def uprobe_point(retprobe, path, offset):
    probe = "uretprobe" if retprobe else "uprobe"
    return ("uprobe:%s:%s+0x%x" % (probe, path, offset), "%s\n%s+0x%x" % (probe, path, offset),
            (("probe", probe), ("path", path), ("offset", offset)))


def link_point(detail, link, contents):
    """(node id, label, fields) of a link's attach point; None when it has none (the link
    binds to a map instead, or its type has no body)."""
    d = detail
    if isinstance(d, model.LinkCgroup):
        return cgroup_point(d.attach_type, d.cgroup_id, contents.cgroups.get(d.cgroup_id))
    if isinstance(d, model.LinkDevice):
        return device_point(d.devname, d.ifindex, d.attach_type or link.type)
    if isinstance(d, model.LinkNetns):
        return netns_point(d.netns_ino, d.attach_type)
    if isinstance(d, model.LinkRawTracepoint):
        return ("tracepoint:%s" % d.tp_name, "raw tracepoint\n%s" % d.tp_name,
                (("tracepoint", d.tp_name),))
    if isinstance(d, model.LinkTracepoint):
        return tracepoint_point(d.tracepoint)
    if isinstance(d, model.LinkKprobe):
        return kprobe_point(d.retprobe, d.func, d.offset)
    if isinstance(d, model.LinkKprobeMulti):
        probe = "kretprobe_multi" if d.retprobe else "kprobe_multi"
        return ("kfunc:%s:link%u" % (probe, link.id), "%s\n%u functions" % (probe, d.func_cnt),
                (("probe", probe), ("functions", [f.func for f in d.funcs])))
    if isinstance(d, model.LinkUprobe):
        return uprobe_point(d.retprobe, d.file, d.offset)
    if isinstance(d, model.LinkUprobeMulti):
        probe = "uretprobe_multi" if d.retprobe else "uprobe_multi"
        offsets = [f.offset for f in d.funcs]
        return ("uprobe:%s:%s:link%u" % (probe, d.path, link.id),
                "%s\n%s (%u offsets)" % (probe, d.path, d.func_cnt),
                (("probe", probe), ("path", d.path), ("offsets", offsets)))
    if isinstance(d, model.LinkPerfEvent):
        return ("perf:%s:%s:link%u" % (d.event_type, d.event_config, link.id),
                "perf event\n%s %s" % (d.event_type, d.event_config),
                (("event_type", d.event_type), ("event_config", d.event_config)))
    if isinstance(d, model.LinkNetfilter):
        return ("netfilter:%s:%s:%d" % (d.pf, d.hook, d.prio),
                "netfilter %s\nhook %s prio %d" % (d.pf, d.hook, d.prio),
                (("pf", d.pf), ("hook", d.hook), ("prio", d.prio)))
    if isinstance(d, model.LinkIter):
        return ("iter:%s" % d.target_name, "iterator\n%s" % d.target_name,
                (("target", d.target_name),))
    if isinstance(d, model.LinkTracing) and d.target_obj_id in contents.kernel_btf_ids:
        return ("kfunc:%s:btf%u:%u" % (d.attach_type, d.target_obj_id, d.target_btf_id),
                "%s\nbtf %u type %u" % (d.attach_type, d.target_obj_id, d.target_btf_id),
                (("attach_type", d.attach_type), ("btf_id", d.target_obj_id),
                 ("btf_type_id", d.target_btf_id)))
    return None


# --- attachments without a link: (prog id, (node id, label, fields)) or with a pid --------

def xdp_points(xdp):
    """From `net show`'s NetXdp records: one per (mode, program)."""
    for x in xdp:
        pairs = x.multi_attachments if x.multi_attachments else ((x.mode, x.id),)
        for mode, prog_id in pairs:
            if prog_id:
                yield prog_id, device_point(x.devname, x.ifindex, XDP_HOOKS.get(mode, "xdp"))


def tc_points(tc):
    """From `net show`'s NetTcx (those without a link: the hook as a link's attach type
    names it, tcx_ingress, netkit_peer...) and NetTcFilter records."""
    for t in tc:
        if isinstance(t, model.NetTcx):
            if not t.link_id:
                yield t.prog_id, device_point(t.devname, t.ifindex, t.kind.replace("/", "_"))
        elif t.id:
            yield t.id, device_point(t.devname, t.ifindex, t.kind)


def flow_dissector_point(prog_id, netns_ino):
    if prog_id and netns_ino is not None:
        yield prog_id, netns_point(netns_ino, "flow_dissector")


def cgroup_points(nodes, paths_to_ids):
    """From CgroupNode records (`paths_to_ids`: {path: cgroup id})."""
    for node in nodes:
        for p in node.programs:
            yield p.id, cgroup_point(p.attach_type, paths_to_ids.get(node.cgroup), node.cgroup)


def perf_point(a):
    """The attach point of a PerfAttachment, None for a raw tracepoint (its fd is a link)."""
    kind = a.fd_type
    if kind == "tracepoint":
        return tracepoint_point(a.name)
    if kind in ("kprobe", "kretprobe"):
        if a.name:
            return kprobe_point(kind == "kretprobe", a.name, a.offset)
        return kprobe_point(kind == "kretprobe", "0x%x" % a.addr, 0)
    if kind in ("uprobe", "uretprobe"):
        return uprobe_point(kind == "uretprobe", a.name, a.offset)
    return None
