"""`net show`: XDP (generic, driver, links), tcx links and a tcx program without a link,
classic cls_bpf filters (clsact ingress/egress with an action, under an htb qdisc and class),
the netns' flow dissector and netfilter links on two hooks, all in a network namespace of
the test's own. Compared with Debian's bpftool 7.1 where it prints the same; the tcx lines
and the netfilter section (newer than 7.1) against bpftool 7.8's exact text and JSON, built
from what the test attached."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from bpfinspect import model
from bpfinspect.views import net as view
from tests.conftest import compile_bpf
from tests.kernel import ROOT, bpftool, need, need_root

NS = "bpfi-net-%d" % os.getpid()
NF_HOOKS = ((2, 1, -128, 0), (10, 3, 5, 1))  # (pf, hook, prio, flags): ip input, ip6 output


def _run(*argv, check=True):
    proc = subprocess.run(list(argv), capture_output=True, text=True, cwd=ROOT)
    if check:
        assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)
    return proc


def in_ns(*argv, check=True):
    return _run("ip", "netns", "exec", NS, *argv, check=check)


def bpfinspect_ns(*args):
    return subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-m", "bpfinspect",
                           *args], capture_output=True, text=True, cwd=ROOT)


def bpftool_ns(*args):
    need(shutil.which("bpftool") is not None, "bpftool is not installed")
    return in_ns("bpftool", *args, check=False)


def _prog_id(path):
    proc = bpftool("-j", "prog", "show", "pinned", path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["id"]


def _kernel_at_least(major, minor):
    found = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (int(found.group(1)), int(found.group(2))) >= (major, minor)


@pytest.fixture(scope="module")
def attached(bpffs, tmp_path_factory):
    """Everything attached in the namespace NS; a dict of the ids and ifindexes used."""
    need_root()
    for tool in ("ip", "tc"):
        need(shutil.which(tool) is not None, "%s (iproute2) is not installed" % tool)
    need(_kernel_at_least(6, 6), "tcx needs Linux 6.6")  # netfilter links: 6.4
    obj = compile_bpf(tmp_path_factory, "net.bpf")
    progs = os.path.join(bpffs, "net")
    links = os.path.join(bpffs, "netlinks")
    os.makedirs(links)
    proc = bpftool("prog", "loadall", str(obj), progs)
    assert proc.returncode == 0, proc.stderr
    _run("ip", "netns", "add", NS)
    try:
        yield _attach(progs, links)
    finally:
        shutil.rmtree(links, ignore_errors=True)  # unpinning ends the links
        _run("ip", "netns", "del", NS, check=False)


def _attach(progs, links):
    p = {name: os.path.join(progs, name) for name in os.listdir(progs)}
    for a, b in (("g0", "g1"), ("l0", "l1"), ("t0", "t1")):
        in_ns("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        in_ns("ip", "link", "set", a, "up")
        in_ns("ip", "link", "set", b, "up")
    # XDP through netlink, generic and driver (veth has native XDP)
    in_ns("ip", "link", "set", "dev", "g0", "xdpgeneric", "pinned", p["xdp_pass"])
    in_ns("ip", "link", "set", "dev", "g1", "xdpdrv", "pinned", p["xdp_pass_with_a_long_name"])
    # classic tc: clsact with a direct-action filter and one with an action; htb + class
    in_ns("tc", "qdisc", "add", "dev", "t0", "clsact")
    in_ns("tc", "filter", "add", "dev", "t0", "ingress", "bpf", "da", "pinned", p["tc_cls"])
    in_ns("tc", "filter", "add", "dev", "t0", "egress", "bpf", "pinned", p["tc_cls"],
          "action", "mirred", "egress", "redirect", "dev", "t1")
    in_ns("tc", "qdisc", "add", "dev", "t1", "root", "handle", "1:", "htb")
    in_ns("tc", "class", "add", "dev", "t1", "parent", "1:", "classid", "1:10", "htb",
          "rate", "1mbit")
    in_ns("tc", "filter", "add", "dev", "t1", "parent", "1:10", "bpf", "pinned", p["tc_cls"])
    in_ns("tc", "filter", "add", "dev", "t1", "parent", "1:", "bpf", "pinned", p["tc_cls"],
          "classid", "1:10")
    # the netns' flow dissector
    proc = bpftool_ns("prog", "attach", "pinned", p["flow_diss"], "flow_dissector")
    assert proc.returncode == 0, proc.stderr
    # XDP links (driver mode, and generic with XDP_FLAGS_SKB_MODE), tcx, netfilter
    specs = ["xdp_link:l0:%s:%s/x0" % (p["xdp_pass"], links),
             "xdp_link:l1:%s:%s/x1:2" % (p["xdp_pass"], links),
             "tcx_link:t1:ingress:%s:%s/ti" % (p["tcx_in"], links),
             "tcx_attach:t1:egress:%s" % p["tcx_out_with_a_long_name"],
             "tcx_link:t1:egress:%s:%s/te" % (p["tcx_in"], links)]
    specs += ["netfilter:%d:%d:%d:%d:%s/nf%d" % (hook + (links, k))
              for k, hook in enumerate(NF_HOOKS)]
    proc = in_ns(sys.executable, "-m", "tests.nethooks", *specs)
    ids = [tuple(int(v) for v in line.split()) for line in proc.stdout.splitlines()]
    assert len(ids) == len(specs)
    devs = {d["ifname"]: d["ifindex"] for d in json.loads(in_ns("ip", "-j", "link").stdout)}
    return {"dev": devs, "prog": {name: _prog_id(path) for name, path in p.items()},
            "tcx_in_link": ids[2][1], "tcx_out_link": ids[4][1],
            "nf_prog": [ids[5][0], ids[6][0]]}


def _expected(a):
    """bpftool 7.8's text and JSON for what `attached` set up (netfilter: ours only)."""
    dev, prog = a["dev"], a["prog"]
    xdp = [("g0", "generic", prog["xdp_pass"]),
           ("g1", "driver", prog["xdp_pass_with_a_long_name"]),
           ("l0", "driver", prog["xdp_pass"]), ("l1", "generic", prog["xdp_pass"])]
    xdp.sort(key=lambda x: dev[x[0]])
    cls = "tc_cls:[*fsobj]"
    tc = {"t0": [("clsact/ingress", None), ("clsact/egress", [])],
          "t1": [("htb", None), ("htb", None)]}
    tcx = [("tcx/ingress", "tcx_in", a["tcx_in_link"]),
           ("tcx/egress", "tcx_out_with_a_long_name", 0),
           ("tcx/egress", "tcx_in", a["tcx_out_link"])]
    text = ["xdp:\n"]
    js = {"xdp": [], "tc": [], "flow_dissector": [{"id": prog["flow_diss"]}], "netfilter": []}
    for name, mode, pid in xdp:
        text.append("%s(%d) %s id %d\n" % (name, dev[name], mode, pid))
        js["xdp"].append({"devname": name, "ifindex": dev[name], "mode": mode, "id": pid})
    text.append("\ntc:\n")
    for name in sorted(tc, key=dev.get):
        if name == "t1":
            for kind, pname, link in tcx:
                line = "t1(%d) %s %s prog_id %d " % (dev[name], kind, pname, prog[pname])
                text.append(line + ("link_id %d " % link if link else "") + "\n")
                js["tc"].append({"devname": name, "ifindex": dev[name], "kind": kind,
                                 "name": pname, "prog_id": prog[pname], "prog_flags": [],
                                 "link_id": link, "link_flags": []})
        for kind, act in tc[name]:
            text.append("%s(%d) %s %s id %d%s\n" % (name, dev[name], kind, cls, prog["tc_cls"],
                                                    " act [] " if act is not None else ""))
            entry = {"devname": name, "ifindex": dev[name], "kind": kind, "name": cls,
                     "id": prog["tc_cls"]}
            if act is not None:
                entry["act"] = act
            js["tc"].append(entry)
    text.append("\nflow_dissector:\nid %d\nnetfilter:\n" % prog["flow_diss"])
    for (pf, hook, prio, flags), pid in zip(NF_HOOKS, a["nf_prog"]):
        text.append("\n\t%s %s prio %d%s prog_id %d" % (
            {2: "ip", 10: "ip6"}[pf], {1: "input", 3: "output"}[hook], prio,
            " flags 0x%x" % flags if flags else "", pid))
        js["netfilter"].append({"pf": pf, "hook": hook, "prio": prio, "flags": flags,
                                "id": pid})
    text.append("\n")
    return "".join(text), [js]


