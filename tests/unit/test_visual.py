"""`prog dump xlated ... visual`: the DOT graph of hand-built programs, laid out as the newest
bpftool's cfg.c lays it out (../shared/spec/xlated.md, section 4). The spec's
three-instruction program is compared byte for byte with tests/golden/visual_three.dot, which
holds the spec's DOT as it is printed there."""

import io
import os


from bpfinspect import model
from bpfinspect.isa import cfg
from bpfinspect.isa.image import Image
from bpfinspect.isa.printer import Symbols
from bpfinspect.model import SourceLine
from bpfinspect.views import make_output
from bpfinspect.views.visual import render
from tests import rawprogs
from tests.unit.records import assemble, program, xlated

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")

HEAD = 'digraph "DOT graph for eBPF program" {\n'
EDGE = ' [style="solid,bold", color=black, weight=10, constraint=true];\n'


def cluster(idx):
    return ('subgraph "cluster_%d" {\n\tstyle="dashed";\n\tcolor="black";\n'
            '\tlabel="func_%d ()";\n' % (idx, idx))


def graph(x, opcodes=False, linum=False):
    """DOT of model.Xlated `x`, its functions split as the api splits them (with the starts
    func_info names)."""
    funcs = cfg.build(x.image.insns(), [off for off, _ in x.protos])
    return "".join(render(model.Cfg(x, funcs), opcodes, linum))


def test_three_instructions_is_the_golden_file():
    with open(os.path.join(GOLDEN, "visual_three.dot"), "rb") as f:
        golden = f.read()
    x = model.Xlated(program=program(name="three", type="socket_filter", type_number=1),
                     image=Image(assemble(rawprogs.PROGRAMS["three"])), protos=(), lines=(),
                     symbols=Symbols())
    funcs = cfg.build(x.image.insns(), [])
    assert "".join(render(model.Cfg(x, funcs))).encode() == golden


def test_dot_output_writes_the_graph():
    x = xlated(rawprogs.PROGRAMS["three"])
    out = io.StringIO()
    output = make_output("dot", out)
    output.cfg([model.Cfg(x, cfg.build(x.image.insns(), []))])
    output.close()
    with open(os.path.join(GOLDEN, "visual_three.dot")) as f:
        assert out.getvalue() == f.read()


def test_an_edge_is_drawn_once():
    """A conditional jump to the next instruction both falls through and jumps to the same
    block: one edge (bpftool 7.1 drew two)."""
    assert graph(xlated(rawprogs.PROGRAMS["same_target"])) == (
        HEAD + cluster(0) +
        '\tfn_0_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n\n'
        '\tfn_0_bb_2 [shape=record,style=filled,label="{\\\n'
        '0: (b7) r0 = 0\\l\\\n'
        '| 1: (61) r1 = *(u32 *)(r1 +0)\\l\\\n'
        '| 2: (15) if r1 == 0x0 goto pc+0\\l\\\n'
        '}"];\n\n'
        '\tfn_0_bb_3 [shape=record,style=filled,label="{\\\n'
        '3: (b7) r0 = 1\\l\\\n'
        '| 4: (95) exit\\l\\\n'
        '}"];\n\n'
        '\tfn_0_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n\n'
        '\tfn_0_bb_0:s -> fn_0_bb_2:n' + EDGE +
        '\tfn_0_bb_2:s -> fn_0_bb_3:n' + EDGE +
        '\tfn_0_bb_3:s -> fn_0_bb_1:n' + EDGE +
        '\tfn_0_bb_0:s -> fn_0_bb_1:n [style="invis", constraint=true];\n'
        '}\n}\n')


