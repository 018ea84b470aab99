"""`graph`: a model.Graph as Graphviz DOT, as JSON ({"nodes": [...], "edges": [...]}) and,
on a terminal, as a rich tree (process -> program -> maps, links -> attach points).

DOT keeps the graph readable at a real host's size: objects one process holds sit in that
process's cluster, and programs, maps or links of one type that are related to nothing but
their holder and their own pins are drawn as one "N programs of type T" node once there
are GROUP_MIN of them (JSON always lists every node and edge). Inside a process's cluster,
its `holds` edges are left out: the cluster says it."""

from bpfinspect.views.textsafe import safe

GROUP_MIN = 5
# above this many drawn nodes, edges go without labels (their colour and style tell their
# kind): dot lays out every label as a node of its own, which costs minutes on a big host
LABELLED_MAX = 300

SHAPES = {
    "process": 'shape=box, style="rounded,filled", fillcolor="#fff2cc"',
    "program": 'shape=box, style=filled, fillcolor="#dae8fc"',
    "map": 'shape=cylinder, style=filled, fillcolor="#d5e8d4"',
    "link": 'shape=cds, style=filled, fillcolor="#e1d5e7"',
    "attach": 'shape=hexagon, style=filled, fillcolor="#f8cecc"',
    "pin": 'shape=note, style=filled, fillcolor="#f5f5f5"',
    "btf": 'shape=component, style=filled, fillcolor="#ffe6cc"',
}
GROUP_FILL = {"program": "#dae8fc", "map": "#d5e8d4", "link": "#e1d5e7"}
EDGE_STYLES = {
    "holds": 'style=dashed, color="#999999"',
    "pinned": 'style=dotted, color="#999999"',
    "tail_calls": 'color="#cc0000", penwidth=1.5',
    "traces": 'color="#9933cc", penwidth=1.5',
    "binds": 'color="#333333"',
    "attached": 'color="#b85450", penwidth=1.5',
}
_PLURAL = {"program": "programs", "map": "maps", "link": "links"}


def _dot_text(text):
    """A label: control characters escaped as in every text view, then DOT's quoting;
    newlines become centred line breaks."""
    return "\\n".join(safe(line).replace("\\", "\\\\").replace('"', '\\"')
                      for line in str(text).split("\n"))


def _groups(graph):
    """({node id: group node id}, [(group id, label, holder, kind)]): leaves collapsed by
    (kind, type, holder)."""
    degree, neighbours = {}, {}
    for e in graph.edges:
        for a, b in ((e.src, e.dst), (e.dst, e.src)):
            degree[a] = degree.get(a, 0) + 1
            neighbours.setdefault(a, []).append(b)
    kinds = {n.id: n.kind for n in graph.nodes}
    members = {}
    for n in graph.nodes:
        if n.kind not in _PLURAL:
            continue
        near = neighbours.get(n.id, ())
        if all(kinds[x] == "process" or (kinds[x] == "pin" and degree[x] == 1) for x in near):
            key = (n.kind, dict(n.fields).get("type"), n.holder)
            members.setdefault(key, []).append(n)
    into, groups = {}, []
    for (kind, typ, holder), nodes in members.items():
        if len(nodes) < GROUP_MIN:
            continue
        gid = "group:%s:%s:%s" % (kind, typ, holder if holder is not None else "")
        ids = [dict(n.fields)["object_id"] for n in nodes]
        pins = sum(1 for n in nodes for x in neighbours.get(n.id, ()) if kinds[x] == "pin")
        label = "%d %s of type %s\nids %d .. %d" % (len(nodes), _PLURAL[kind], typ,
                                                  min(ids), max(ids))
        if pins:
            label += "\n%d pinned" % pins
        for n in nodes:
            into[n.id] = gid
            for x in neighbours.get(n.id, ()):
                if kinds[x] == "pin":
                    into[x] = None  # drawn inside the group's count
        groups.append((gid, label, holder, kind))
    return into, groups


