"""`map show`: a map's text and JSON views side by side (bpftool's map.c, show_map_close_plain
and show_map_close_json), and the header both give each map of a multi-map dump."""

from bpfinspect.views.prog import type_text
from bpfinspect.views.shared import (device_json, device_text, no_encoded_text, pids_json,
                                     pids_text, pins_text)
from bpfinspect.views.textsafe import safe


def header_text(m):
    """The first line of `map show`, which also heads each map of a multi-map dump."""
    out = ["%u: %s  " % (m.id, type_text(m.type))]
    if m.name:
        out.append("name %s  " % safe(m.name))
    out.append("flags 0x%x" % m.flags)
    out.append(device_text(m.device))
    out.append("\n")
    return "".join(out)


def text(m):
    out = [header_text(m)[:-1]]
    out.append("\n\tkey %uB  value %uB  max_entries %u" % (m.bytes_key, m.bytes_value,
                                                          m.max_entries))
    if m.bytes_memlock is not None:
        out.append("  memlock %dB" % m.bytes_memlock)
    if m.owner_prog_type is not None or m.owner_jited is not None:
        out.append("\n\t")
        if m.owner_prog_type is not None:
            out.append("owner_prog_type %s  " % m.owner_prog_type)
        if m.owner_jited is not None:
            out.append("owner%s jited" % ("" if m.owner_jited else " not"))
    out.append(pins_text(m.pinned))
    if m.btf_id or m.frozen:
        out.append("\n\t")
    if m.btf_id:
        out.append("btf_id %u" % m.btf_id)
    if m.frozen:
        out.append("%sfrozen" % ("  " if m.btf_id else ""))
    out.append(pids_text(m.pids))
    out.append("\n")
    return "".join(out)


def header_json(m):
    """show_map_header_json: what heads each map of a multi-map dump."""
    d = {"id": m.id, "type": m.type}
    if m.name:
        d["name"] = m.name
    d["flags"] = m.flags
    return d


plain_json = no_encoded_text  # json() never holds Encoded text


def json(m):
    d = header_json(m)
    if m.device is not None:
        d["dev"] = device_json(m.device)
    d["bytes_key"] = m.bytes_key
    d["bytes_value"] = m.bytes_value
    d["max_entries"] = m.max_entries
    if m.bytes_memlock is not None:
        d["bytes_memlock"] = m.bytes_memlock
    if m.owner_prog_type is not None:
        d["owner_prog_type"] = m.owner_prog_type
    if m.owner_jited is not None:
        d["owner_jited"] = m.owner_jited
    d["frozen"] = m.frozen
    if m.btf_id:
        d["btf_id"] = m.btf_id
    if m.pinned is not None:
        d["pinned"] = list(m.pinned)
    pids_json(m, d)
    return d
