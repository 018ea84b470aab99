"""`prog dump xlated` on the live kernel: against Debian's bpftool where it prints the same
form, against the spec's text where bpftool 7.1 is older (../shared/spec/xlated.md)."""

import json
import os
import re

import pytest

from tests import rawprogs
from tests.kernel import bpfinspect, bpftool

# bpftool 7.1 predates the per-CPU address mov; it prints it as a plain mov
_PERCPU = re.compile(r"r(\d+) = \\?&\(void __percpu \*\)\(r(\d+)\)")


def as_71(text):
    """Our output in the form bpftool 7.1 prints (the only instruction form they differ on
    in these programs), and how many lines needed it."""
    return _PERCPU.subn(r"r\1 = r\2", text)


@pytest.fixture(scope="module")
def programs(loaded, code_loaded, bpftrace_prog):
    pins = {name: loaded.prog_pin(name) for name in loaded.progs}
    pins["code_atomics"] = code_loaded
    return pins, bpftrace_prog[1]


def _selectors(programs):
    pins, bpftrace_id = programs
    return [("pinned", pin) for pin in pins.values()] + [("id", str(bpftrace_id))]


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
@pytest.mark.parametrize("option", [(), ("opcodes",), ("linum",)])
def test_same_as_bpftool(programs, fmt, option):
    percpu = 0
    for sel in _selectors(programs):
        args = (*fmt, "prog", "dump", "xlated", *sel, *option)
        theirs = bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        ours = bpfinspect(*args, check=0).stdout
        converted, n = as_71(ours)
        percpu += n
        assert converted == theirs.stdout, args
        if fmt:
            json.loads(ours)
    assert percpu > 0  # the per-CPU form was met (percpu_h and percpu_a lookups)


def test_annotations(programs):
    pins, _ = programs
    out = bpfinspect("prog", "dump", "xlated", "pinned", pins["code_atomics"], "linum",
                     check=0).stdout
    for proto in ("int code_atomics(void * ctx):", "int add_one(__u32 index, void * data):",
                  "int twice(int x):", "int classify(int x):"):
        assert out.count("\n" + proto + "\n") + out.startswith(proto + "\n") == 1, proto
    assert re.search(r"\n; __sync_fetch_and_add\(v, 1\); \[file:\S+/code\.bpf\.c "
                     r"line_num:\d+ line_col:\d+\]\n", out)
    assert re.search(r": \(85\) call pc[+-]\d+#bpf_prog_[0-9a-f]{16}_twice\n", out)
    assert re.search(r": \(db\) r0 = atomic64_cmpxchg\(\(u64 \*\)\(r\d \+0\), r0, r\d\)\n", out)
    assert re.search(r": \(db\) r\d = atomic64_xchg\(\(u64 \*\)\(r\d \+0\), r\d\)\n", out)


def test_opcodes_and_linum_combine(programs):
    """7.1 takes one option; the newest takes several: each part as when given alone."""
    pins, _ = programs
    pin = pins["code_atomics"]
    both = bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", "linum",
                      check=0).stdout
    opcodes = bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", check=0).stdout
    linum = bpfinspect("prog", "dump", "xlated", "pinned", pin, "linum", check=0).stdout
    assert re.sub(r" \[file:[^\]]*\]\n", "\n", both) == opcodes
    assert "".join(line for line in both.splitlines(True)
                   if not line.startswith("       ")) == linum
    parsed = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned", pin, "linum",
                                   "opcodes", check=0).stdout)
    assert all("opcodes" in d for d in parsed)
    assert sum("line_num" in d for d in parsed) > 10


def test_cpu_v4_forms(raw_progs):
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["cpu_v4"], check=0).stdout
    expected = "".join("%4u: %s\n" % (i, text) for i, (_, text) in enumerate(rawprogs.CPU_V4))
    assert out == expected
    parsed = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned",
                                   raw_progs["cpu_v4"], check=0).stdout)
    assert parsed == [{"disasm": text} for _, text in rawprogs.CPU_V4]


def test_opcodes_text_and_json(raw_progs):
    pin = raw_progs["three"]
    assert bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", check=0).stdout == (
        "   0: (b7) r0 = 5\n       b7 00 00 00 05 00 00 00\n"
        "   1: (07) r0 += 1\n       07 00 00 00 01 00 00 00\n"
        "   2: (95) exit\n       95 00 00 00 00 00 00 00\n")
    first = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned", pin, "opcodes",
                                  check=0).stdout)[0]
    assert first == {"disasm": "(b7) r0 = 5", "opcodes": {
        "code": "0xb7", "src_reg": "0x0", "dst_reg": "0x0", "off": ["0x00", "0x00"],
        "imm": ["0x05", "0x00", "0x00", "0x00"]}}


