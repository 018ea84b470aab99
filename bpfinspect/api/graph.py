"""`graph`: BPF objects and how they relate, as one model.Graph.

What is read, once: every program, map and link with the processes holding them and where
they are pinned; the current contents of prog_array maps (tail calls) and of map-in-map
maps (inner maps); the programs in struct_ops maps; each link's attach point. Attach points
come from links only: programs attached without a link (netlink XDP, tc filters, cgroup
attachments made with BPF_PROG_ATTACH, perf events a process holds) are not drawn.

assemble() is pure (records in, Graph out) so that a hand-built system can be drawn;
neighbourhood() narrows a Graph to what a selector names."""

import os

from bpfinspect import model
from bpfinspect.errors import BpfError, NoSuchObject, UsageError

KIND_ORDER = {kind: i for i, kind in enumerate(model.GRAPH_KINDS)}

SELECTOR_KINDS = ("prog", "map", "link", "pid", "cgroup", "dev")


class Contents:
    """What collect() read beside the records: {prog_array map id: program ids},
    {map-in-map id: inner map ids}, {struct_ops map id: program ids}, {cgroup id: path},
    the ids of kernel BTF objects (vmlinux and modules), and notes on what failed."""

    def __init__(self, tail_calls=None, inner_maps=None, struct_ops=None, cgroups=None,
                 kernel_btf_ids=(), notes=()):
        self.tail_calls = tail_calls or {}
        self.inner_maps = inner_maps or {}
        self.struct_ops = struct_ops or {}
        self.cgroups = cgroups or {}
        self.kernel_btf_ids = frozenset(kernel_btf_ids)
        self.notes = list(notes)


def _sort_key(node):
    kind, _, rest = node.id.partition(":")
    number = rest.split(":", 1)[0]
    return (KIND_ORDER[node.kind], kind, (0, int(number), rest) if number.isdigit()
            else (1, 0, rest))


def _attach(detail, link, contents):
    """(node id, label, fields) of a link's attach point; None when it has none (the link
    binds to a map instead, or its type has no body)."""
    d = detail
    if isinstance(d, model.LinkCgroup):
        path = contents.cgroups.get(d.cgroup_id)
        where = path if path is not None else "cgroup id %u" % d.cgroup_id
        return ("cgroup:%s:%s" % (d.attach_type, where), "cgroup %s\n%s" % (where, d.attach_type),
                (("path", path), ("cgroup_id", d.cgroup_id), ("attach_type", d.attach_type)))
    if isinstance(d, model.LinkDevice):
        dev = d.devname if d.devname is not None else "ifindex %u" % d.ifindex
        hook = d.attach_type or link.type
        return ("dev:%s:%s" % (dev, hook), "%s\n%s" % (dev, hook),
                (("dev", d.devname), ("ifindex", d.ifindex), ("hook", hook)))
    if isinstance(d, model.LinkNetns):
        return ("netns:%u:%s" % (d.netns_ino, d.attach_type),
                "netns %u\n%s" % (d.netns_ino, d.attach_type),
                (("netns_ino", d.netns_ino), ("attach_type", d.attach_type)))
    if isinstance(d, model.LinkRawTracepoint):
        return ("tracepoint:%s" % d.tp_name, "raw tracepoint\n%s" % d.tp_name,
                (("tracepoint", d.tp_name),))
    if isinstance(d, model.LinkTracepoint):
        return ("tracepoint:%s" % d.tracepoint, "tracepoint\n%s" % d.tracepoint,
                (("tracepoint", d.tracepoint),))
    if isinstance(d, model.LinkKprobe):
        probe = "kretprobe" if d.retprobe else "kprobe"
        func = "%s+%u" % (d.func, d.offset) if d.offset else str(d.func)
        return ("kfunc:%s:%s" % (probe, func), "%s\n%s" % (probe, func),
                (("probe", probe), ("function", d.func), ("offset", d.offset)))
    if isinstance(d, model.LinkKprobeMulti):
        probe = "kretprobe_multi" if d.retprobe else "kprobe_multi"
        return ("kfunc:%s:link%u" % (probe, link.id), "%s\n%u functions" % (probe, d.func_cnt),
                (("probe", probe), ("functions", [f.func for f in d.funcs])))
    if isinstance(d, model.LinkUprobe):
        probe = "uretprobe" if d.retprobe else "uprobe"
        return ("uprobe:%s:%s+0x%x" % (probe, d.file, d.offset),
                "%s\n%s+0x%x" % (probe, d.file, d.offset),
                (("probe", probe), ("path", d.file), ("offset", d.offset)))
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


def _traced_program(detail, prog_ids, contents):
    """The program a tracing link's program traces or replaces (fentry/fexit on a program,
    freplace), or None when its target is a kernel function."""
    d = detail
    if not isinstance(d, model.LinkTracing) or not d.target_obj_id:
        return None
    if d.target_obj_id in contents.kernel_btf_ids and d.prog_type != "ext":
        return None
    return d.target_obj_id if d.target_obj_id in prog_ids else None


