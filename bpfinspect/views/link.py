"""`link show`: a link's text and JSON views side by side (bpftool 7.8's link.c,
show_link_close_plain and show_link_close_json)."""

from bpfinspect import model
from bpfinspect.constants import NF_ARP_HOOK_NAMES, NF_INET_HOOK_NAMES, NF_PF_NAMES
from bpfinspect.views.shared import no_encoded_text, pids_text, pins_text
from bpfinspect.views.textsafe import safe


def _type_text(value):
    return value if isinstance(value, str) else "type %u" % value


def _attach_text(value):
    return "attach_type %s  " % (value if isinstance(value, str) else "%u" % value)


def _ifindex_text(d):
    if not d.ifindex:
        name = "(detached)"
    elif d.devname is None:
        name = "(unknown)"
    else:
        name = "%s(%u)" % (safe(d.devname), d.ifindex)
    return "ifindex %s  " % name


def netfilter_text(d):
    """bpftool's netfilter_dump_plain."""
    pfname = NF_PF_NAMES.get(d.pf)
    hooks = {1: NF_INET_HOOK_NAMES, 2: NF_INET_HOOK_NAMES, 7: NF_INET_HOOK_NAMES,
             10: NF_INET_HOOK_NAMES, 3: NF_ARP_HOOK_NAMES}.get(d.pf, ())
    hookname = hooks[d.hook] if d.hook < len(hooks) else None
    s = "\n\t%s" % pfname if pfname else "\n\tpf: %u" % d.pf
    s += " %s" % hookname if hookname else ", hook %u," % d.hook
    s += " prio %d" % d.prio
    if d.flags:
        s += " flags 0x%x" % d.flags
    return s


def _body_text(d):
    if d is None:
        return ""
    if isinstance(d, model.LinkRawTracepoint):
        s = "\n\ttp '%s'  " % safe(d.tp_name)
        return s + ("cookie %u  " % d.cookie if d.cookie else "")
    if isinstance(d, model.LinkTracing):
        s = "\n\tprog_type %s  " % d.prog_type + _attach_text(d.attach_type)
        if d.target_obj_id or d.target_btf_id:
            s += "\n\ttarget_obj_id %u  target_btf_id %u  " % (d.target_obj_id,
                                                               d.target_btf_id)
        if d.cookie:
            s += "\n\tcookie %u  " % d.cookie
        return s
    if isinstance(d, model.LinkCgroup):
        return "\n\tcgroup_id %u  " % d.cgroup_id + _attach_text(d.attach_type)
    if isinstance(d, model.LinkIter):
        s = "target_name %s  " % safe(d.target_name)
        if d.map_id is not None:
            s += "map_id %u  " % d.map_id
        elif d.tid is not None:
            s += "tid %u " % d.tid
        elif d.pid is not None:
            s += "pid %u " % d.pid
        if d.cgroup_id is not None:
            s += "cgroup_id %u  order %s  " % (d.cgroup_id, d.order)
        return s
    if isinstance(d, model.LinkNetns):
        return "\n\tnetns_ino %u  " % d.netns_ino + _attach_text(d.attach_type)
    if isinstance(d, model.LinkNetfilter):
        return netfilter_text(d)
    if isinstance(d, model.LinkDevice):
        s = "\n\t" + _ifindex_text(d)
        return s + (_attach_text(d.attach_type) if d.attach_type is not None else "")
    if isinstance(d, model.LinkSockmap):
        return "\n\tmap_id %u  " % d.map_id + _attach_text(d.attach_type)
    if isinstance(d, model.LinkKprobeMulti):
        return _kprobe_multi_text(d)
    if isinstance(d, model.LinkUprobeMulti):
        return _uprobe_multi_text(d)
    if isinstance(d, model.LinkKprobe):
        if d.func == "" and not d.addr:
            return ""
        s = "\n\tkretprobe " if d.retprobe else "\n\tkprobe "
        if d.addr:
            s += "%x " % d.addr
        s += safe(d.func)
        if d.offset:
            s += "+%#x" % d.offset
        if d.missed:
            s += "  missed %u" % d.missed
        if d.cookie:
            s += "  cookie %u" % d.cookie
        return s + "  "
    if isinstance(d, model.LinkUprobe):
        if d.file == "":
            return ""
        s = "\n\turetprobe " if d.retprobe else "\n\tuprobe "
        s += "%s+%s  " % (safe(d.file), "%#x" % d.offset if d.offset else "0")
        if d.cookie:
            s += "cookie %u  " % d.cookie
        if d.ref_ctr_offset:
            s += "ref_ctr_offset 0x%x  " % d.ref_ctr_offset
        return s
    if isinstance(d, model.LinkTracepoint):
        if d.tracepoint == "":
            return ""
        s = "\n\ttracepoint %s  " % safe(d.tracepoint)
        return s + ("cookie %u  " % d.cookie if d.cookie else "")
    if isinstance(d, model.LinkPerfEvent):
        s = "\n\tevent "
        s += ("%s:" % d.event_type if isinstance(d.event_type, str)
              else "%u :" % d.event_type)
        s += "%s  " % d.event_config
        return s + ("cookie %u  " % d.cookie if d.cookie else "")
    return ""