def test_several_programs(raw_progs):
    """`name three` matches two programs: each under its `prog show` line, as bpftool."""
    for fmt in ((), ("-j",), ("-p",)):
        args = (*fmt, "prog", "dump", "xlated", "name", "three")
        theirs = bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        ours = bpfinspect(*args, check=0).stdout
        assert ours == theirs.stdout
    text = bpfinspect("prog", "dump", "xlated", "name", "three", check=0).stdout
    blocks = text.split("\n\n")
    assert len(blocks) >= 2
    for block in blocks:
        assert re.fullmatch(r"\d+: socket_filter  name three  tag [0-9a-f]{16}  gpl\n"
                            r"   0: \(b7\) r0 = 5\n   1: \(07\) r0 \+= 1\n   2: \(95\) exit\n?",
                            block)


def test_file_writes_the_image(raw_progs, tmp_path):
    ours, theirs = tmp_path / "ours.bin", tmp_path / "theirs.bin"
    for pin in raw_progs.values():
        assert bpfinspect("prog", "dump", "xlated", "pinned", pin, "file", str(ours),
                          check=0).stdout == ""
        assert bpftool("prog", "dump", "xlated", "pinned", pin, "file",
                       str(theirs)).returncode == 0
        assert ours.read_bytes() == theirs.read_bytes()
    assert oct(ours.stat().st_mode & 0o777) == "0o600"
    assert bpfinspect("-j", "prog", "dump", "xlated", "pinned", raw_progs["three"], "file",
                      str(ours), check=0).stdout == "null\n"


# --- visual ------------------------------------------------------------------------------

THREE_DOT = r'''digraph "DOT graph for eBPF program" {
subgraph "cluster_0" {
	style="dashed";
	color="black";
	label="func_0 ()";
	fn_0_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];

	fn_0_bb_2 [shape=record,style=filled,label="{\
0: (b7) r0 = 5\l\
| 1: (07) r0 += 1\l\
| 2: (95) exit\l\
}"];

	fn_0_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];

	fn_0_bb_0:s -> fn_0_bb_2:n [style="solid,bold", color=black, weight=10, constraint=true];
	fn_0_bb_2:s -> fn_0_bb_1:n [style="solid,bold", color=black, weight=10, constraint=true];
	fn_0_bb_0:s -> fn_0_bb_1:n [style="invis", constraint=true];
}
}
'''


def test_visual_is_the_spec_layout(raw_progs):
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["three"], "visual", check=0)
    assert out.stdout == THREE_DOT


def test_visual_draws_an_edge_once(raw_progs):
    """A conditional jump to the next instruction: one edge, not bpftool 7.1's two."""
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["same_target"], "visual",
                     check=0).stdout
    edges = [line.strip() for line in out.splitlines() if "->" in line]
    solid = ' [style="solid,bold", color=black, weight=10, constraint=true];'
    assert edges == [
        "fn_0_bb_0:s -> fn_0_bb_2:n" + solid,
        "fn_0_bb_2:s -> fn_0_bb_3:n" + solid,
        "fn_0_bb_3:s -> fn_0_bb_1:n" + solid,
        'fn_0_bb_0:s -> fn_0_bb_1:n [style="invis", constraint=true];',
    ]
    theirs = bpftool("prog", "dump", "xlated", "pinned", raw_progs["same_target"], "visual")
    assert theirs.stdout.count("fn_0_bb_2:s -> fn_0_bb_3:n") == 2


def _graph(dot):
    """(set of edges, {node: [instruction lines]}) of a DOT graph in either label layout
    (7.1's `{   0: ...` or the newest), without source notes and call symbols (7.1 prints
    no subprogram symbol in graphs) ."""
    edges = set(line.strip() for line in dot.splitlines() if "->" in line)
    nodes = {}
    for name, label in re.findall(r'\t(fn_\d+_bb_\d+) \[shape=record,style=filled,'
                                  r'label="\{(.*?)\}"\];', dot, re.S):
        insns = []
        for line in label.split("\\l\\\n"):
            line = line.strip().lstrip("|").strip().lstrip("\\").strip()
            if re.match(r"\d+: ", line):
                insns.append(re.sub(r"(call pc[+-]\d+)#\S+", r"\1", as_71(line)[0]))
        nodes[name] = insns
    return edges, nodes


