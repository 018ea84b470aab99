"""bpftool's JSON output (-j, -p), always valid JSON."""

from bpfinspect.output.jsonw import JsonStream


def _type(name, number):
    return name if name is not None else number


def _dev(device):
    d = {"ifindex": device.ifindex, "ns_dev": device.ns_dev, "ns_inode": device.ns_inode}
    if device.ifname is not None:
        d["ifname"] = device.ifname
    return d


def _pids(obj, d):
    if obj.pids:
        d["pids"] = [{"pid": o.pid, "comm": o.comm} for o in obj.pids]


def prog_json(p):
    d = {"id": p.id, "type": _type(p.type_name, p.type)}
    if p.name:
        d["name"] = p.name
    d["tag"] = p.tag
    d["gpl_compatible"] = p.gpl_compatible
    if p.run_time_ns:
        d["run_time_ns"] = p.run_time_ns
        d["run_cnt"] = p.run_cnt
    if p.recursion_misses:
        d["recursion_misses"] = p.recursion_misses
    if p.device is not None:
        d["dev"] = _dev(p.device)
    if p.loaded_at is not None:
        d["loaded_at"] = p.loaded_at
        d["uid"] = p.uid
    d["orphaned"] = p.orphaned
    d["bytes_xlated"] = p.bytes_xlated
    d["jited"] = bool(p.bytes_jited)
    if p.bytes_jited:
        d["bytes_jited"] = p.bytes_jited
    if p.bytes_memlock is not None:
        d["bytes_memlock"] = p.bytes_memlock
    if p.map_ids:
        d["map_ids"] = list(p.map_ids)
    if p.btf_id:
        d["btf_id"] = p.btf_id
    if p.pinned is not None:
        d["pinned"] = list(p.pinned)
    _pids(p, d)
    return d


def map_json(m):
    d = {"id": m.id, "type": _type(m.type_name, m.type)}
    if m.name:
        d["name"] = m.name
    d["flags"] = m.flags
    if m.device is not None:
        d["dev"] = _dev(m.device)
    d["bytes_key"] = m.bytes_key
    d["bytes_value"] = m.bytes_value
    d["max_entries"] = m.max_entries
    if m.bytes_memlock is not None:
        d["bytes_memlock"] = m.bytes_memlock
    if m.owner_prog_type is not None:
        d["owner_prog_type"] = _type(m.owner_prog_type_name, m.owner_prog_type)
    if m.owner_jited is not None:
        d["owner_jited"] = m.owner_jited
    d["frozen"] = m.frozen
    if m.btf_id:
        d["btf_id"] = m.btf_id
    if m.pinned is not None:
        d["pinned"] = list(m.pinned)
    _pids(m, d)
    return d


def btf_json(b):
    d = {"id": b.id, "size": b.size, "prog_ids": list(b.prog_ids), "map_ids": list(b.map_ids)}
    _pids(b, d)
    d["kernel"] = b.kernel
    if b.name:
        d["name"] = b.name
    return d


CONVERTERS = {"prog": prog_json, "map": map_json, "btf": btf_json}


class JsonFormatter:
    name = "json"

    def __init__(self, out, pretty=False):
        self.stream = JsonStream(out, pretty)

    def objects(self, kind, items, listing=False):
        """`listing`: every object of a kind, always an array; otherwise the objects a
        selector matched, an array only when there are several."""
        convert = CONVERTERS[kind]
        if not listing:
            items = list(items)
            if len(items) == 1:
                self.stream.value(convert(items[0]))
                return
        self.stream.begin_array()
        for item in items:
            self.stream.value(convert(item))
        self.stream.end_array()

    def error(self, message):
        self.stream.value({"error": message})

    def null(self):
        self.stream.value(None)

    def close(self):
        self.stream.close()