def _ours_only(text, nf_progs):
    """Drop netfilter lines of links other tests (or the machine) hold."""
    head, sep, tail = text.partition("netfilter:\n")
    keep = [line for line in tail.split("\n\t")[1:]
            if int(line.rstrip("\n").rsplit(" ", 1)[1]) in nf_progs]
    return head + sep + "".join("\n\t" + line.rstrip("\n") for line in keep) + "\n"


def _ours_only_json(doc, nf_progs):
    doc[0]["netfilter"] = [n for n in doc[0]["netfilter"] if n["id"] in nf_progs]
    return doc


def test_text_is_bpftool_78s(attached):
    proc = bpfinspect_ns("net", "show")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text, _ = _expected(attached)
    assert _ours_only(proc.stdout, attached["nf_prog"]) == text


def test_json_is_bpftool_78s_with_a_valid_flow_dissector(attached):
    for args in (("-j",), ("-j", "-p")):
        proc = bpfinspect_ns(*args, "net", "list")
        assert proc.returncode == 0, proc.stderr
        _, js = _expected(attached)
        assert _ours_only_json(json.loads(proc.stdout), attached["nf_prog"]) == js


def test_pretty_json_layout(attached):
    """-p is bpftool's layout (4 spaces), with the flow dissector as an object."""
    proc = bpfinspect_ns("-p", "net", "show", "dev", "g0")
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.split('"flow_dissector"')[0]
    assert head == ('[{\n        "xdp": [{\n                "devname": "g0",\n'
                    '                "ifindex": %d,\n                "mode": "generic",\n'
                    '                "id": %d\n            }\n        ],\n        "tc": [],\n'
                    '        ' % (attached["dev"]["g0"], attached["prog"]["xdp_pass"]))
    assert ('"flow_dissector": [{\n                "id": %d\n            }\n        ],'
            % attached["prog"]["flow_diss"]) in proc.stdout