def dot(graph):
    """The DOT text of `graph` (stable: the same graph gives the same text)."""
    into, groups = _groups(graph)
    lines = ["digraph bpf {",
             "\trankdir=LR;",
             '\tgraph [fontname="sans-serif", nodesep=0.15, ranksep=0.6];',
             '\tnode [fontname="sans-serif", fontsize=10];',
             '\tedge [fontname="sans-serif", fontsize=8];']
    by_holder = {}
    for n in graph.nodes:
        if n.id in into:
            continue
        holder = n.holder if n.kind != "process" else dict(n.fields)["pid"]
        by_holder.setdefault(holder, []).append(
            '"%s" [label="%s", %s];' % (_dot_text(n.id), _dot_text(n.label), SHAPES[n.kind]))
    for gid, label, holder, kind in groups:
        by_holder.setdefault(holder, []).append(
            '"%s" [label="%s", shape=box3d, style=filled, fillcolor="%s"];'
            % (_dot_text(gid), _dot_text(label), GROUP_FILL[kind]))
    procs = {dict(n.fields)["pid"]: n for n in graph.nodes if n.kind == "process"}
    for holder in sorted(by_holder, key=lambda h: (h is not None, h or 0)):
        if holder is None or holder not in procs:
            lines.extend("\t" + text for text in by_holder[holder])
            continue
        lines.append("\tsubgraph \"cluster_proc_%d\" {" % holder)
        lines.append('\t\tlabel="%s"; style="rounded"; color="#d6b656";'
                     % _dot_text(procs[holder].label))
        lines.extend("\t\t" + text for text in by_holder[holder])
        lines.append("\t}")
    seen = set()
    clustered = {n.id for n in graph.nodes if n.holder in procs}
    clustered.update(gid for gid, _label, holder, _kind in groups if holder in procs)
    drawn = sum(len(texts) for texts in by_holder.values())
    labelled = drawn <= LABELLED_MAX
    for e in graph.edges:
        src, dst = into.get(e.src, e.src), into.get(e.dst, e.dst)
        if src is None or dst is None or (src, dst, e.kind) in seen:
            continue
        if e.kind == "holds" and dst in clustered:
            continue  # its process's cluster says it
        seen.add((src, dst, e.kind))
        label = 'label="%s", ' % e.kind if labelled else ""
        lines.append('\t"%s" -> "%s" [%s%s];' % (
            _dot_text(src), _dot_text(dst), label, EDGE_STYLES.get(e.kind, "color=black")))
    lines.append("}")
    return "\n".join(lines) + "\n"


def json_doc(graph):
    """{"nodes": [...], "edges": [...]}: each node's id, kind, label and fields (sorted
    keys), each edge's src, dst, kind."""
    nodes = []
    for n in graph.nodes:
        item = {"id": n.id, "kind": n.kind, "label": n.label}
        for key, value in sorted(n.fields):
            item[key] = list(value) if isinstance(value, tuple) else value
        nodes.append(item)
    doc = {"nodes": nodes,
           "edges": [{"src": e.src, "dst": e.dst, "kind": e.kind} for e in graph.edges]}
    if graph.notes:
        doc["notes"] = list(graph.notes)
    return doc


def write_json(stream, graph):
    stream.value(json_doc(graph))


def _one_line(node):
    return safe(node.label.replace("\n", "  "))


def tree_lines(graph):
    """The tree as (depth, text) pairs: processes, the programs, maps, links and perf
    events' attach points they hold, under each program its maps, links and attach points
    (through its links, or without a link); objects no process holds under "(no process)"."""
    nodes = {n.id: n for n in graph.nodes}
    out_edges = {}
    for e in graph.edges:
        out_edges.setdefault(e.src, []).append(e)
    held_by_any = {e.dst for e in graph.edges if e.kind == "holds"}
    lines = []

    def program(pid, depth):
        lines.append((depth, _one_line(nodes[pid])))
        order = ("uses", "tail_calls", "traces", "binds", "attached")
        mine = [e for e in out_edges.get(pid, ()) if e.kind in order]
        for e in sorted(mine, key=lambda e: order.index(e.kind)):
            if e.kind == "uses":
                lines.append((depth + 1, "uses " + _one_line(nodes[e.dst])))
            elif e.kind in ("tail_calls", "traces"):
                lines.append((depth + 1, e.kind + " " + _one_line(nodes[e.dst])))
            elif e.kind == "attached":  # without a link
                lines.append((depth + 1, "-> " + _one_line(nodes[e.dst])))
            elif e.kind == "binds":
                lines.append((depth + 1, _one_line(nodes[e.dst])))
                for a in out_edges.get(e.dst, ()):
                    if a.kind == "attached":
                        lines.append((depth + 2, "-> " + _one_line(nodes[a.dst])))

    def holdings(ids, depth):
        for oid in ids:
            if nodes[oid].kind == "program":
                program(oid, depth)
            elif nodes[oid].kind in ("map", "link"):
                lines.append((depth, _one_line(nodes[oid])))
            elif nodes[oid].kind == "attach":  # a perf event the process holds
                lines.append((depth, "-> " + _one_line(nodes[oid])))

    for n in graph.nodes:
        if n.kind == "process":
            lines.append((0, _one_line(n)))
            holdings([e.dst for e in out_edges.get(n.id, ()) if e.kind == "holds"], 1)
    loose = [n.id for n in graph.nodes if n.kind == "program" and n.id not in held_by_any]
    if loose:
        lines.append((0, "(no process)"))
        holdings(loose, 1)
    return lines


def write_text(out, graph):
    """The rich tree (rich is imported here: only this view needs it); labels are plain
    text, never markup."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    root = Tree(Text("BPF: %d nodes, %d edges" % (len(graph.nodes), len(graph.edges))))
    stack = [root]
    for depth, text in tree_lines(graph):
        del stack[depth + 1:]
        stack.append(stack[-1].add(Text(text)))
    Console(file=out, highlight=False, soft_wrap=True).print(root)
    for note in graph.notes:
        out.write("note: %s\n" % safe(note))