def test_functions_blocks_edges_and_escapes():
    """A subprogram gets its own cluster, its indices relative to its start; a conditional
    jump draws its fall-through edge, then its jump edge; `< > | &` are escaped; a
    subprogram call prints with its symbol, as in plain mode."""
    sub = 0xFFFFFFFFC0002000
    symbols = Symbols(jited_ksyms=(0xFFFFFFFFC0001000, sub),
                      kallsyms={sub: "bpf_prog_0011223344556677_sub"})
    x = xlated([(0x85, 0, 1, 3, 1),     # 0: call pc+3 -> 4, function 1
                (0xA5, 0, 0, 1, 5),     # 1: if r0 < 0x5 goto pc+1 -> 3
                (0xB7, 0, 0, 0, 0),     # 2
                (0x95, 0, 0, 0, 0),     # 3
                (0xB7, 0, 0, 0, 7),     # 4: function 1
                (0x57, 0, 0, 0, 3),     # 5: r0 &= 3
                (0x95, 0, 0, 0, 0)],    # 6
               symbols=symbols)
    assert graph(x) == (
        HEAD + cluster(0) +
        '\tfn_0_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n\n'
        '\tfn_0_bb_2 [shape=record,style=filled,label="{\\\n'
        '0: (85) call pc+3#bpf_prog_0011223344556677_sub\\l\\\n'
        '| 1: (a5) if r0 \\< 0x5 goto pc+1\\l\\\n'
        '}"];\n\n'
        '\tfn_0_bb_3 [shape=record,style=filled,label="{\\\n'
        '2: (b7) r0 = 0\\l\\\n'
        '}"];\n\n'
        '\tfn_0_bb_4 [shape=record,style=filled,label="{\\\n'
        '3: (95) exit\\l\\\n'
        '}"];\n\n'
        '\tfn_0_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n\n'
        '\tfn_0_bb_0:s -> fn_0_bb_2:n' + EDGE +
        '\tfn_0_bb_2:s -> fn_0_bb_3:n' + EDGE +
        '\tfn_0_bb_2:s -> fn_0_bb_4:n' + EDGE +
        '\tfn_0_bb_3:s -> fn_0_bb_4:n' + EDGE +
        '\tfn_0_bb_4:s -> fn_0_bb_1:n' + EDGE +
        '\tfn_0_bb_0:s -> fn_0_bb_1:n [style="invis", constraint=true];\n'
        '}\n' + cluster(1) +
        '\tfn_1_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n\n'
        '\tfn_1_bb_2 [shape=record,style=filled,label="{\\\n'
        '0: (b7) r0 = 7\\l\\\n'
        '| 1: (57) r0 \\&= 3\\l\\\n'
        '| 2: (95) exit\\l\\\n'
        '}"];\n\n'
        '\tfn_1_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n\n'
        '\tfn_1_bb_0:s -> fn_1_bb_2:n' + EDGE +
        '\tfn_1_bb_2:s -> fn_1_bb_1:n' + EDGE +
        '\tfn_1_bb_0:s -> fn_1_bb_1:n [style="invis", constraint=true];\n'
        '}\n}\n')


def test_opcodes_in_blocks():
    dot = graph(xlated(rawprogs.PROGRAMS["three"]), opcodes=True)
    assert ('\tfn_0_bb_2 [shape=record,style=filled,label="{\\\n'
            '0: (b7) r0 = 5\\l\\\n'
            '\\ \\ \\ \\ b7 00 00 00 05 00 00 00\\l\\\n'
            '| 1: (07) r0 += 1\\l\\\n'
            '\\ \\ \\ \\ 07 00 00 00 01 00 00 00\\l\\\n'
            '| 2: (95) exit\\l\\\n'
            '\\ \\ \\ \\ 95 00 00 00 00 00 00 00\\l\\\n'
            '}"];\n') in dot


GETPID = [(0x85, 0, 0, 0, 14),   # 0: call bpf_get_current_pid_tgid
          (0x77, 0, 0, 0, 32),   # 1: r0 >>= 32
          (0x15, 0, 0, 1, 0),    # 2: if r0 == 0x0 goto pc+1 -> 4
          (0xB7, 0, 0, 0, 1),    # 3
          (0x95, 0, 0, 0, 0)]    # 4
GETPID_LINES = [
    SourceLine(0, "\t__u32 pid = bpf_get_current_pid_tgid() >> 32;",
               "/home/user/projects/bpf/src/probes/getpid.bpf.c", 12, 2),
    SourceLine(2, "\tif (!pid)", "/home/user/projects/bpf/src/probes/getpid.bpf.c", 13, 6),
]