def _without_78(text):
    """What bpftool 7.1 prints of it: no tcx lines, no netfilter section."""
    text = text.partition("netfilter:\n")[0]
    return "".join(line for line in text.splitlines(True) if " tcx/" not in line)


def test_text_matches_bpftool_71_where_it_prints_the_same(attached):
    for args in ((), ("dev", "t0"), ("dev", "g1"), ("dev", "t1")):
        ours = bpfinspect_ns("net", "show", *args)
        theirs = bpftool_ns("net", "show", *args)
        assert theirs.returncode == 0, theirs.stderr
        assert ours.returncode == 0, ours.stderr
        assert _without_78(ours.stdout) == theirs.stdout, args


def test_json_matches_bpftool_71_where_it_prints_the_same(attached):
    for args in ((), ("dev", "t1")):
        ours = json.loads(bpfinspect_ns("-j", "net", "show", *args).stdout)
        theirs = bpftool_ns("-j", "net", "show", *args)
        assert theirs.returncode == 0, theirs.stderr
        # bpftool's flow_dissector array holds a bare "id":N (invalid JSON)
        fixed = re.sub(r'"flow_dissector":\["id":(\d+)\]', r'"flow_dissector":[{"id":\1}]',
                       theirs.stdout)
        assert fixed != theirs.stdout
        del ours[0]["netfilter"]
        ours[0]["tc"] = [t for t in ours[0]["tc"] if not t["kind"].startswith("tcx/")]
        assert ours == json.loads(fixed), args


