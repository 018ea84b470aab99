"""`net show`: bpftool 7.8's text and JSON of a model.NetShow.

JSON differs in one place on purpose: bpftool writes the flow dissector as
`"flow_dissector":["id":5]`, which is not JSON; bpfinspect writes `[{"id":5}]`."""

from bpfinspect.model import NetTcx
from bpfinspect.views.link import netfilter_text as link_netfilter_text
from bpfinspect.views.textsafe import safe


def xdp_text(x):
    head = "%s(%u)" % (safe(x.devname), x.ifindex)
    if x.multi_attachments is not None:
        return head + "".join(" %s id %u" % m for m in x.multi_attachments) + "\n"
    if x.mode is None:
        return head + "\n"
    return head + " %s id %u\n" % (x.mode, x.id)


def xdp_json(x):
    d = {"devname": x.devname, "ifindex": x.ifindex}
    if x.multi_attachments is not None:
        d["multi_attachments"] = [{"mode": m, "id": i} for m, i in x.multi_attachments]
    elif x.mode is not None:
        d["mode"] = x.mode
        d["id"] = x.id
    return d


def tc_text(t):
    if isinstance(t, NetTcx):
        s = "%s(%u) %s" % (safe(t.devname), t.ifindex, t.kind)
        if t.name is not None:
            s += " " + safe(t.name)
        s += " prog_id %u " % t.prog_id
        if t.prog_flags:
            s += "prog_flags " + "".join("%u " % f for f in t.prog_flags)
        if t.link_id:
            s += "link_id %u " % t.link_id
            if t.link_flags:
                s += "link_flags " + "".join("%u " % f for f in t.link_flags)
        return s + "\n"
    s = safe(t.devname) if t.devname else ""
    s += "(%u) %s" % (t.ifindex, safe(t.kind))
    if t.name is not None:
        s += " " + safe(t.name)
    if t.id is not None:
        s += " id %u" % t.id
    if t.act is not None:
        s += " act [" + "".join(
            "{%s%s}" % (safe(n) if n is not None else "", " id %u" % i if i is not None else "")
            for n, i in t.act) + "] "
    return s + "\n"


def tc_json(t):
    if isinstance(t, NetTcx):
        d = {"devname": t.devname, "ifindex": t.ifindex, "kind": t.kind}
        if t.name is not None:
            d["name"] = t.name
        d["prog_id"] = t.prog_id
        d["prog_flags"] = list(t.prog_flags)
        d["link_id"] = t.link_id
        d["link_flags"] = list(t.link_flags)
        return d
    d = {}
    if t.devname:
        d["devname"] = t.devname
    d["ifindex"] = t.ifindex
    d["kind"] = t.kind
    if t.name is not None:
        d["name"] = t.name
    if t.id is not None:
        d["id"] = t.id
    if t.act is not None:
        acts = []
        for n, i in t.act:
            a = {}
            if n is not None:
                a["name"] = n
            if i is not None:
                a["id"] = i
            acts.append(a)
        d["act"] = acts
    return d


def netfilter_text(n):
    """bpftool's netfilter_dump_plain (each entry starts its own line) + ` prog_id %u`."""
    return link_netfilter_text(n) + " prog_id %u" % n.id


def netfilter_json(n):
    return {"pf": n.pf, "hook": n.hook, "prio": n.prio, "flags": n.flags, "id": n.id}


def text(doc):
    parts = ["xdp:\n"]
    parts.extend(xdp_text(x) for x in doc.xdp)
    parts.append("\ntc:\n")
    parts.extend(tc_text(t) for t in doc.tc)
    parts.append("\nflow_dissector:\n")
    if doc.flow_dissector:
        parts.append("id %u" % doc.flow_dissector)
    parts.append("\nnetfilter:\n")
    parts.extend(netfilter_text(n) for n in doc.netfilter)
    parts.append("\n")
    return "".join(parts)


def json(doc):
    return {"xdp": [xdp_json(x) for x in doc.xdp],
            "tc": [tc_json(t) for t in doc.tc],
            "flow_dissector": [{"id": doc.flow_dissector}] if doc.flow_dissector else [],
            "netfilter": [netfilter_json(n) for n in doc.netfilter]}


def write_text(out, doc):
    out.write(text(doc))


def write_json(stream, doc):
    stream.value([json(doc)])

