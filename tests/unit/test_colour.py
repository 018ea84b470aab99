"""`--color`: the option, when colour is on, and the painter of views/colour.py on listing
lines and `show` headers. Painting changes no character: with its escape sequences removed,
coloured output is the plain output."""

import io
import os
import re
import subprocess
import sys

import pytest

from bpfinspect.cli import _output
from bpfinspect.cli.options import Options, colour_wanted, split_argv
from bpfinspect.model import JitFunc, JitInsn, Jited, SourceLine
from bpfinspect.views import colour, make_output
from bpfinspect.views.colour import Painter, strip
from tests.kernel import ROOT, bpfinspect
from tests.unit.records import bpf_map, btf_object, program
from tests.unit.records import xlated as build

# --- the option -------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, when, words", [
    (["prog", "show"], "auto", ["prog", "show"]),
    (["--color=always", "prog", "show"], "always", ["prog", "show"]),
    (["--color", "never", "prog", "show"], "never", ["prog", "show"]),
    (["prog", "--color", "auto", "show"], "auto", ["prog", "show"]),  # anywhere on the line
    (["-j", "--col=always", "map"], "always", ["map"]),  # a prefix, as getopt_long takes
    (["--color=never", "--color=always", "btf"], "always", ["btf"]),  # the last one wins
])
def test_option(argv, when, words):
    opts, rest = split_argv(argv)
    assert (opts.error, opts.color, rest) == (None, when, words)


@pytest.mark.parametrize("argv, error", [
    (["--color=sometimes", "prog"], "invalid argument 'sometimes' for '--color' "
                                    "(valid: auto, always, never)"),
    (["--color=", "prog"], "invalid argument '' for '--color' (valid: auto, always, never)"),
    (["--color", "prog", "show"], "invalid argument 'prog' for '--color' "
                                  "(valid: auto, always, never)"),
    (["prog", "--color"], "option '--color' requires an argument"),
])
def test_bad_option(argv, error):
    assert split_argv(argv)[0].error == error


def test_no_short_letter():
    """bpftool's letters stay bpftool's: --color has none."""
    assert split_argv(["-c", "prog"])[0].error == "unrecognized option '-c'"


def test_bad_value_is_a_usage_error():
    proc = bpfinspect("--color=yes", "prog", "show")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        255, "", "Error: invalid argument 'yes' for '--color' (valid: auto, always, never)\n")
    proc = bpfinspect("-j", "--color", "yes", "prog", "show")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        255, '{"error":"invalid argument \'yes\' for \'--color\' (valid: auto, always, '
             'never)"}\n', "")


class Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("when, tty, environ, wanted", [
    ("auto", True, {}, True),
    ("auto", False, {}, False),
    ("auto", True, {"NO_COLOR": "1"}, False),
    ("auto", True, {"NO_COLOR": ""}, True),  # empty: unset, as no-color.org says
    ("auto", False, {"FORCE_COLOR": "1"}, True),
    ("auto", False, {"FORCE_COLOR": ""}, False),
    ("auto", True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ("auto", True, {"TERM": "dumb"}, False),
    ("auto", False, {"TERM": "dumb", "FORCE_COLOR": "1"}, True),
    ("always", False, {"NO_COLOR": "1"}, True),
    ("always", False, {"TERM": "dumb"}, True),
    ("never", True, {"FORCE_COLOR": "1"}, False),
])
def test_colour_wanted(when, tty, environ, wanted):
    assert colour_wanted(when, Stream(tty), environ) is wanted


def test_a_stream_without_isatty():
    assert colour_wanted("auto", object(), {}) is False


def test_json_is_never_coloured(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    opts = Options()
    opts.color = "always"
    assert _output(opts).paint is not None
    opts.json = True
    assert getattr(_output(opts), "paint", None) is None
    opts.json = False
    opts.color = "never"
    assert _output(opts).paint is None


@pytest.mark.parametrize("environ, system", [
    ({}, "standard"), ({"TERM": "xterm-256color"}, "256"),
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
    ({"COLORTERM": "24bit"}, "truecolor")])
def test_colour_system(environ, system):
    assert colour.colour_system(environ) == system


@pytest.mark.parametrize("args", [("--color=never", "version"), ("--color=always", "version"),
                                  ("version",)])
def test_rich_is_not_imported_without_something_to_paint(args):
    """Start-up: rich only when a line is painted; the colour module only when colour is
    on."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "bpfinspect", *args],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, BPFINSPECT_LIBBPF="/nonexistent"))
    assert proc.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    assert not {m for m in modules if m == "rich" or m.startswith("rich.")}
    assert ("bpfinspect.views.colour" in modules) == (args[0] == "--color=always")


# --- painting ---------------------------------------------------------------------------------

R, Y, DIM, B, CY, MA, BB, BG, BR, DI = (
    "\x1b[0m", "\x1b[33m", "\x1b[2m", "\x1b[1m", "\x1b[36m", "\x1b[35m", "\x1b[1;34m",
    "\x1b[1;32m", "\x1b[1;31m", "\x1b[2;3m")


def test_xlated_lines_exactly():
    p = Painter()
    assert p.xlated("   0: (b7) r0 = 5") == (
        Y + "   0" + R + ": " + DIM + "(b7)" + R + " " + CY + "r0" + R + " = " + MA + "5" + R)
    assert p.xlated("   8: (35) if r0 >= 0x4 goto pc+3") == (
        Y + "   8" + R + ": " + DIM + "(35)" + R + " " + B + "if" + R + " " + CY + "r0" + R
        + " >= " + MA + "0x4" + R + " " + B + "goto" + R + " " + BB + "pc+3" + R)
    assert p.xlated("  21: (18) r1 = map[id:703606][0]+12") == (
        Y + "  21" + R + ": " + DIM + "(18)" + R + " " + CY + "r1" + R + " = " + BR
        + "map[id:703606][0]+12" + R)
    assert p.xlated("1000: (85) call bpf_map_lookup_elem#1\n; x = 1;") == (
        Y + "1000" + R + ": " + DIM + "(85)" + R + " " + B + "call" + R + " " + BG
        + "bpf_map_lookup_elem#1" + R + "\n" + DI + "; x = 1;" + R)


def test_jited_lines_exactly():
    p = Painter()
    assert p.jited("  1d:\tmovl\t%edi, -4(%rbp)") == (
        Y + "  1d" + R + ":\t" + B + "movl" + R + "\t" + CY + "%edi" + R + ", " + MA + "-4"
        + R + "(" + CY + "%rbp" + R + ")")
    assert p.jited("  3f:\tjae\t0xffffffffc000211a\n\t73 09 ") == (
        Y + "  3f" + R + ":\t" + B + "jae" + R + "\t" + BB + "0xffffffffc000211a" + R
        + "\n\t" + DIM + "73 09" + R + " ")
    assert p.jited("   c:\tsubq\t$0x38, %rsp") == (
        Y + "   c" + R + ":\t" + B + "subq" + R + "\t" + MA + "$0x38" + R + ", " + CY + "%rsp"
        + R)


XLATED_SAMPLE = """\
int code_atomics(void * ctx):
; int code_atomics(void *ctx) [file:/src/code.bpf.c line_num:90 line_col:0]
   0: (b4) w1 = 1
       b4 01 00 00 01 00 00 00
   1: (63) *(u32 *)(r10 -4) = r1
;  [file:/src/code.bpf.c line_num:0 line_col:0]
   4: (18) r1 = map[id:703601]
  20: (15) if r6 == 0x0 goto pc+78
  21: (18) r1 = map[id:703606][0]+12
  29: (85) call __htab_map_lookup_elem#338048
  41: (db) lock *(u64 *)(r6 +0) += r1
  45: (db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)
  61: (db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)
  80: (18) r2 = subprog[+17]
  93: (85) call pc+14#bpf_prog_32b2aac86f7e50a3_twice
  94: (85) call pc-3
  95: (bf) r0 = &(void __percpu *)(r1)
  96: (d7) r1 = bswap16 r1
  97: (e5) may_goto pc+2
  98: (06) gotol pc-100
  99: (91) r1 = *(s8 *)(r2 +3)
 100: (c3) r0 = load_acquire((u64 *)(r1 +0))
 101: (30) r0 = *(u8 *)skb[4]
 102: (95) exit
 103: (b7) r0 = -1
; \tescaped by textsafe: \\x1b[31m [bold]x [/]
"""

JITED_SAMPLE = """\
int code_atomics(void * ctx):
bpf_prog_cfbf4ec0c1e5a43b_code_atomics:
; int code_atomics(void *ctx) [file:/src/code.bpf.c line_num:90 line_col:0]
   0:\tnopl\t(%rax,%rax)
\t0f 1f 44 00 00\x20
   9:\tmovq\t%rsp, %rbp
  27:\tmovabsq\t$-131387144782336, %rdi
  95:\tcallq\t0xffffffff8152f550
  a0:\tlock
  a1:\txaddq\t%rax, 0x10(%rdi)
 1ce:\tjmp\t0xffffffff82270b00
 1d3:\tretq

   0:\tstp\tx29, x30, [sp, #-16]!
   4:\tbl\t0xffff800080123456
   8:\tb.eq\t#0x20
"""


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
def test_stripped_is_the_input(system):
    p = Painter(system)
    for sample, paint in ((XLATED_SAMPLE, p.xlated), (JITED_SAMPLE, p.jited)):
        painted = paint(sample)
        assert strip(painted) == sample
        assert painted.count("\x1b[") > 40


def test_every_line_of_the_samples_is_coloured_where_it_should_be():
    p = Painter()
    lines = dict(zip(XLATED_SAMPLE.splitlines(), p.xlated(XLATED_SAMPLE).splitlines()))
    assert lines["  80: (18) r2 = subprog[+17]"].endswith(BG + "subprog[+17]" + R)
    assert BG + "pc+14#bpf_prog_32b2aac86f7e50a3_twice" + R in lines[
        "  93: (85) call pc+14#bpf_prog_32b2aac86f7e50a3_twice"]
    assert B + "may_goto" + R + " " + BB + "pc+2" + R in lines["  97: (e5) may_goto pc+2"]
    assert B + "atomic64_fetch_add" + R + "((u64 *)(" in lines[
        "  45: (db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)"]
    assert "*(s8 *)(" + CY + "r2" + R + " " + MA + "+3" + R + ")" in lines[
        "  99: (91) r1 = *(s8 *)(r2 +3)"]  # the 8 of s8 is no number
    jl = dict(zip(JITED_SAMPLE.splitlines(), p.jited(JITED_SAMPLE).splitlines()))
    assert jl["bpf_prog_cfbf4ec0c1e5a43b_code_atomics:"] == (
        B + "bpf_prog_cfbf4ec0c1e5a43b_code_atomics:" + R)
    assert jl["  95:\tcallq\t0xffffffff8152f550"].endswith(BB + "0xffffffff8152f550" + R)
    assert (CY + "x29" + R + ", " + CY + "x30" + R + ", [" + CY + "sp" + R + ", " + MA + "#-16"
            + R + "]!") in jl["   0:\tstp\tx29, x30, [sp, #-16]!"]
    assert jl["   8:\tb.eq\t#0x20"].endswith(MA + "#0x20" + R)  # an immediate, not an address
    assert jl[""] == ""


def test_the_fast_path_is_what_rich_renders():
    """Listings are painted span by span with the codes the Console renders for each style
    (rich's Text rendering costs microseconds a span): the same bytes as a Text."""
    p = Painter()
    for sample, paint, mode in ((XLATED_SAMPLE, p.xlated, "xlated"),
                                (JITED_SAMPLE, p.jited, "jited")):
        for line, painted in zip(sample.split("\n"), paint(sample).split("\n")):
            m = p._regexes()[mode].match(line)
            cut = m.end("addr") if m else 0
            spans = ([(0, cut, "address")] if cut else []) + [
                (cut + s, cut + e, style)
                for s, e, style in p._spans(line[cut:], mode if m else None)]
            assert p.render(line, spans) == painted, line


def test_control_characters_rich_would_drop_stay():
    """Text drops BEL, BS, VT, FF and CR: text that holds one is not painted by a Text
    (textsafe escapes them before any line gets here)."""
    p = Painter()
    assert p.render("12: a\rb", [(0, 2, "id")]) == "12: a\rb"
    assert p.show("12: xdp  name a\x0cb  tag 00\n") == "12: xdp  name a\x0cb  tag 00\n"


# --- through the text output ------------------------------------------------------------------

HOSTILE = "[bold]x\x1b[31my[/bold]"
HOSTILE_SHOWN = "[bold]x\\x1b[31my[/bold]"  # as textsafe prints it


def painted_output(method, *args, **kwargs):
    out = io.StringIO()
    output = make_output("text", out)
    getattr(output, method)(*args, **kwargs)
    plain = out.getvalue()
    out = io.StringIO()
    output = make_output("text", out)
    output.paint = Painter()
    getattr(output, method)(*args, **kwargs)
    return plain, out.getvalue()


def test_show_headers(utc):
    plain, painted = painted_output("objects", "prog", [program()])
    assert painted.split("\n", 1)[0] == (
        "\x1b[1;33m104" + R + ": tracepoint  name " + BG + "sys_enter_bpf" + R
        + "  tag fa8c2ee32e0604b5  gpl")
    assert painted.split("\n", 1)[1] == plain.split("\n", 1)[1]
    for kind, records in (("map", [bpf_map(), bpf_map(name="")]),
                          ("btf", [btf_object(), btf_object(name="vmlinux", kernel=True)])):
        plain, painted = painted_output("objects", kind, records)
        assert strip(painted) == plain and painted != plain
    plain, painted = painted_output("objects", "btf", [btf_object(name="vmlinux",
                                                                  kernel=True)])
    assert painted.startswith("\x1b[1;33m14" + R + ": name " + BG + "[vmlinux]" + R + "  size")


def test_names_print_as_themselves(utc):
    """A name with rich markup or an escape sequence: escaped as without colour, never
    markup, never a live escape sequence."""
    for kind, record in (("prog", program(name=HOSTILE)), ("map", bpf_map(name=HOSTILE)),
                         ("btf", btf_object(name=HOSTILE))):
        plain, painted = painted_output("objects", kind, [record])
        assert HOSTILE_SHOWN in plain
        assert BG + HOSTILE_SHOWN + R in painted
        assert strip(painted) == plain
        assert "\x1b[31m" not in painted  # only our own sequences, all of them SGR resets
        assert re.sub("\x1b\\[[0-9;]*m", "", painted).count("\x1b") == 0


def test_several_programs_under_painted_headers():
    three = [(0xB7, 0, 0, 0, 5), (0x07, 0, 0, 0, 1), (0x95, 0, 0, 0, 0)]
    listings = [build(three, program(id=7, name=HOSTILE, type="socket_filter")),
                build(three, program(id=8, name="three", type="socket_filter"))]
    plain, painted = painted_output("xlated", listings, opcodes=True)
    assert strip(painted) == plain
    assert painted.startswith("\x1b[1;33m7" + R + ": socket_filter  name " + BG
                              + HOSTILE_SHOWN + R + "  tag ")
    assert "\n" + Y + "   2" + R + ": " + DIM + "(95)" + R + " " + B + "exit" + R + "\n" in painted


def test_annotated_listing():
    from tests.unit.test_xlated import annotated

    for opcodes, linum in ((False, False), (True, True)):
        plain, painted = painted_output("xlated", [annotated()], opcodes, linum)
        assert strip(painted) == plain
        assert painted.startswith(B + "int main_prog(void * ctx):" + R + "\n" + DI + "; int x")


def test_jited_listing():
    func = JitFunc(name="bpf_prog_00_f", proto="int f(void)", address=0, image=b"", lines=(),
                   insns=(JitInsn(0, b"\x55", "\tpushq\t%rbp",
                                  SourceLine(0, "\tint x = 1;", "/a.c", 1, 2)),
                          JitInsn(1, b"\xc9", "\tleave", None)))
    x = Jited(program=program(), funcs=(func,), split=True, image=b"")
    plain, painted = painted_output("jited", [x], opcodes=True, linum=True)
    assert strip(painted) == plain
    assert painted == (
        B + "int f(void):" + R + "\n" + B + "bpf_prog_00_f:" + R + "\n"
        + DI + "; int x = 1; [file:/a.c line_num:1 line_col:2]" + R + "\n"
        + Y + "   0" + R + ":\t" + B + "pushq" + R + "\t" + CY + "%rbp" + R + "\n"
        + "\t" + DIM + "55" + R + " \n"
        + Y + "   1" + R + ":\t" + B + "leave" + R + "\n" + "\t" + DIM + "c9" + R + " \n\n")


def test_other_documents_stay_plain():
    """Only listings and show headers: everything else an output writes is as it was."""
    out = io.StringIO()
    output = make_output("text", out)
    output.paint = Painter()
    output.version({"version": "1", "libbpf_version": "1.1", "features": {"llvm": True}})
    assert "\x1b" not in out.getvalue()
    assert output.paint.shown("cgroup", len) is len
