"""`graph`: BPF objects and how they relate, as one model.Graph.

What is read, once: every program, map and link with the processes holding them and where
they are pinned; the current contents of prog_array maps (tail calls) and of map-in-map
maps (inner maps); the programs in struct_ops maps; each link's attach point; and where
programs are attached without a link (api/unlinked.py: netlink XDP, tcx without a link, tc
filters, the flow dissector; cgroup attachments made with BPF_PROG_ATTACH; perf events a
process holds), a walk each, made only when the graph (or the part a selector keeps) has a
program of a type that walk can find.

assemble() is pure (records in, Graph out) so that a hand-built system can be drawn;
neighbourhood() narrows a Graph to what a selector names."""

import os

from bpfinspect import model
from bpfinspect.api import graphpoints as points
from bpfinspect.errors import BpfError, NoSuchObject, UsageError

KIND_ORDER = {kind: i for i, kind in enumerate(model.GRAPH_KINDS)}

SELECTOR_KINDS = ("prog", "map", "link", "pid", "cgroup", "dev")


class Contents:
    """What collect() read beside the records: {prog_array map id: program ids},
    {map-in-map id: inner map ids}, {struct_ops map id: program ids}, {cgroup id: path},
    the ids of kernel BTF objects (vmlinux and modules), and notes on what failed; and the
    attachments without a link: `net` (model.NetShow) with `netns_ino` (its namespace's
    inode), `cgroup_nodes` (model.CgroupNode), `perf` (model.PerfAttachment) with `comms`
    ({pid: comm}); `walked`: the names of the walks made ("net", "cgroup", "perf")."""

    def __init__(self, tail_calls=None, inner_maps=None, struct_ops=None, cgroups=None,
                 kernel_btf_ids=(), notes=(), net=None, netns_ino=None, cgroup_nodes=(),
                 perf=(), comms=None):
        self.tail_calls = tail_calls or {}
        self.inner_maps = inner_maps or {}
        self.struct_ops = struct_ops or {}
        self.cgroups = cgroups or {}
        self.kernel_btf_ids = frozenset(kernel_btf_ids)
        self.notes = list(notes)
        self.net = net
        self.netns_ino = netns_ino
        self.cgroup_nodes = list(cgroup_nodes)
        self.perf = list(perf)
        self.comms = comms or {}
        self.walked = set()


def _sort_key(node):
    kind, _, rest = node.id.partition(":")
    number = rest.split(":", 1)[0]
    return (KIND_ORDER[node.kind], kind, (0, int(number), rest) if number.isdigit()
            else (1, 0, rest))


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
            self.edge(self.process(owner.pid, owner.comm), obj_id, "holds")

    def process(self, pid, comm):
        return self.node("proc:%d" % pid, "process", "%s (%d)" % (comm, pid),
                         (("pid", pid), ("comm", comm)))

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
    # (prog id, attach point id) of every link; (prog id, ifindex) of XDP links
    bound, xdp_bound = set(), set()
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
        point = points.link_point(d, link, contents) if d is not None else None
        if point is not None:
            node_id, label, fields = point
            b.node(node_id, "attach", label, fields)
            b.edge(lid, node_id, "attached")
            bound.add((link.prog_id, node_id))
            if isinstance(d, model.LinkDevice) and d.attach_type is None:
                xdp_bound.add((link.prog_id, d.ifindex))
    _unlinked(b, contents, prog_ids, bound, xdp_bound)
    if btf:
        ids = {int(dst[4:]) for _src, dst, kind in b.edges if kind == "btf"}
        for btf_id in ids:
            b.node("btf:%d" % btf_id, "btf", "btf\nid %d" % btf_id, (("object_id", btf_id),))
    return b.graph(contents.notes)