def test_visual_same_graph_as_bpftool(programs):
    for sel in _selectors(programs):
        ours = bpfinspect("prog", "dump", "xlated", *sel, "visual", check=0).stdout
        theirs = bpftool("prog", "dump", "xlated", *sel, "visual")
        assert theirs.returncode == 0
        assert _graph(ours) == _graph(theirs.stdout), sel
        assert ours.startswith('digraph "DOT graph for eBPF program" {\nsubgraph "cluster_0" {')


def test_visual_notes_per_function(programs):
    """Each function's cluster carries its own prototype and source (bpftool's issue 178:
    it repeats the main function's in every subprogram)."""
    pins, _ = programs
    out = bpfinspect("prog", "dump", "xlated", "pinned", pins["code_atomics"], "visual",
                     "linum", check=0).stdout
    clusters = out.split('subgraph "cluster_')[1:]
    protos = [re.findall(r"; ((?:int|static)[^\\]*):\\l\\", c) for c in clusters]
    assert protos == [["int code_atomics(void * ctx)"],
                      ["int add_one(__u32 index, void * data)"], ["int twice(int x)"],
                      ["int classify(int x)"]]
    assert "; __u64\\ *v\\ =\\ bpf_map_lookup_elem(&stats,\\ &key);\\l\\" in clusters[0]
    assert "c-\\>sum\\ =\\ index;" in clusters[1]
    assert "c-\\>sum" not in clusters[0] + clusters[2] + clusters[3]
    assert re.search(r"; \[\.\.\./code\.bpf\.c line:\d+ col:\d+\]\\l\\", out) or \
        re.search(r"; \[\S*code\.bpf\.c line:\d+ col:\d+\]\\l\\", out)
    assert re.search(r"\n(\| )?\d+: \(85\) call pc\+\d+#bpf_prog_[0-9a-f]{16}_twice\\l\\\n", out)


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml"),
                                          (".pdf", b"%PDF-")])
def test_visual_renders_with_graphviz(raw_progs, tmp_path, suffix, magic):
    path = tmp_path / ("cfg" + suffix)
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["same_target"], "visual",
                     "-o", str(path), check=0)
    assert out.stdout == "" and out.stderr == ""
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in path.read_bytes()


def test_visual_dot_file(raw_progs, tmp_path):
    path = tmp_path / "cfg.dot"
    bpfinspect("--output", str(path), "prog", "dump", "xlated", "pinned", raw_progs["three"],
               "visual", check=0)
    assert path.read_text() == THREE_DOT


def test_visual_without_graphviz(raw_progs, tmp_path):
    path = tmp_path / "cfg.png"
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["three"], "visual", "-o",
                     str(path), env={"PATH": str(tmp_path)}, check=255)
    assert out.stderr == ("Error: rendering %s needs Graphviz's 'dot', which is not installed "
                          "(Debian/Ubuntu: apt-get install graphviz); write a .dot file "
                          "instead\n" % path)
    assert not path.exists()


# --- errors ------------------------------------------------------------------------------

def test_dump_errors(raw_progs, tmp_path):
    pin = raw_progs["three"]
    usage = bpfinspect("prog", "help", check=0).stderr
    assert "prog dump xlated PROG [{ file FILE | [opcodes] [linum] [visual] }]" in usage
    cases = [
        (("prog", "dump"), usage),
        (("prog", "dump", "xlated"), usage),
        (("prog", "dump", "xlated", "pinned", pin, "bogus"), usage),
        (("prog", "dump", "foo", "id", "1"), "Error: expected 'xlated' or 'jited', got: foo\n"),
        (("prog", "dump", "xlated", "pinned", pin, "file"), "Error: expected file path\n"),
        (("prog", "dump", "xlated", "pinned", pin, "file", str(tmp_path / "x"), "opcodes"),
         "Error: 'file' is not compatible with 'opcodes', 'visual', or 'linum'\n"),
        (("prog", "dump", "xlated", "name", "three", "visual"),
         "Error: several programs matched\n"),
        (("prog", "dump", "xlated", "name", "three", "file", str(tmp_path / "x")),
         "Error: several programs matched\n"),
        (("prog", "dump", "xlated", "id", "0"), "Error: get by id (0): No such file or directory\n"),
        (("prog", "dump", "xlated", "pinned", pin, "visual", "-o", str(tmp_path / "g.txt")),
         "Error: can't tell the output format of '%s': use one of .dot, .gv, .png, .svg, .pdf\n"
         % (tmp_path / "g.txt")),
        (("-o", str(tmp_path / "g.dot"), "prog", "dump", "xlated", "pinned", pin),
         "Error: -o/--output is for 'visual' graphs only\n"),
    ]
    for args, message in cases:
        out = bpfinspect(*args, check=255)
        assert (out.stdout, out.stderr) == ("", message), args
    assert not (tmp_path / "x").exists()
    out = bpfinspect("-j", "prog", "dump", "xlated", "pinned", pin, "visual", check=255)
    assert out.stdout == '{"error":"\'visual\' is not compatible with JSON output"}\n'
    assert bpfinspect("-j", "prog", "dump", check=255).stdout == "null\n"


