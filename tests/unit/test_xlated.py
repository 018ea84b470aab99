"""`prog dump xlated` of hand-built instruction images, text and JSON, in the layout of
bpftool's xlated_dumper.c (../shared/spec/xlated.md, sections 2 and 3, copied here where
cited). No kernel: the instructions are encoded by isa.insn.encode."""

import io
import json

from bpfinspect.isa import printer
from bpfinspect.model import SourceLine
from bpfinspect.views import make_output, xlated
from bpfinspect.views.jsonw import encode
from tests import rawprogs
from tests.unit.records import program
from tests.unit.records import xlated as build

THREE = rawprogs.PROGRAMS["three"]  # the spec's three-instruction program


def text(x, opcodes=False, linum=False):
    return "".join(xlated.text_chunks(x, opcodes, linum))


def dump(x, fmt, opcodes=False, linum=False, pretty=False):
    """What `[-j|-p] prog dump xlated` writes for the model.Xlated (or list of them) `x`."""
    out = io.StringIO()
    output = make_output(fmt, out, pretty=pretty)
    output.xlated(x if isinstance(x, list) else [x], opcodes, linum)
    output.close()
    return out.getvalue()


# --- the three-instruction program ------------------------------------------------------------

def test_plain():
    assert text(build(THREE)) == "   0: (b7) r0 = 5\n   1: (07) r0 += 1\n   2: (95) exit\n"


def test_opcodes():
    assert text(build(THREE), opcodes=True) == (
        "   0: (b7) r0 = 5\n       b7 00 00 00 05 00 00 00\n"
        "   1: (07) r0 += 1\n       07 00 00 00 01 00 00 00\n"
        "   2: (95) exit\n       95 00 00 00 00 00 00 00\n")


def test_json():
    assert dump(build(THREE), "json") == (
        '[{"disasm":"(b7) r0 = 5"},{"disasm":"(07) r0 += 1"},{"disasm":"(95) exit"}]\n')


def test_json_opcodes():
    assert dump(build(THREE), "json", opcodes=True) == (
        '[{"disasm":"(b7) r0 = 5","opcodes":{"code":"0xb7","src_reg":"0x0","dst_reg":"0x0",'
        '"off":["0x00","0x00"],"imm":["0x05","0x00","0x00","0x00"]}},'
        '{"disasm":"(07) r0 += 1","opcodes":{"code":"0x07","src_reg":"0x0","dst_reg":"0x0",'
        '"off":["0x00","0x00"],"imm":["0x01","0x00","0x00","0x00"]}},'
        '{"disasm":"(95) exit","opcodes":{"code":"0x95","src_reg":"0x0","dst_reg":"0x0",'
        '"off":["0x00","0x00"],"imm":["0x00","0x00","0x00","0x00"]}}]\n')


def test_pretty_json():
    assert dump(build(THREE), "json", pretty=True) == (
        '[{\n'
        '        "disasm": "(b7) r0 = 5"\n'
        '    },{\n'
        '        "disasm": "(07) r0 += 1"\n'
        '    },{\n'
        '        "disasm": "(95) exit"\n'
        '    }\n'
        ']\n')


def test_text_output_routes_to_the_view():
    assert dump(build(THREE), "text") == text(build(THREE))
    assert dump(build(THREE), "text", opcodes=True) == text(build(THREE), opcodes=True)


# --- ld_imm64, indices, immediates -------------------------------------------------------------

def test_ld_imm64_takes_two_slots():
    """The slot after an ld_imm64 is skipped (indices jump by 2); `opcodes` prints its 16
    bytes, JSON's "imm" the 12 from imm through the next slot."""
    x = build([(0x18, 1, 2, 0, 12), (0, 0, 0, 0, 16), (0xB7, 0, 0, 0, 0), (0x95, 0, 0, 0, 0)])
    assert text(x, opcodes=True) == (
        "   0: (18) r1 = map[id:12][0]+16\n"
        "       18 21 00 00 0c 00 00 00 00 00 00 00 10 00 00 00\n"
        "   2: (b7) r0 = 0\n       b7 00 00 00 00 00 00 00\n"
        "   3: (95) exit\n       95 00 00 00 00 00 00 00\n")
    first = json.loads(dump(x, "json", opcodes=True))[0]
    assert first == {"disasm": "(18) r1 = map[id:12][0]+16", "opcodes": {
        "code": "0x18", "src_reg": "0x2", "dst_reg": "0x1", "off": ["0x00", "0x00"],
        "imm": ["0x0c", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00",
                "0x10", "0x00", "0x00", "0x00"]}}


