"""`graph`: a system of objects with known relations (tests/graphsys.py: a process holding a
program with a prog_array tail call, a map-in-map, a cgroup link, an XDP link on a device in a
test netns, a pin; and attachments without a link: BPF_PROG_ATTACH on the cgroup (one beside
the link, on the same hook), netlink XDP, a tc filter, perf events on a tracepoint and a
uprobe) drawn exactly; the traces edge, the grouping and attachments without a link that a
link also reports from hand-built records; bad input."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from bpfinspect import model
from bpfinspect.api import graph as api_graph
from bpfinspect.errors import NoSuchObject
from bpfinspect.views import graph as view
from tests.kernel import ROOT, bpfinspect, cgroup2_mount, need, need_root

NS = "bpfi-graph-%d" % os.getpid()
IFNAME = "grv0"


def _run(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check)


def _in_ns(*args):
    """bpfinspect in the test's netns (device names resolve there; nsenter, unlike `ip netns
    exec`, keeps the cgroup2 mount in sight)."""
    return subprocess.run(["nsenter", "--net=/var/run/netns/" + NS, sys.executable, "-m",
                           "bpfinspect", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def system(bpffs):
    need_root()
    mount = cgroup2_mount()
    need(mount is not None, "no cgroup2 mount")
    for tool in ("ip", "tc"):
        need(shutil.which(tool) is not None, "%s (iproute2) is not installed" % tool)
    cgroup_dir = os.path.join(mount, "bpfi-graph-%d" % os.getpid())
    helper = None
    _run("ip", "netns", "add", NS)
    try:
        _run("ip", "-n", NS, "link", "add", IFNAME, "type", "veth", "peer", "name", "grv1")
        _run("ip", "-n", NS, "link", "set", IFNAME, "up")
        os.makedirs(cgroup_dir)
        helper = subprocess.Popen(
            [sys.executable, "-m", "tests.graphsys", bpffs, cgroup_dir,
             "/var/run/netns/" + NS, IFNAME],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT)
        line = helper.stdout.readline()
        assert line, helper.stderr.read()
        ids = json.loads(line)
        with open("/proc/%d/comm" % helper.pid) as f:
            ids["comm"] = f.read().strip()
        ids["cgroup"] = cgroup_dir
        yield ids
    finally:
        if helper is not None:
            helper.stdin.close()
            helper.wait(timeout=30)
        shutil.rmtree(os.path.join(bpffs, "graph"), ignore_errors=True)
        try:
            os.rmdir(cgroup_dir)
        except OSError:
            pass
        _run("ip", "netns", "del", NS, check=False)


def _expected(s, how="pid"):
    """The connected component of the helper process; `how` "cgroup" and "dev" add what
    only those selectors reach (programs no process holds, on the cgroup's egress and the
    device's clsact ingress)."""
    proc = "proc:%d" % s["pid"]
    p = {k: "prog:%d" % s[k] for k in ("caller", "target", "cg", "xdp", "cg2", "nl_xdp",
                                       "tp", "up", "tcx", "tcx2", "flow")}
    held = [p[k] for k in ("caller", "target", "cg", "xdp", "cg2", "nl_xdp", "tcx", "tcx2",
                           "flow")]
    m = {k: "map:%d" % s[k] for k in ("jmp", "outer", "inner")}
    lk = {k: "link:%d" % s[k] for k in ("cg_link", "xdp_link", "tcx_link")}
    cg = "cgroup:cgroup_inet_ingress:" + s["cgroup"]
    dev = "dev:%s:xdp" % IFNAME
    nl = "dev:grv1:xdpgeneric"
    tp = "tracepoint:sys_enter_getpgid"
    up = "uprobe:uprobe:%s+0x1010" % s["up_path"]
    tcx = "dev:%s:tcx_ingress" % IFNAME
    flow = "netns:%d:flow_dissector" % s["netns_ino"]
    pin = "pin:" + s["pin"]
    nodes = {proc, *p.values(), *m.values(), *lk.values(), cg, dev, nl, tp, up, tcx, flow, pin}
    edges = {(proc, x, "holds") for x in (*held, *m.values(), *lk.values(), tp, up)}
    edges |= {(p["caller"], m["jmp"], "uses"), (p["caller"], p["target"], "tail_calls"),
              (p["caller"], pin, "pinned"), (m["outer"], m["inner"], "inner_map"),
              (p["cg"], lk["cg_link"], "binds"), (lk["cg_link"], cg, "attached"),
              (p["xdp"], lk["xdp_link"], "binds"), (lk["xdp_link"], dev, "attached"),
              (p["cg2"], cg, "attached"), (p["nl_xdp"], nl, "attached"),
              (p["tp"], tp, "attached"), (p["up"], up, "attached"),
              (p["tcx"], lk["tcx_link"], "binds"), (lk["tcx_link"], tcx, "attached"),
              (p["tcx2"], tcx, "attached"), (p["flow"], flow, "attached")}
    if how == "cgroup":
        egress = "cgroup:cgroup_inet_egress:" + s["cgroup"]
        nodes |= {"prog:%d" % s["cg_eg"], egress}
        edges.add(("prog:%d" % s["cg_eg"], egress, "attached"))
    if how == "dev":
        tc = "dev:%s:clsact/ingress" % IFNAME
        nodes |= {"prog:%d" % s["tc"], tc}
        edges.add(("prog:%d" % s["tc"], tc, "attached"))
    return nodes, edges


def _sets(doc):
    return ({n["id"] for n in doc["nodes"]},
            {(e["src"], e["dst"], e["kind"]) for e in doc["edges"]})


@pytest.mark.parametrize("how", ["pid", "prog", "map", "link", "cgroup", "dev"])
def test_exact_nodes_and_edges(system, how):
    s = system
    selector = {"pid": ["pid", str(s["pid"])], "prog": ["prog", "id", str(s["caller"])],
                "map": ["map", "name", "gr_outer"], "link": ["link", "id", str(s["cg_link"])],
                "cgroup": ["cgroup", s["cgroup"]], "dev": ["dev", IFNAME]}[how]
    proc = _in_ns("-j", "graph", *selector)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert _sets(doc) == _expected(s, how)
    assert list(doc) == ["nodes", "edges"]
    caller = [n for n in doc["nodes"] if n["id"] == "prog:%d" % s["caller"]][0]
    assert caller == {"id": "prog:%d" % s["caller"], "kind": "program",
                      "label": "socket_filter gr_caller\nid %d" % s["caller"],
                      "name": "gr_caller", "object_id": s["caller"], "type": "socket_filter"}
    procs = [n for n in doc["nodes"] if n["kind"] == "process"]
    assert procs == [{"id": "proc:%d" % s["pid"], "kind": "process",
                      "label": "%s (%d)" % (s["comm"], s["pid"]), "comm": s["comm"],
                      "pid": s["pid"]}]


def test_depth(system):
    s = system
    doc = json.loads(_in_ns("-j", "graph", "map", "id", str(s["outer"]), "--depth", "1").stdout)
    assert _sets(doc) == ({"map:%d" % s["outer"], "map:%d" % s["inner"], "proc:%d" % s["pid"]},
                          {("map:%d" % s["outer"], "map:%d" % s["inner"], "inner_map"),
                           ("proc:%d" % s["pid"], "map:%d" % s["outer"], "holds"),
                           ("proc:%d" % s["pid"], "map:%d" % s["inner"], "holds")})
    doc = json.loads(_in_ns("-j", "graph", "dev", IFNAME, "--depth", "0").stdout)
    assert _sets(doc) == ({"dev:%s:xdp" % IFNAME, "dev:%s:clsact/ingress" % IFNAME,
                           "dev:%s:tcx_ingress" % IFNAME}, set())
    doc = json.loads(_in_ns("-j", "graph", "cgroup", s["cgroup"], "--depth", "1").stdout)
    ingress = "cgroup:cgroup_inet_ingress:" + s["cgroup"]
    egress = "cgroup:cgroup_inet_egress:" + s["cgroup"]
    assert _sets(doc) == ({ingress, egress, "link:%d" % s["cg_link"], "prog:%d" % s["cg2"],
                           "prog:%d" % s["cg_eg"]},
                          {("link:%d" % s["cg_link"], ingress, "attached"),
                           ("prog:%d" % s["cg2"], ingress, "attached"),
                           ("prog:%d" % s["cg_eg"], egress, "attached")})


def test_attach_points_without_a_link(system):
    """The nodes of attachments without a link carry the fields of the links' own (a link and
    an attachment without one on the same hook share the node: the cgroup's ingress)."""
    s = system
    proc = _in_ns("-j", "graph")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    nodes = {n["id"]: n for n in doc["nodes"]}
    devs = {d["ifname"]: d["ifindex"]
            for d in json.loads(_run("ip", "-n", NS, "-j", "link").stdout)}
    ino = os.stat(s["cgroup"]).st_ino
    for node_id, fields in (
            ("dev:grv1:xdpgeneric", {"label": "grv1\nxdpgeneric", "dev": "grv1",
                                     "ifindex": devs["grv1"], "hook": "xdpgeneric"}),
            ("dev:%s:clsact/ingress" % IFNAME,
             {"label": "%s\nclsact/ingress" % IFNAME, "dev": IFNAME,
              "ifindex": devs[IFNAME], "hook": "clsact/ingress"}),
            ("cgroup:cgroup_inet_egress:" + s["cgroup"],
             {"label": "cgroup %s\ncgroup_inet_egress" % s["cgroup"], "path": s["cgroup"],
              "cgroup_id": ino, "attach_type": "cgroup_inet_egress"}),
            ("tracepoint:sys_enter_getpgid",
             {"label": "tracepoint\nsys_enter_getpgid", "tracepoint": "sys_enter_getpgid"}),
            ("uprobe:uprobe:%s+0x1010" % s["up_path"],
             {"label": "uprobe\n%s+0x1010" % s["up_path"], "probe": "uprobe",
              "path": s["up_path"], "offset": 0x1010}),
            ("netns:%d:flow_dissector" % s["netns_ino"],
             {"label": "netns %d\nflow_dissector" % s["netns_ino"],
              "netns_ino": s["netns_ino"], "attach_type": "flow_dissector"})):
        assert nodes[node_id] == dict(id=node_id, kind="attach", **fields)
    # the link's program is on the ingress once, through its link; gr_cg2 beside it directly
    edges = {(e["src"], e["dst"], e["kind"]) for e in doc["edges"]}
    ingress = "cgroup:cgroup_inet_ingress:" + s["cgroup"]
    assert {e for e in edges if e[1] == ingress} == {
        ("link:%d" % s["cg_link"], ingress, "attached"),
        ("prog:%d" % s["cg2"], ingress, "attached")}
    tcx = "dev:%s:tcx_ingress" % IFNAME
    assert {e for e in edges if e[1] == tcx} == {
        ("link:%d" % s["tcx_link"], tcx, "attached"), ("prog:%d" % s["tcx2"], tcx, "attached")}
    # the links' programs, which netlink and the tcx query report too, only through links
    for prog, link in (("xdp", "xdp_link"), ("tcx", "tcx_link")):
        assert [e for e in edges if e[0] == "prog:%d" % s[prog]] == [
            ("prog:%d" % s[prog], "link:%d" % s[link], "binds")]


def test_dot_stable_and_rendered(system, tmp_path):
    s = system
    first = _in_ns("graph", "pid", str(s["pid"]))
    second = _in_ns("graph", "pid", str(s["pid"]))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    # JSON too, with attachments without a link from every walk
    runs = [_in_ns("-j", "graph", "dev", IFNAME).stdout for _ in range(2)]
    assert runs[0] == runs[1] and "tracepoint:sys_enter_getpgid" in runs[0]
    dot = first.stdout
    assert dot.startswith("digraph bpf {\n\trankdir=LR;\n")
    assert '\tsubgraph "cluster_proc_%d" {' % s["pid"] in dot
    assert ('\t"prog:%d" -> "prog:%d" [label="tail_calls"' % (s["caller"], s["target"])) in dot
    assert ('\t"link:%d" -> "dev:%s:xdp" [label="attached"' % (s["xdp_link"], IFNAME)) in dot
    for prog, point in (("cg2", "cgroup:cgroup_inet_ingress:" + s["cgroup"]),
                        ("nl_xdp", "dev:grv1:xdpgeneric"),
                        ("tp", "tracepoint:sys_enter_getpgid")):
        assert ('\t"prog:%d" -> "%s" [label="attached"' % (s[prog], point)) in dot
    # the process's objects are inside its cluster; attach points and pins outside
    cluster = dot.split('subgraph "cluster_proc_%d"' % s["pid"])[1].split("\t}")[0]
    assert '"prog:%d" [' % s["caller"] in cluster and '"map:%d" [' % s["inner"] in cluster
    assert '"dev:%s:xdp" [' % IFNAME not in cluster
    assert '"dev:grv1:xdpgeneric" [' not in cluster
    # a perf event is the process's: the tracepoint it holds is drawn inside its cluster
    assert '"tracepoint:sys_enter_getpgid" [' in cluster
    for suffix in (".svg", ".png", ".dot"):
        out = tmp_path / ("g" + suffix)
        proc = _in_ns("graph", "pid", str(s["pid"]), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        data = out.read_bytes()
        assert data.startswith({".svg": b"<?xml", ".png": b"\x89PNG", ".dot": b"digraph"}[suffix])
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.png", "g.svg"]


@pytest.mark.parametrize("args, message", [
    (["pid", "999999999"], "Error: no BPF object held by process 999999999\n"),
    (["prog", "id", "4000000000"], None),
    (["dev", "no-such-dev0"], "Error: no program attached to device no-such-dev0\n"),
    (["cgroup", "/nonexistent/cg"], "Error: no program attached to cgroup /nonexistent/cg\n"),
    (["bogus", "1"], None),
    (["pid"], "Error: 'pid' needs exactly one argument\n"),
    (["pid", "x"], "Error: can't parse x as PID\n"),
    (["--depth", "-1"], "Error: invalid --depth '-1': a number of edges, 0 or more\n"),
    (["-o", "/tmp/x.jpeg"], None),
])
def test_bad_input(bpffs, args, message):
    proc = bpfinspect("graph", *args)
    assert proc.returncode == 255
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1, proc.stderr
    if message is not None:
        assert proc.stderr == message
    proc = bpfinspect("-j", "graph", *args)
    assert proc.returncode == 255 and "error" in json.loads(proc.stdout)


def test_options_belong_to_graph():
    proc = bpfinspect("prog", "show", "--depth", "2")
    assert proc.returncode == 255
    assert proc.stderr == "Error: option '--depth' is for 'graph' only\n"


# --- hand-built systems: no kernel needed ----------------------------------------------------

def _prog(pid, typ="socket_filter", name="p", map_ids=(), pids=(), pinned=()):
    return model.Program(pid, typ, 1, name, "00", True, 0, 0, 0, None, 0, 0, False, 8, 8, 4096,
                         tuple(map_ids), 0, pinned=tuple(pinned), pids=tuple(pids))


def _map(mid, typ="array", name="m", pids=()):
    return model.Map(mid, typ, 2, name, 0, None, 4, 4, 1, 4096, None, None, False, 0,
                     pids=tuple(pids))


def test_traces_edge_hand_built():
    """fentry on a program and freplace: the kernel here refuses trampolines (EPERM)."""
    owner = model.Owner(10, "loader")
    progs = [_prog(1, "xdp", "target", pids=[owner]), _prog(2, "tracing", "watcher"),
             _prog(3, "ext", "repl"), _prog(4, "tracing", "onkernel")]
    links = [model.Link(7, "tracing", 2, 2, model.LinkTracing("tracing", "trace_fentry", 1, 5)),
             model.Link(8, "tracing", 2, 3, model.LinkTracing("ext", "freplace", 1, 6)),
             model.Link(9, "tracing", 2, 4, model.LinkTracing("tracing", "trace_fentry", 1, 77))]
    # btf object 1 is vmlinux: link 9 traces a kernel function, links 7 and 8 program 1...
    # but only an ext program's target is certain when the ids collide
    g = api_graph.assemble(progs, [], links, api_graph.Contents(kernel_btf_ids={50}))
    edges = {(e.src, e.dst, e.kind) for e in g.edges}
    assert ("prog:2", "prog:1", "traces") in edges and ("prog:3", "prog:1", "traces") in edges
    assert ("prog:4", "prog:1", "traces") in edges  # btf 1 is not a kernel BTF here
    g = api_graph.assemble(progs, [], links, api_graph.Contents(kernel_btf_ids={1}))
    edges = {(e.src, e.dst, e.kind) for e in g.edges}
    assert ("prog:3", "prog:1", "traces") in edges
    assert ("prog:2", "prog:1", "traces") not in edges
    assert ("link:9", "kfunc:trace_fentry:btf1:77", "attached") in edges
    assert [n.id for n in g.nodes] == ["proc:10", "prog:1", "prog:2", "prog:3", "prog:4",
                                       "link:7", "link:8", "link:9",
                                       "kfunc:trace_fentry:btf1:5",
                                       "kfunc:trace_fentry:btf1:77"]


def test_struct_ops_and_btf_hand_built():
    progs = [_prog(1, "struct_ops", "cc_init")]
    maps = [model.Map(5, "struct_ops", 26, "cc", 0, None, 4, 4, 1, 4096, None, None, False, 9)]
    g = api_graph.assemble(progs, maps, [], api_graph.Contents(struct_ops={5: [1]}), btf=True)
    assert [(e.src, e.dst, e.kind) for e in g.edges] == [("map:5", "btf:9", "btf"),
                                                        ("map:5", "prog:1", "struct_ops")]


def test_grouping_and_stability():
    owner = model.Owner(10, "loader")
    progs = [_prog(i, pids=[owner], pinned=["/b/p%d" % i]) for i in range(1, 201)]
    progs.append(_prog(500, "xdp", "alone"))
    maps = [_map(1000 + i, pids=[owner]) for i in range(3)]
    g = api_graph.assemble(progs, maps, [], api_graph.Contents())
    assert len(g.nodes) == 1 + 201 + 3 + 200
    dot = view.dot(g)
    assert dot == view.dot(api_graph.assemble(list(reversed(progs)), maps, [],
                                              api_graph.Contents()))
    assert '"group:program:socket_filter:10" [label="200 programs of type socket_filter' \
           '\\nids 1 .. 200\\n200 pinned"' in dot
    assert '"pin:/b/p1"' not in dot and '"prog:1" [' not in dot
    assert '"prog:500" [' in dot and '"map:1000" [' in dot  # 3 maps: fewer than GROUP_MIN
    cluster = dot.split('subgraph "cluster_proc_10"')[1].split("\t}")[0]
    assert '"group:program:socket_filter:10" [' in cluster
    assert '[label="holds"' not in dot  # the cluster says it


def test_big_graph_edges_unlabelled():
    progs = [_prog(i, "xdp", pids=[model.Owner(i % 7, "a")], map_ids=[i])
             for i in range(1, view.LABELLED_MAX + 1)]
    maps = [_map(i) for i in range(1, view.LABELLED_MAX + 1)]
    dot = view.dot(api_graph.assemble(progs, maps, [], api_graph.Contents()))
    assert "label=\"uses\"" not in dot and dot.count(" -> ") == view.LABELLED_MAX


def test_names_escaped():
    owner = model.Owner(1, 'ev"il\x1b[31m')
    g = api_graph.assemble([_prog(1, name='a"b\\c', pids=[owner])], [], [],
                           api_graph.Contents())
    dot = view.dot(g)
    assert 'a\\"b\\\\c' in dot and "\x1b" not in dot
    lines = view.tree_lines(g)
    assert all("\x1b" not in text for _depth, text in lines)
    assert lines[0][0] == 0 and lines[1] == (1, 'socket_filter a"b\\c  id 1')


def test_tree_hand_built():
    owner = model.Owner(10, "loader")
    progs = [_prog(1, "xdp", "x", map_ids=[5], pids=[owner])]
    links = [model.Link(3, "xdp", 6, 1, model.LinkDevice("eth0", 2))]
    g = api_graph.assemble(progs, [_map(5)], links, api_graph.Contents())
    assert view.tree_lines(g) == [(0, "loader (10)"), (1, "xdp x  id 1"),
                                  (2, "uses array m  id 5"), (2, "xdp link  id 3"),
                                  (3, "-> eth0  xdp")]


def test_attachments_without_a_link_hand_built():
    """What the readers of net show, cgroup tree and perf show list, links included: each
    attachment without a link is a program -> attach point edge (a perf event's also held by
    its process); what a link attached is drawn through the link only, and a link and an
    attachment without one on the same hook share the attach point."""
    progs = [_prog(i, typ) for i, typ in (
        (1, "xdp"), (2, "xdp"), (3, "sched_cls"), (4, "sched_cls"), (5, "sched_cls"),
        (6, "flow_dissector"), (7, "cgroup_skb"), (8, "cgroup_skb"), (9, "tracepoint"),
        (10, "tracepoint"), (11, "kprobe"), (12, "raw_tracepoint"))]
    links = [model.Link(21, "xdp", 6, 1, model.LinkDevice("eth0", 2)),
             model.Link(23, "tcx", 11, 3, model.LinkDevice("eth0", 2, "tcx_ingress")),
             model.Link(27, "cgroup", 3, 7, model.LinkCgroup(100, "cgroup_inet_ingress")),
             model.Link(29, "perf_event", 7, 9, model.LinkTracepoint("sched_switch", 0)),
             model.Link(32, "raw_tracepoint", 1, 12, model.LinkRawTracepoint("sys_enter"))]
    tcx = dict(name=None, prog_flags=(), link_flags=())
    net = model.NetShow(
        xdp=(model.NetXdp("eth0", 2, mode="generic", id=1),  # the link's, in generic mode
             model.NetXdp("eth1", 3, mode="driver", id=2)),
        tc=(model.NetTcx("eth0", 2, "tcx/ingress", prog_id=3, link_id=23, **tcx),
            model.NetTcx("eth0", 2, "tcx/ingress", prog_id=4, link_id=0, **tcx),
            model.NetTcFilter("eth0", 2, "clsact/egress", name="f", id=5),
            model.NetTcFilter("eth0", 2, "htb")),
        flow_dissector=6, netfilter=())
    def cg(prog_id, attach_type, flags):
        return model.CgroupProg(id=prog_id, attach_type=attach_type, attach_flags=flags,
                                name=None)

    cgroup = model.CgroupNode(cgroup="/cg/a", programs=(
        cg(7, "cgroup_inet_ingress", "multi"), cg(8, "cgroup_inet_ingress", "multi"),
        cg(99, "cgroup_inet_egress", "")))  # 99: gone since
    perf = [model.PerfAttachment(20, 5, 9, "tracepoint", name="sched_switch"),
            model.PerfAttachment(20, 6, 10, "tracepoint", name="sys_enter_openat"),
            model.PerfAttachment(21, 3, 11, "kretprobe", name="", addr=0xffffffff81000000),
            model.PerfAttachment(20, 7, 12, "raw_tracepoint", name="sys_enter")]
    contents = api_graph.Contents(cgroups={100: "/cg/a"}, net=net, netns_ino=4026531840,
                                  cgroup_nodes=[cgroup], perf=perf, comms={20: "agent"})
    g = api_graph.assemble(progs, [], links, contents)
    edges = {(e.src, e.dst, e.kind) for e in g.edges}
    assert {e for e in edges if e[2] == "attached" and e[0].startswith("prog:")} == {
        ("prog:2", "dev:eth1:xdp", "attached"),
        ("prog:4", "dev:eth0:tcx_ingress", "attached"),
        ("prog:5", "dev:eth0:clsact/egress", "attached"),
        ("prog:6", "netns:4026531840:flow_dissector", "attached"),
        ("prog:8", "cgroup:cgroup_inet_ingress:/cg/a", "attached"),
        ("prog:10", "tracepoint:sys_enter_openat", "attached"),
        ("prog:11", "kfunc:kretprobe:0xffffffff81000000", "attached")}
    assert {e for e in edges if e[2] == "holds"} == {
        ("proc:20", "tracepoint:sys_enter_openat", "holds"),
        ("proc:21", "kfunc:kretprobe:0xffffffff81000000", "holds")}
    assert ("link:23", "dev:eth0:tcx_ingress", "attached") in edges
    assert ("link:27", "cgroup:cgroup_inet_ingress:/cg/a", "attached") in edges
    nodes = {n.id: n for n in g.nodes}
    assert nodes["proc:21"].label == "? (21)" and nodes["proc:20"].label == "agent (20)"
    assert nodes["tracepoint:sys_enter_openat"].holder == 20
    assert dict(nodes["dev:eth1:xdp"].fields) == {"dev": "eth1", "ifindex": 3, "hook": "xdp"}
    assert [n.id for n in g.nodes if n.kind == "attach"] == [
        "cgroup:cgroup_inet_ingress:/cg/a", "dev:eth0:clsact/egress", "dev:eth0:tcx_ingress",
        "dev:eth0:xdp", "dev:eth1:xdp", "kfunc:kretprobe:0xffffffff81000000",
        "netns:4026531840:flow_dissector", "tracepoint:sched_switch",
        "tracepoint:sys_enter", "tracepoint:sys_enter_openat"]
    lines = view.tree_lines(g)
    assert lines[:2] == [(0, "agent (20)"), (1, "-> tracepoint  sys_enter_openat")]
    assert lines[lines.index((1, "tracepoint p  id 10")) + 1] == (
        2, "-> tracepoint  sys_enter_openat")
    # the selectors reach them
    assert {n.id for n in api_graph.neighbourhood(
        g, api_graph.seeds_of(g, "dev", "eth1"), None).nodes} == {"prog:2", "dev:eth1:xdp"}
    part = api_graph.neighbourhood(g, api_graph.seeds_of(g, "cgroup", "/cg/a"), None)
    assert {n.id for n in part.nodes} == {"prog:7", "prog:8", "link:27",
                                          "cgroup:cgroup_inet_ingress:/cg/a"}


def test_walks_for():
    """Which walks a part of the graph needs: by its programs' types, and perf where it has a
    process and some program is of a type perf events hold."""
    owner = model.Owner(10, "loader")
    g = api_graph.assemble([_prog(1, "xdp", pids=[owner]), _prog(2, "cgroup_sock")], [], [],
                           api_graph.Contents())
    assert api_graph.walks_for(g, {"xdp", "cgroup_sock"}) == {"net", "cgroup"}
    assert api_graph.walks_for(g, {"xdp", "tracepoint"}) == {"net", "cgroup", "perf"}
    g = api_graph.assemble([_prog(1, "socket_filter")], [], [], api_graph.Contents())
    assert api_graph.walks_for(g, {"socket_filter", "kprobe"}) == set()


def _system(monkeypatch, progs, links=(), cgroups=None):
    """api.graph.graph() on hand-built records: the listings give `progs` and `links`, and
    each walk of api/unlinked.py is recorded, not made (it attaches nothing; the cgroup
    walk finds the cgroups `cgroups`, {id: path})."""
    from bpfinspect.api import listing

    records = {"prog": progs, "map": [], "link": list(links)}
    monkeypatch.setattr(listing, "iter_records", lambda kind, **_kw: iter(records[kind]))
    made = []

    def walk(name, contents):
        made.append(name)
        contents.walked.add(name)
        if name == "cgroup":
            contents.cgroups.update(cgroups or {})

    monkeypatch.setattr(api_graph, "walk", walk)
    return made


def test_walks_only_where_needed(monkeypatch):
    """The net, cgroup and perf walks are made for the whole graph only when a program of a
    type they can find exists, and for a selector only when what it reaches has one (perf:
    also where it reaches a process); a dev, cgroup or pid selector starts with the walk that
    finds the attach points (or perf events) it names."""
    owner = model.Owner(10, "loader")
    progs = [_prog(1, "socket_filter", pids=[owner]),
             _prog(2, "xdp", pids=[model.Owner(11, "x")]), _prog(3, "cgroup_skb")]
    made = _system(monkeypatch, progs)
    api_graph.graph()
    assert made == ["net", "cgroup"]
    del made[:]
    assert [n.id for n in api_graph.graph(("pid", 10)).nodes] == ["proc:10", "prog:1"]
    assert made == []  # no tracepoint or kprobe program: perf events hold none
    with pytest.raises(NoSuchObject):
        api_graph.graph(("dev", "eth0"))
    assert made == ["net"]
    del made[:]
    api_graph.graph(("pid", 11))
    assert made == ["net"]  # reached an xdp program
    del made[:]
    links = [model.Link(5, "cgroup", 3, 3, model.LinkCgroup(100, "cgroup_inet_ingress"))]
    made = _system(monkeypatch, progs + [_prog(4, "tracepoint")], links, {100: "/cg"})
    api_graph.graph(("cgroup", "/cg"))
    assert made == ["cgroup"]
    del made[:]
    api_graph.graph(("pid", 10))
    assert made == ["perf"]
