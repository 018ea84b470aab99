"""`cgroup show` and `cgroup tree`: bpftool 7.8's padded columns (trailing pad spaces kept)
and JSON. Where bpftool prints a bare newline with -j (`show` of a cgroup without programs),
bpfinspect writes `[]`."""

from bpfinspect.model import CgroupShow
from bpfinspect.views.textsafe import safe


def header_text(effective):
    if effective:
        return "%-8s %-15s %-15s\n" % ("ID", "AttachType", "Name")
    return "%-8s %-15s %-15s %-15s\n" % ("ID", "AttachType", "AttachFlags", "Name")


def row_text(p):
    s = "%s%-8u " % ("    " if p.level else "", p.id)
    if isinstance(p.attach_type, str):
        s += "%-15s" % p.attach_type
    else:
        s += "type %-10u" % p.attach_type
    if p.attach_flags is None:
        s += " %-15s" % safe(p.name)
    else:
        s += " %-15s %-15s" % (p.attach_flags, safe(p.name))
    if p.attach_btf_name is not None:
        s += " %-15s" % safe(p.attach_btf_name)
    elif p.attach_btf_id:
        s += " attach_btf_obj_id=%u attach_btf_id=%u" % (p.attach_btf_obj_id, p.attach_btf_id)
    return s + "\n"


def row_json(p):
    d = {"id": p.id, "attach_type": p.attach_type}
    if p.attach_flags is not None:
        d["attach_flags"] = p.attach_flags
    d["name"] = p.name
    if p.attach_btf_name is not None:
        d["attach_btf_name"] = p.attach_btf_name
    d["attach_btf_obj_id"] = p.attach_btf_obj_id
    d["attach_btf_id"] = p.attach_btf_id
    return d


def write_text(out, doc):
    if isinstance(doc, CgroupShow):
        if doc.programs is None:
            return
        out.write(header_text(doc.effective) + "".join(row_text(p) for p in doc.programs))
        return
    out.write("CgroupPath\n" + header_text(doc.effective))
    for node in doc.cgroups:
        out.write(safe(node.cgroup) + "\n" + "".join(row_text(p) for p in node.programs))


def write_json(stream, doc):
    stream.begin_array()
    if isinstance(doc, CgroupShow):
        for p in doc.programs or ():
            stream.value(row_json(p))
    else:
        for node in doc.cgroups:
            stream.value({"cgroup": node.cgroup, "programs": [row_json(p) for p in node.programs]})
    stream.end_array()