def test_index_1000_is_not_padded():
    """`%4u: `: ` 999: ` then `1000: ` (bpftool 7.1's `% 4d: ` printed ` 1000:`)."""
    x = build([(0xB7, 0, 0, 0, 0)] * 1001 + [(0x95, 0, 0, 0, 0)])
    lines = text(x).splitlines()
    assert lines[:2] == ["   0: (b7) r0 = 0", "   1: (b7) r0 = 0"]
    assert lines[998:] == [" 998: (b7) r0 = 0", " 999: (b7) r0 = 0", "1000: (b7) r0 = 0",
                           "1001: (95) exit"]


def test_ld_imm64_immediates():
    """Section 2, bpftool's print_imm: map fd, map value, map index value, subprogram,
    plain 64-bit number."""
    slots = [(0x18, 1, 1, 0, 7), (0, 0, 0, 0, 0),
             (0x18, 1, 2, 0, 12), (0, 0, 0, 0, 16),
             (0x18, 1, 6, 0, 3), (0, 0, 0, 0, 8),
             (0x18, 1, 4, 0, 10), (0, 0, 0, 0, 0),
             (0x18, 2, 0, 0, -1), (0, 0, 0, 0, -1),
             (0x18, 3, 0, 0, 1), (0, 0, 0, 0, 2),
             (0x95, 0, 0, 0, 0)]
    assert text(build(slots)) == (
        "   0: (18) r1 = map[id:7]\n"
        "   2: (18) r1 = map[id:12][0]+16\n"
        "   4: (18) r1 = map[idx:3]+8\n"
        "   6: (18) r1 = subprog[+10]\n"
        "   8: (18) r2 = 0xffffffffffffffff\n"
        "  10: (18) r3 = 0x200000001\n"
        "  12: (95) exit\n")


def test_call_names():
    """Section 2: a rewritten helper is named by the kallsyms symbol at __bpf_call_base + imm
    (`call htab_map_update_elem#350800`, `call bpf_get_current_comm#275104`), or printed as
    `0x%lx` of that address; the tail call keeps its id; a subprogram call with JIT symbols
    is `pc%+d#<symbol>`, without them `pc%+d`; a kfunc is its kallsyms name and imm."""
    base = 0xFFFFFFFF81000000
    sub = 0xFFFFFFFFC0002000
    symbols = printer.Symbols(
        call_base=base, jited_ksyms=(0xFFFFFFFFC0001000, sub),
        kallsyms={base + 350800: "htab_map_update_elem",
                  base + 275104: "bpf_get_current_comm",
                  base - 4096: "bpf_obj_new_impl",
                  sub: "bpf_prog_0011223344556677_sub"})
    slots = [(0x85, 0, 0, 0, 350800), (0x85, 0, 0, 0, 275104), (0x85, 0, 0, 0, 12),
             (0x85, 0, 0, 0, 16), (0x85, 0, 2, 0, -4096), (0x85, 0, 1, 2, 1),
             (0x95, 0, 0, 0, 0), (0x95, 0, 0, 0, 0)]
    assert text(build(slots, symbols=symbols)) == (
        "   0: (85) call htab_map_update_elem#350800\n"
        "   1: (85) call bpf_get_current_comm#275104\n"
        "   2: (85) call bpf_tail_call#12\n"
        "   3: (85) call 0xffffffff81000010#16\n"
        "   4: (85) call bpf_obj_new_impl#-4096\n"
        "   5: (85) call pc+2#bpf_prog_0011223344556677_sub\n"
        "   6: (95) exit\n"
        "   7: (95) exit\n")
    # kallsyms unreadable (or kptr_restrict): the base is 0 and no symbol is known
    assert text(build(slots[:2] + slots[5:6])) == (
        "   0: (85) call 0x55a50#350800\n"
        "   1: (85) call 0x432a0#275104\n"
        "   2: (85) call pc+2\n")