class _Builder:
    def __init__(self):
        self.nodes = {}
        self.edges = set()

    def node(self, node_id, kind, label, fields=()):
        if node_id not in self.nodes:
            self.nodes[node_id] = (kind, label, tuple(fields))
        return node_id

    def edge(self, src, dst, kind):
        self.edges.add((src, dst, kind))

    def holders(self, obj_id, pids):
        for owner in pids or ():
            proc = self.node("proc:%d" % owner.pid, "process",
                             "%s (%d)" % (owner.comm, owner.pid),
                             (("pid", owner.pid), ("comm", owner.comm)))
            self.edge(proc, obj_id, "holds")

    def pins(self, obj_id, pinned):
        for path in pinned or ():
            pin = self.node("pin:" + path, "pin", path, (("path", path),))
            self.edge(obj_id, pin, "pinned")

    def graph(self, notes=()):
        held = {}
        for src, dst, kind in self.edges:
            if kind == "holds":
                held.setdefault(dst, set()).add(int(src[5:]))
        nodes = [model.GraphNode(node_id, kind, label, fields,
                                 holder=min(held[node_id]) if len(held.get(node_id, ())) == 1
                                 else None)
                 for node_id, (kind, label, fields) in self.nodes.items()]
        nodes.sort(key=_sort_key)
        edges = [model.GraphEdge(*e) for e in sorted(self.edges)
                 if e[0] in self.nodes and e[1] in self.nodes]
        return model.Graph(tuple(nodes), tuple(edges), tuple(notes))


def assemble(programs, maps, links, contents, btf=False):
    """The model.Graph of these records (model.Program, Map, Link) and `contents`
    (Contents); `btf`: BTF objects as nodes too."""
    b = _Builder()
    prog_ids = {p.id for p in programs}
    map_ids = {m.id for m in maps}
    for p in programs:
        pid = b.node("prog:%d" % p.id, "program", "%s %s\nid %d" % (p.type, p.name, p.id),
                     (("object_id", p.id), ("type", p.type), ("name", p.name)))
        b.holders(pid, p.pids)
        b.pins(pid, p.pinned)
        for map_id in p.map_ids:
            if map_id in map_ids:
                b.edge(pid, "map:%d" % map_id, "uses")
                for target in contents.tail_calls.get(map_id, ()):
                    if target in prog_ids:
                        b.edge(pid, "prog:%d" % target, "tail_calls")
        if btf and p.btf_id:
            b.edge(pid, "btf:%d" % p.btf_id, "btf")
    for m in maps:
        mid = b.node("map:%d" % m.id, "map", "%s %s\nid %d" % (m.type, m.name, m.id),
                     (("object_id", m.id), ("type", m.type), ("name", m.name)))
        b.holders(mid, m.pids)
        b.pins(mid, m.pinned)
        for inner in contents.inner_maps.get(m.id, ()):
            if inner in map_ids:
                b.edge(mid, "map:%d" % inner, "inner_map")
        for prog_id in contents.struct_ops.get(m.id, ()):
            if prog_id in prog_ids:
                b.edge(mid, "prog:%d" % prog_id, "struct_ops")
        if btf and m.btf_id:
            b.edge(mid, "btf:%d" % m.btf_id, "btf")
    for link in links:
        lid = b.node("link:%d" % link.id, "link", "%s link\nid %d" % (link.type, link.id),
                     (("object_id", link.id), ("type", link.type)))
        b.holders(lid, link.pids)
        b.pins(lid, link.pinned)
        if link.prog_id in prog_ids:
            b.edge("prog:%d" % link.prog_id, lid, "binds")
        d = link.detail
        target_map = getattr(d, "map_id", None)
        if isinstance(d, (model.LinkStructOps, model.LinkSockmap)) and target_map in map_ids:
            b.edge(lid, "map:%d" % target_map, "attached")
        traced = _traced_program(d, prog_ids, contents)
        if traced is not None and link.prog_id in prog_ids:
            b.edge("prog:%d" % link.prog_id, "prog:%d" % traced, "traces")
            continue
        point = _attach(d, link, contents) if d is not None else None
        if point is not None:
            node_id, label, fields = point
            b.node(node_id, "attach", label, fields)
            b.edge(lid, node_id, "attached")
    if btf:
        ids = {int(dst[4:]) for _src, dst, kind in b.edges if kind == "btf"}
        for btf_id in ids:
            b.node("btf:%d" % btf_id, "btf", "btf\nid %d" % btf_id, (("object_id", btf_id),))
    return b.graph(contents.notes)


def neighbourhood(graph, seeds, depth=None):
    """The part of `graph` within `depth` edges (either direction; None: any number) of the
    node ids `seeds`."""
    adjacent = {}
    for e in graph.edges:
        adjacent.setdefault(e.src, set()).add(e.dst)
        adjacent.setdefault(e.dst, set()).add(e.src)
    keep = set(seeds)
    frontier = set(seeds)
    level = 0
    while frontier and (depth is None or level < depth):
        nxt = set()
        for node_id in frontier:
            nxt |= adjacent.get(node_id, set())
        frontier = nxt - keep
        keep |= frontier
        level += 1
    return model.Graph(tuple(n for n in graph.nodes if n.id in keep),
                       tuple(e for e in graph.edges if e.src in keep and e.dst in keep),
                       graph.notes)