def test_dev_filters_xdp_and_tc_only(attached):
    a = attached
    proc = bpfinspect_ns("net", "show", "dev", "l1")
    assert proc.returncode == 0, proc.stderr
    assert _ours_only(proc.stdout, a["nf_prog"]) == (
        "xdp:\nl1(%d) generic id %d\n\ntc:\n\nflow_dissector:\nid %d\nnetfilter:\n%s\n" % (
            a["dev"]["l1"], a["prog"]["xdp_pass"], a["prog"]["flow_diss"],
            _expected(a)[0].partition("netfilter:\n")[2].rstrip("\n")))
    # `d` and `l` are prefixes, as in bpftool
    assert bpfinspect_ns("net", "l", "d", "l1").stdout == proc.stdout


def test_nothing_attached_in_a_fresh_namespace(attached):
    """A namespace with a device and nothing attached: only the sections (and netfilter
    links, which are global)."""
    ns = NS + "e"
    _run("ip", "netns", "add", ns)
    try:
        _run("ip", "-n", ns, "link", "add", "e0", "type", "veth", "peer", "name", "e1")
        proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "bpfinspect",
                               "net", "show"], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("xdp:\n\ntc:\n\nflow_dissector:\n\nnetfilter:\n")
        assert _ours_only(proc.stdout, ()) == "xdp:\n\ntc:\n\nflow_dissector:\n\nnetfilter:\n\n"
    finally:
        _run("ip", "netns", "del", ns, check=False)


@pytest.mark.parametrize("json_mode", [False, True])
def test_missing_device(attached, json_mode):
    args = ("-j",) if json_mode else ()
    ours = bpfinspect_ns(*args, "net", "show", "dev", "nope0")
    theirs = bpftool_ns(*args, "net", "show", "dev", "nope0")
    assert ours.returncode == theirs.returncode == 255
    if json_mode:
        assert ours.stdout == theirs.stdout == '{"error":"invalid devname nope0"}\n'
    else:
        assert ours.stdout == theirs.stdout == ""
        assert ours.stderr == theirs.stderr == "Error: invalid devname nope0\n"


def test_bad_words(attached):
    ours = bpfinspect_ns("net", "show", "foo", "bar")
    theirs = bpftool_ns("net", "show", "foo", "bar")
    assert ours.returncode == theirs.returncode == 255
    assert ours.stderr == theirs.stderr == "Error: expected 'dev', got: 'foo'?\n"
    for args in (("net", "show", "dev"), ("net", "show", "dev", "t0", "x")):
        proc = bpfinspect_ns(*args)
        assert proc.returncode == 255 and proc.stdout == ""
        assert proc.stderr.startswith("Usage: bpfinspect net { show | list } [dev <devname>]\n")
        proc = bpfinspect_ns("-j", *args)
        assert (proc.returncode, proc.stdout) == (255, "null\n")


def test_write_verbs_refuse_and_change_nothing(attached):
    before = bpfinspect_ns("net", "show").stdout
    for verb in ("attach", "at", "detach", "de"):
        proc = bpfinspect_ns("net", verb, "xdpgeneric", "id", "1", "dev", "t0")
        assert proc.returncode == 255
        full = "attach" if verb.startswith("a") else "detach"
        assert proc.stderr == ("Error: 'net %s' changes the kernel's state; bpfinspect only "
                               "reads (use bpftool)\n" % full)
    assert bpfinspect_ns("net", "show").stdout == before


def test_netkit():
    need_root()
    ns = NS + "k"
    _run("ip", "netns", "add", ns)
    try:
        proc = _run("ip", "-n", ns, "link", "add", "k0", "type", "netkit", check=False)
        need(proc.returncode == 0, "no netkit: the kernel cannot create netkit devices (%s)"
             % proc.stderr.strip())
        out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "bpfinspect",
                              "net", "show"], capture_output=True, text=True, cwd=ROOT)
        # a netkit device without programs adds no line
        assert out.returncode == 0 and "netkit/" not in out.stdout
    finally:
        _run("ip", "netns", "del", ns, check=False)