def _kprobe_multi_text(d):
    if not d.func_cnt:
        return ""
    s = "\n\tkretprobe.multi  " if d.retprobe else "\n\tkprobe.multi  "
    s += "func_cnt %u  " % d.func_cnt
    if d.missed:
        s += "missed %u  " % d.missed
    if d.funcs is None:
        return s
    out = [s, "\n\t%-16s %-16s %s" % ("addr", "cookie", "func [module]")]
    for f in d.funcs:
        out.append("\n\t%016x %-16x %s" % (f.addr, f.cookie, safe(f.func)))
        out.append(" [%s]  " % safe(f.module) if f.module else "  ")
    return "".join(out)


def _uprobe_multi_text(d):
    if not d.func_cnt:
        return ""
    out = ["\n\turetprobe.multi  " if d.retprobe else "\n\tuprobe.multi  ",
           "path %s  " % safe(d.path), "func_cnt %u  " % d.func_cnt]
    if d.pid:
        out.append("pid %u  " % (d.pid & 0xFFFFFFFF))
    out.append("\n\t%-16s   %-16s   %-16s" % ("offset", "ref_ctr_offset", "cookies"))
    for f in d.funcs:
        out.append("\n\t0x%-16x 0x%-16x 0x%-16x" % (f.offset, f.ref_ctr_offset, f.cookie))
    return "".join(out)


def text(link):
    d = link.detail
    out = ["%u: %s  " % (link.id, _type_text(link.type))]
    if isinstance(d, model.LinkStructOps):
        out.append("map %u  " % d.map_id)
    else:
        out.append("prog %u  " % link.prog_id)
    out.append(_body_text(d))
    out.append(pins_text(link.pinned))
    if link.pids and link.bpf_cookie is not None:
        out.append("\n\tbpf_cookie %u" % link.bpf_cookie)
    out.append(pids_text(link.pids))
    out.append("\n")
    return "".join(out)


def _device_json(d, out):
    if not d.ifindex:
        out["devname"] = "(detached)"
    else:
        out["devname"] = d.devname if d.devname is not None else "(unknown)"
    out["ifindex"] = d.ifindex


def body_json(d, out):
    """The type's fields, in bpftool's order, into the dict `out`."""
    if d is None:
        return
    if isinstance(d, model.LinkIter):
        out["target_name"] = d.target_name
        for key in ("map_id", "tid", "pid", "cgroup_id", "order"):
            value = getattr(d, key)
            if value is not None:
                out[key] = value
        return
    if isinstance(d, model.LinkDevice):
        _device_json(d, out)
        if d.attach_type is not None:
            out["attach_type"] = d.attach_type
        return
    if isinstance(d, model.LinkKprobeMulti):
        out["retprobe"] = d.retprobe
        out["func_cnt"] = d.func_cnt
        out["missed"] = d.missed
        out["funcs"] = [{"addr": f.addr, "func": f.func, "module": f.module,
                         "cookie": f.cookie} for f in d.funcs or ()]
        return
    if isinstance(d, model.LinkUprobeMulti):
        out["retprobe"] = d.retprobe
        out["path"] = d.path
        out["func_cnt"] = d.func_cnt
        out["pid"] = d.pid
        out["funcs"] = [{"offset": f.offset, "ref_ctr_offset": f.ref_ctr_offset,
                         "cookie": f.cookie} for f in d.funcs]
        return
    for key in d._fields:
        out[key] = getattr(d, key)


plain_json = no_encoded_text  # json() never holds Encoded text


def json(link):
    d = {"id": link.id, "type": link.type, "prog_id": link.prog_id}
    body_json(link.detail, d)
    if link.pinned is not None:
        d["pinned"] = list(link.pinned)
    if link.pids:
        if link.bpf_cookie is not None:
            d["bpf_cookie"] = link.bpf_cookie
        d["pids"] = [{"pid": o.pid, "comm": o.comm} for o in link.pids]
    return d