def seeds_of(graph, kind, value):
    """The node ids a selector names: kind "prog", "map", "link" with a list of object ids;
    "pid" with a pid; "cgroup" with a directory path; "dev" with a device name. UsageError
    when they name nothing in the graph."""
    ids = {n.id for n in graph.nodes}
    if kind in ("prog", "map", "link"):
        found = ["%s:%d" % (kind, i) for i in value if "%s:%d" % (kind, i) in ids]
        what = "%s %s" % (kind, " ".join(str(i) for i in value))
    elif kind == "pid":
        found = ["proc:%d" % value] if "proc:%d" % value in ids else []
        what = "no BPF object held by process %d" % value
    elif kind == "cgroup":
        want = os.path.realpath(value).rstrip("/") or "/"
        found = [n.id for n in graph.nodes if n.kind == "attach"
                 and dict(n.fields).get("path") == want]
        what = "no program attached through a link to cgroup %s" % value
    elif kind == "dev":
        found = [n.id for n in graph.nodes if n.kind == "attach"
                 and dict(n.fields).get("dev") == value]
        what = "no program attached through a link to device %s" % value
    else:
        raise UsageError("unknown selector '%s'" % kind)
    if not found:
        if kind in ("prog", "map", "link"):
            raise NoSuchObject("%s is not in the graph" % what)
        raise NoSuchObject(what)
    return found


# --- reading the kernel ------------------------------------------------------------------

def _u32s(entries):
    out = set()
    for entry in entries:
        value = entry.value
        if isinstance(value, bytes) and len(value) >= 4:
            out.add(int.from_bytes(value[:4], "little"))
    return sorted(out)


def _cgroup_paths(ids):
    """{cgroup id: path} for the cgroup ids wanted, found by walking the cgroup2 mount (a
    cgroup's id is its directory's inode number)."""
    from bpfinspect.kernel import cgroups

    root = cgroups.cgroup2_root()
    found = {}
    if root is None:
        return found
    try:
        for path, _level in cgroups.walk(root):
            try:
                ino = os.stat(path).st_ino
            except OSError:
                continue
            if ino in ids and ino not in found:
                found[ino] = path
                if len(found) == len(ids):
                    break
    except OSError:
        pass
    return found


def _struct_ops_programs(notes):
    from bpfinspect.api import struct_ops

    out = {}
    try:
        for dump in struct_ops.iter_dumps():
            out[_dump_map_id(dump)] = sorted(dump.prog_names)
    except BpfError as exc:
        notes.append("struct_ops maps not read: %s" % exc.message)
    return out


def _dump_map_id(dump):
    # bpf_map_info starts with type (u32) then id (u32)
    return int.from_bytes(dump.map_info[4:8], "little")


def collect(btf=False):
    """Read everything the graph needs from the kernel: (programs, maps, links, Contents)."""
    from bpfinspect.api import listing

    programs = list(listing.iter_records("prog", pinned=True, pids=True, metadata=False))
    maps = list(listing.iter_records("map", pinned=True, pids=True, metadata=False))
    links = list(listing.iter_records("link", pinned=True, pids=True, metadata=False))
    contents = Contents()
    for m in maps:
        if m.type not in ("prog_array", "array_of_maps", "hash_of_maps"):
            continue
        try:
            ids = _u32s(m.entries())
        except NoSuchObject:
            continue
        except BpfError as exc:
            contents.notes.append("map %d not read: %s" % (m.id, exc.message))
            continue
        if m.type == "prog_array":
            contents.tail_calls[m.id] = ids
        else:
            contents.inner_maps[m.id] = ids
    if any(m.type == "struct_ops" for m in maps):
        contents.struct_ops = _struct_ops_programs(contents.notes)
    cgroup_ids = {k.detail.cgroup_id for k in links
                  if isinstance(k.detail, model.LinkCgroup)}
    if cgroup_ids:
        contents.cgroups = _cgroup_paths(cgroup_ids)
    if any(isinstance(k.detail, model.LinkTracing) for k in links):
        contents.kernel_btf_ids = frozenset(
            b.id for b in listing.iter_records("btf", pids=False, metadata=False) if b.kernel)
    return programs, maps, links, contents


def graph(selector=None, depth=None, btf=False):
    """The model.Graph of the running system; `selector` (kind, value) narrows it to the
    neighbourhood of what it names: ("prog"|"map"|"link", model.Selector), ("pid", int),
    ("cgroup", path), ("dev", name); `depth`: how many edges out (None: the connected
    component)."""
    if selector is not None and selector[0] in ("prog", "map", "link"):
        from bpfinspect.api import listing

        kind, sel = selector
        ids = [r.id for r in listing.selected_records(kind, sel, pids=False, metadata=False)]
        selector = (kind, ids)
    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    g = assemble(*collect(btf), btf=btf)
    if selector is None:
        return g
    return neighbourhood(g, seeds_of(g, *selector), depth)