def test_dump_matches_bpftool_errors(raw_progs):
    for args in (("prog", "dump", "foo", "id", "1"), ("prog", "dump", "xlated", "id", "0"),
                 ("prog", "dump", "xlated", "pinned", raw_progs["three"], "file")):
        ours, theirs = bpfinspect(*args, check=255), bpftool(*args)
        assert theirs.returncode == 255
        assert ours.stderr == theirs.stderr


def test_visual_block_with_btf(programs):
    """A block's label with BTF: the prototype, the source line (DOT-escaped), then the
    instructions, as the newest bpftool lays them out; with linum the position first, the
    path shortened to its last 32 characters at a slash."""
    pins, _ = programs
    out = bpfinspect("prog", "dump", "xlated", "pinned", pins["sock_filter"], "visual",
                     check=0).stdout
    assert ('\tfn_0_bb_2 [shape=record,style=filled,label="{\\\n'
            "; int sock_filter(struct __sk_buff * skb):\\l\\\n"
            "; return\\ skb-\\>len;\\l\\\n"
            "0: (61) r0 = *(u32 *)(r1 +112)\\l\\\n"
            '| 1: (95) exit\\l\\\n}"];\n') in out
    out = bpfinspect("prog", "dump", "xlated", "pinned", pins["sock_filter"], "visual",
                     "linum", check=0).stdout
    from bpfinspect.views.visual import shorten_path

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "tests", "bpf", "objects.bpf.c")
    ellipsis, short = shorten_path(path)
    assert ("; int sock_filter(struct __sk_buff * skb):\\l\\\n; [%s%s line:" % (
        ellipsis, short)) in out


# --- colour (--color) -------------------------------------------------------------------------

_SGR = re.compile("\x1b\\[[0-9;]*m")


def test_colour(programs, raw_progs):
    """--color=always paints the listing (and the header of each of several programs);
    without its escape sequences it is the plain output, which a pipe still gets unless
    colour is asked for, and JSON is never painted."""
    pins, _ = programs
    sels = [("pinned", pins["code_atomics"]), ("name", "three")]
    for sel in sels:
        for option in ((), ("opcodes",), ("linum",), ("opcodes", "linum")):
            args = ("prog", "dump", "xlated", *sel, *option)
            plain = bpfinspect(*args, check=0).stdout
            assert "\x1b" not in plain
            coloured = bpfinspect("--color=always", *args, check=0).stdout
            assert coloured.count("\x1b[") > plain.count("\n")
            assert _SGR.sub("", coloured) == plain, args
            assert bpfinspect(*args, "--color", "never", env={"FORCE_COLOR": "1"},
                              check=0).stdout == plain
            assert bpfinspect(*args, env={"FORCE_COLOR": "1"}, check=0).stdout == coloured
            assert bpfinspect(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"},
                              check=0).stdout == plain
            assert bpfinspect("--color=auto", *args, check=0).stdout == plain  # a pipe
    several = bpfinspect("--color=always", "prog", "dump", "xlated", "name", "three",
                         check=0).stdout
    assert re.match("\x1b\\[1;33m\\d+\x1b\\[0m: socket_filter  name \x1b\\[1;32mthree\x1b\\[0m",
                    several)
    assert "\x1b[33m   0\x1b[0m: \x1b[2m(b7)\x1b[0m \x1b[36mr0\x1b[0m = \x1b[35m5\x1b[0m\n" in several
    for fmt in ("-j", "-p"):
        args = (fmt, "prog", "dump", "xlated", "pinned", pins["code_atomics"], "linum")
        assert bpfinspect("--color=always", *args, check=0).stdout == bpfinspect(
            *args, check=0).stdout
    show = ("prog", "show", "pinned", pins["code_atomics"])
    coloured = bpfinspect("--color=always", *show, check=0).stdout
    assert coloured != bpfinspect(*show, check=0).stdout
    assert _SGR.sub("", coloured) == bpfinspect(*show, check=0).stdout