# --- prototypes and source lines ---------------------------------------------------------------

ANNOTATED = [
    (0x18, 1, 2, 0, 12), (0, 0, 0, 0, 16),   # 0: r1 = map value
    (0xB7, 0, 0, 0, 0),                      # 2
    (0x85, 0, 1, 1, 1),                      # 3: call pc+1 (the subprogram at 5)
    (0x95, 0, 0, 0, 0),                      # 4
    (0xB7, 0, 0, 0, 1),                      # 5: sub
    (0x95, 0, 0, 0, 0),                      # 6
]
PROTOS = [(0, "int main_prog(void * ctx)"), (5, "int sub(void)")]
LINES = [SourceLine(0, "\tint x = 1;", "/src/prog.c", 10, 5),
         SourceLine(3, "  return sub();", "/src/prog.c", 11, 9),
         SourceLine(5, "", "/src/prog.c", 20, 0)]


def annotated():
    return build(ANNOTATED, protos=PROTOS, lines=LINES)


def test_prototypes_and_source_lines():
    """Before an instruction: its function's prototype, then its source line with leading
    whitespace removed; an empty source line prints `; `."""
    assert text(annotated()) == (
        "int main_prog(void * ctx):\n"
        "; int x = 1;\n"
        "   0: (18) r1 = map[id:12][0]+16\n"
        "   2: (b7) r0 = 0\n"
        "; return sub();\n"
        "   3: (85) call pc+1\n"
        "   4: (95) exit\n"
        "int sub(void):\n"
        "; \n"
        "   5: (b7) r0 = 1\n"
        "   6: (95) exit\n")


def test_linum():
    out = text(annotated(), linum=True)
    assert out.splitlines()[1] == "; int x = 1; [file:/src/prog.c line_num:10 line_col:5]"
    assert out.splitlines()[4] == "; return sub(); [file:/src/prog.c line_num:11 line_col:9]"
    # `%s%s [file:...]` of the prefix "; " and an empty line
    assert out.splitlines()[8] == ";  [file:/src/prog.c line_num:20 line_col:0]"


def test_linum_and_opcodes_combine():
    out = text(annotated(), opcodes=True, linum=True)
    assert out.startswith(
        "int main_prog(void * ctx):\n"
        "; int x = 1; [file:/src/prog.c line_num:10 line_col:5]\n"
        "   0: (18) r1 = map[id:12][0]+16\n"
        "       18 21 00 00 0c 00 00 00 00 00 00 00 10 00 00 00\n"
        "   2: (b7) r0 = 0\n"
        "       b7 00 00 00 00 00 00 00\n")


def test_json_annotations():
    """Keys in order: proto, src, then with linum file, line_num, line_col (each left out
    when 0), then disasm."""
    assert dump(annotated(), "json") == (
        '[{"proto":"int main_prog(void * ctx)","src":"int x = 1;",'
        '"disasm":"(18) r1 = map[id:12][0]+16"},'
        '{"disasm":"(b7) r0 = 0"},'
        '{"src":"return sub();","disasm":"(85) call pc+1"},'
        '{"disasm":"(95) exit"},'
        '{"proto":"int sub(void)","src":"","disasm":"(b7) r0 = 1"},'
        '{"disasm":"(95) exit"}]\n')
    assert dump(annotated(), "json", linum=True) == (
        '[{"proto":"int main_prog(void * ctx)","src":"int x = 1;","file":"/src/prog.c",'
        '"line_num":10,"line_col":5,"disasm":"(18) r1 = map[id:12][0]+16"},'
        '{"disasm":"(b7) r0 = 0"},'
        '{"src":"return sub();","file":"/src/prog.c","line_num":11,"line_col":9,'
        '"disasm":"(85) call pc+1"},'
        '{"disasm":"(95) exit"},'
        '{"proto":"int sub(void)","src":"","file":"/src/prog.c","line_num":20,'
        '"disasm":"(b7) r0 = 1"},'
        '{"disasm":"(95) exit"}]\n')