def _unlinked(b, contents, prog_ids, bound, xdp_bound):
    """Attach points of programs attached without a link, and a process's holds edge to a
    perf event's; what a link attached (the readers list it too) is left out."""
    found = []  # (prog id, point, pid or None)
    net = contents.net
    if net is not None:
        for prog_id, point in points.xdp_points(net.xdp):
            ifindex = dict(point[2])["ifindex"]
            if (prog_id, ifindex) not in xdp_bound:  # an XDP link, whatever its mode
                found.append((prog_id, point, None))
        found.extend((i, pt, None) for i, pt in points.tc_points(net.tc))
        found.extend((i, pt, None) for i, pt in
                     points.flow_dissector_point(net.flow_dissector, contents.netns_ino))
    ids = {path: ino for ino, path in contents.cgroups.items()}
    found.extend((i, pt, None) for i, pt in points.cgroup_points(contents.cgroup_nodes, ids))
    for a in contents.perf:
        point = points.perf_point(a)
        if point is not None:
            found.append((a.prog_id, point, a.pid))
    for prog_id, (node_id, label, fields), pid in found:
        if prog_id not in prog_ids or (prog_id, node_id) in bound:
            continue
        b.node(node_id, "attach", label, fields)
        b.edge("prog:%d" % prog_id, node_id, "attached")
        if pid is not None:
            b.edge(b.process(pid, contents.comms.get(pid, "?")), node_id, "holds")


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
        what = "no program attached to cgroup %s" % value
    elif kind == "dev":
        found = [n.id for n in graph.nodes if n.kind == "attach"
                 and dict(n.fields).get("dev") == value]
        what = "no program attached to device %s" % value
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


def walk(name, contents):
    """Make the walk `name` ("net", "cgroup", "perf": api/unlinked.py) into `contents`."""
    from bpfinspect.api import unlinked

    contents.walked.add(name)
    found, notes = getattr(unlinked, name)()
    contents.notes.extend(notes)
    if name == "net":
        contents.net, contents.netns_ino = found
    elif name == "cgroup":
        contents.cgroup_nodes, paths = found
        for ino, path in paths.items():
            contents.cgroups.setdefault(ino, path)
    else:
        contents.perf, contents.comms = found


def walks_for(graph, all_types):
    """The walks that can add to `graph`: those that find programs of a type it has, and the
    perf walk where it has a process (a process holds a perf event whose program it may not
    hold) and `all_types`, the types of every program, has one that walk finds."""
    from bpfinspect.api import unlinked

    types = {dict(n.fields)["type"] for n in graph.nodes if n.kind == "program"}
    need = {name for name, found in unlinked.TYPES.items() if types & found}
    if all_types & unlinked.PERF_TYPES and any(n.kind == "process" for n in graph.nodes):
        need.add("perf")
    return need


def _link_cgroups(links, contents):
    """{cgroup id: path} of the cgroup links' cgroups the walks did not find."""
    cgroup_ids = {k.detail.cgroup_id for k in links
                  if isinstance(k.detail, model.LinkCgroup)} - set(contents.cgroups)
    if cgroup_ids and "cgroup" not in contents.walked:
        contents.cgroups.update(_cgroup_paths(cgroup_ids))


def collect(btf=False, walks=("net", "cgroup", "perf")):
    """Read everything the graph needs from the kernel: (programs, maps, links, Contents).
    `walks`: the walks of api/unlinked.py to make, each only if there is a program of a
    type it can find."""
    from bpfinspect.api import listing, unlinked

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
    types = {p.type for p in programs}
    for name in walks:
        if types & unlinked.TYPES[name]:
            walk(name, contents)
    _link_cgroups(links, contents)
    if any(isinstance(k.detail, model.LinkTracing) for k in links):
        contents.kernel_btf_ids = frozenset(
            b.id for b in listing.iter_records("btf", pids=False, metadata=False) if b.kernel)
    return programs, maps, links, contents


# a selector that names attach points or a process: the walk that finds more of them, first
_FIRST_WALK = {"dev": "net", "cgroup": "cgroup", "pid": "perf"}


def graph(selector=None, depth=None, btf=False):
    """The model.Graph of the running system; `selector` (kind, value) narrows it to the
    neighbourhood of what it names: ("prog"|"map"|"link", model.Selector), ("pid", int),
    ("cgroup", path), ("dev", name); `depth`: how many edges out (None: the connected
    component). With a selector, the walks for attachments without a link are made only
    when the neighbourhood found so far has a program they can find attached."""
    if selector is not None and selector[0] in ("prog", "map", "link"):
        from bpfinspect.api import listing

        kind, sel = selector
        ids = [r.id for r in listing.selected_records(kind, sel, pids=False, metadata=False)]
        selector = (kind, ids)
    if depth is not None and depth < 0:
        raise UsageError("--depth must be 0 or more")
    if selector is None:
        return assemble(*collect(btf), btf=btf)
    first = _FIRST_WALK.get(selector[0])
    programs, maps, links, contents = collect(btf, walks=(first,) if first else ())
    all_types = {p.type for p in programs}
    while True:
        g = assemble(programs, maps, links, contents, btf=btf)
        part = neighbourhood(g, seeds_of(g, *selector), depth)
        need = walks_for(part, all_types) - contents.walked
        if not need:
            return part
        for name in sorted(need):
            walk(name, contents)