def getpid():
    return xlated(GETPID, protos=[(0, "int on_getpid(void * ctx)")], lines=GETPID_LINES,
                  symbols=Symbols(helpers={14: "bpf_get_current_pid_tgid"}))


def test_blocks_with_btf():
    """The spec's label with BTF: the prototype, the source line escaped as DOT record text,
    then the instructions; `| ` goes before the first line of each following instruction;
    a block that starts inside a source line repeats that line at its top."""
    dot = graph(getpid())
    assert ('\tfn_0_bb_2 [shape=record,style=filled,label="{\\\n'
            '; int on_getpid(void * ctx):\\l\\\n'
            '; __u32\\ pid\\ =\\ bpf_get_current_pid_tgid()\\ \\>\\>\\ 32;\\l\\\n'
            '0: (85) call bpf_get_current_pid_tgid#14\\l\\\n'
            '| 1: (77) r0 \\>\\>= 32\\l\\\n'
            '| ; if\\ (!pid)\\l\\\n'
            '2: (15) if r0 == 0x0 goto pc+1\\l\\\n'
            '}"];\n\n'
            '\tfn_0_bb_3 [shape=record,style=filled,label="{\\\n'
            '; if\\ (!pid)\\l\\\n'
            '3: (b7) r0 = 1\\l\\\n'
            '}"];\n\n'
            '\tfn_0_bb_4 [shape=record,style=filled,label="{\\\n'
            '; if\\ (!pid)\\l\\\n'
            '4: (95) exit\\l\\\n'
            '}"];\n\n') in dot


def test_blocks_with_btf_and_linum():
    """With linum, `; [file line:N col:C]` before each source line, the path cut to its
    last 32 characters at a slash."""
    dot = graph(getpid(), linum=True)
    assert ('label="{\\\n'
            '; int on_getpid(void * ctx):\\l\\\n'
            '; [.../bpf/src/probes/getpid.bpf.c line:12 col:2]\\l\\\n'
            '; __u32\\ pid\\ =\\ bpf_get_current_pid_tgid()\\ \\>\\>\\ 32;\\l\\\n'
            '0: (85) call bpf_get_current_pid_tgid#14\\l\\\n') in dot


def test_empty_source_lines_are_left_out():
    x = xlated(rawprogs.PROGRAMS["three"], lines=[SourceLine(0, "", "f.c", 1, 1)])
    assert graph(x) == graph(xlated(rawprogs.PROGRAMS["three"]))


def test_each_function_has_its_own_prototype():
    """bpftool prints the main function's notes in every cluster (its issue 178): here
    each cluster has its own."""
    x = xlated([(0x85, 0, 1, 1, 1), (0x95, 0, 0, 0, 0), (0xB7, 0, 0, 0, 2),
                (0x95, 0, 0, 0, 0)],
               protos=[(0, "int main_prog(void * ctx)"), (2, "int sub(int x)")])
    clusters = graph(x).split('subgraph "cluster_')[1:]
    assert "; int main_prog(void * ctx):\\l\\\n0: (85) call pc+1\\l\\\n" in clusters[0]
    assert "sub(int x)" not in clusters[0]
    assert "; int sub(int x):\\l\\\n0: (b7) r0 = 2\\l\\\n" in clusters[1]
    assert "main_prog" not in clusters[1]


# moved from tests/test_xlated.py
def test_shorten_path():
    from bpfinspect.views.visual import shorten_path

    assert shorten_path("/short/file.c") == ("", "/short/file.c")
    assert shorten_path("/a/very/long/directory/name/that/goes/on/file.bpf.c") == (
        "...", "/name/that/goes/on/file.bpf.c")
    assert shorten_path("/x/" + "f" * 40 + ".c") == ("...", "/" + "f" * 40 + ".c")
    assert shorten_path("f" * 40) == ("", "f" * 40)


def test_shorten_path_long_name_under_the_root():
    """btf_dump_linfo_dotlabel prints "..." only when the shortened path starts after the
    path's first character: a long file name right under / keeps no ellipsis."""
    from bpfinspect.views.visual import shorten_path

    assert shorten_path("/" + "f" * 40) == ("", "/" + "f" * 40)