def test_pretty_json_annotations():
    assert dump(annotated(), "json", pretty=True).startswith(
        '[{\n'
        '        "proto": "int main_prog(void * ctx)",\n'
        '        "src": "int x = 1;",\n'
        '        "disasm": "(18) r1 = map[id:12][0]+16"\n'
        '    },{\n'
        '        "disasm": "(b7) r0 = 0"\n'
        '    },{\n')


def test_line_records_walked_with_bpftools_running_skip():
    """bpftool asks libbpf's lfind for the last record at or before each instruction,
    starting at its count of lines printed so far: two records at one instruction print the
    second, which then prints again at the next instruction."""
    x = build([(0xB7, 0, 0, 0, 0)] * 3 + [(0x95, 0, 0, 0, 0)],
              lines=[SourceLine(0, "a", "f.c", 1, 1), SourceLine(2, "b", "f.c", 2, 1),
                     SourceLine(2, "c", "f.c", 3, 1)])
    assert text(x) == ("; a\n   0: (b7) r0 = 0\n   1: (b7) r0 = 0\n"
                       "; c\n   2: (b7) r0 = 0\n; c\n   3: (95) exit\n")


def test_a_prototype_at_no_instruction_stops_the_prototypes():
    """A func_info record pointing into an ld_imm64's second slot is never met: bpftool's
    walk over the records stops there, so later prototypes do not print."""
    x = build([(0x18, 1, 0, 0, 1), (0, 0, 0, 0, 0), (0xB7, 0, 0, 0, 0), (0x95, 0, 0, 0, 0)],
              protos=[(0, "int a(void)"), (1, "int b(void)"), (3, "int c(void)")])
    assert text(x) == ("int a(void):\n   0: (18) r1 = 0x1\n   2: (b7) r0 = 0\n"
                       "   3: (95) exit\n")


def test_source_text_is_escaped_tabs_stay():
    x = build(THREE, lines=[SourceLine(0, "  x = 1;\t// \x1b[2J", "f.c", 1, 1)])
    assert text(x).startswith("; x = 1;\t// \\x1b[2J\n   0: (b7) r0 = 5\n")
    assert json.loads(dump(x, "json"))[0]["src"] == "x = 1;\t// \x1b[2J"


# --- several programs ------------------------------------------------------------------------

def test_several_programs():
    """Each program under its `prog show` header line, a blank line between them; in JSON
    each is an object with its header members and its instructions under "insns"."""
    p1 = program(id=5, type="socket_filter", name="three", tag="0011223344556677")
    p2 = program(id=6, type="socket_filter", name="three", tag="0011223344556677")
    listings = [build(THREE, program_record=p1), build(THREE, program_record=p2)]
    body = "   0: (b7) r0 = 5\n   1: (07) r0 += 1\n   2: (95) exit\n"
    assert dump(listings, "text") == (
        "5: socket_filter  name three  tag 0011223344556677  gpl\n" + body + "\n"
        "6: socket_filter  name three  tag 0011223344556677  gpl\n" + body)
    insns = '[{"disasm":"(b7) r0 = 5"},{"disasm":"(07) r0 += 1"},{"disasm":"(95) exit"}]'
    head = ('"type":"socket_filter","name":"three","tag":"0011223344556677",'
            '"gpl_compatible":true')
    assert dump(listings, "json") == (
        '[{"id":5,%s,"insns":%s},{"id":6,%s,"insns":%s}]\n' % (head, insns, head, insns))
    pretty = json.loads(dump(listings, "json", pretty=True))
    assert pretty == json.loads(dump(listings, "json"))
    assert encode(pretty, True) + "\n" == dump(listings, "json", pretty=True)


def test_instruction_numbers_are_their_decimal_texts():
    from bpfinspect.views.decimal import numbers

    for limit in (0, 1, 999, 1000, 1001, 12345, 100001):
        for width in (0, 4):
            assert numbers(limit, width) == ["%*u" % (width, i) for i in range(limit)]