# The view, from records built by hand: what this kernel cannot attach (several XDP modes at
# once need offload hardware; act_bpf, netkit and unknown netfilter values are absent here).


def test_view_xdp_multi_and_bare():
    multi = model.NetXdp(devname="eth0", ifindex=2,
                         multi_attachments=(("generic", 5), ("driver", 6)))
    bare = model.NetXdp(devname="eth1", ifindex=3)
    doc = model.NetShow(xdp=(multi, bare), tc=(), flow_dissector=0, netfilter=())
    assert view.text(doc) == ("xdp:\neth0(2) generic id 5 driver id 6\neth1(3)\n\ntc:\n\n"
                              "flow_dissector:\n\nnetfilter:\n\n")
    assert view.json(doc)["xdp"] == [
        {"devname": "eth0", "ifindex": 2,
         "multi_attachments": [{"mode": "generic", "id": 5}, {"mode": "driver", "id": 6}]},
        {"devname": "eth1", "ifindex": 3}]


def test_view_tc_actions_netkit_flags():
    f = model.NetTcFilter(devname="eth0", ifindex=2, kind="clsact/egress", name="cls", id=7,
                          act=(("act1", 8), (None, 9), ("act3", None)))
    k = model.NetTcx(devname="nk0", ifindex=4, kind="netkit/primary", name=None, prog_id=9,
                     prog_flags=(1, 4), link_id=12, link_flags=(8,))
    anon = model.NetTcFilter(devname="", ifindex=5, kind="root")
    doc = model.NetShow(xdp=(), tc=(f, k, anon), flow_dissector=0, netfilter=())
    assert view.text(doc) == (
        "xdp:\n\ntc:\n"
        "eth0(2) clsact/egress cls id 7 act [{act1 id 8}{ id 9}{act3}] \n"
        "nk0(4) netkit/primary prog_id 9 prog_flags 1 4 link_id 12 link_flags 8 \n"
        "(5) root\n"
        "\nflow_dissector:\n\nnetfilter:\n\n")
    assert view.json(doc)["tc"] == [
        {"devname": "eth0", "ifindex": 2, "kind": "clsact/egress", "name": "cls", "id": 7,
         "act": [{"name": "act1", "id": 8}, {"id": 9}, {"name": "act3"}]},
        {"devname": "nk0", "ifindex": 4, "kind": "netkit/primary", "prog_id": 9,
         "prog_flags": [1, 4], "link_id": 12, "link_flags": [8]},
        {"ifindex": 5, "kind": "root"}]


def test_view_netfilter_names():
    links = (model.NetFilterLink(pf=3, hook=1, prio=0, flags=0, id=1),
             model.NetFilterLink(pf=7, hook=4, prio=-5, flags=0, id=2),
             model.NetFilterLink(pf=5, hook=0, prio=1, flags=0, id=3),
             model.NetFilterLink(pf=12, hook=9, prio=2, flags=3, id=4),
             model.NetFilterLink(pf=3, hook=7, prio=0, flags=0, id=5))
    doc = model.NetShow(xdp=(), tc=(), flow_dissector=5, netfilter=links)
    assert view.text(doc) == (
        "xdp:\n\ntc:\n\nflow_dissector:\nid 5\nnetfilter:\n"
        "\n\tarp output prio 0 prog_id 1"
        "\n\tbridge postrouting prio -5 prog_id 2"
        "\n\tnetdev, hook 0, prio 1 prog_id 3"
        "\n\tpf: 12, hook 9, prio 2 flags 0x3 prog_id 4"
        "\n\tarp, hook 7, prio 0 prog_id 5\n")
    assert view.json(doc)["flow_dissector"] == [{"id": 5}]
    assert view.json(doc)["netfilter"][3] == {"pf": 12, "hook": 9, "prio": 2, "flags": 3,
                                              "id": 4}
