"""`prog dump jited` of hand-built JitFunc/JitInsn records (what the disassembler would
have produced), text and JSON, in the layout of bpftool's prog.c and jit_disasm.c with
LLVM (../shared/spec/bpftool-output.md, `prog dump jited`). The instruction text is LLVM's:
a tab, the mnemonic, a tab, the operands."""

import io

from bpfinspect import model
from bpfinspect.model import JitFunc, JitInsn, SourceLine
from bpfinspect.views import jited, make_output
from tests.unit.records import program

MAIN = "bpf_prog_fa8c2ee32e0604b5_on_getpid"
SUB = "bpf_prog_0011223344556677_sub"
LINE = SourceLine(0, "\tint x = 1;", "/src/a.c", 3, 2)


def split_image():
    main = JitFunc(name=MAIN, proto="int on_getpid(void * ctx)", address=0xFFFFFFFFC0001000,
                   image=b"", lines=(), insns=(
                       JitInsn(0, b"\x0f\x1f\x44\x00\x00", "\tnopl\t(%rax,%rax)", LINE),
                       JitInsn(5, b"\x48\x8b\x47\x10", "\tmovq\t0x10(%rdi), %rax", None),
                       JitInsn(9, b"\xc3", "\tretq", None)))
    sub = JitFunc(name=SUB, proto="", address=0xFFFFFFFFC0002000, image=b"", lines=(),
                  insns=(JitInsn(0, b"\x31\xc0", "\txorl\t%eax, %eax", None),
                         JitInsn(2, b"\xc3", "\tretq", None)))
    return model.Jited(program=program(), funcs=(main, sub), split=True, image=b"")


def whole_image():
    """A program the kernel did not split into functions: one unnamed JitFunc."""
    func = JitFunc(name=None, proto="", address=0, image=b"", lines=(),
                   insns=(JitInsn(0, b"\x55", "\tpushq\t%rbp", None),
                          JitInsn(1, b"\xc9", "\tleave", None)))
    return model.Jited(program=program(), funcs=(func,), split=False, image=b"")


def text(x, opcodes=False, linum=False):
    return "".join(jited.text_chunks(x, opcodes, linum))


def dump(listings, fmt, opcodes=False, linum=False, pretty=False):
    out = io.StringIO()
    output = make_output(fmt, out, pretty=pretty)
    output.jited(listings, opcodes, linum)
    output.close()
    return out.getvalue()


def test_text_per_function():
    """Per function: its prototype (when BTF gives one), its symbol, `%4x:` and LLVM's text,
    source lines before their instruction; a blank line after each function."""
    assert text(split_image()) == (
        "int on_getpid(void * ctx):\n"
        "bpf_prog_fa8c2ee32e0604b5_on_getpid:\n"
        "; int x = 1;\n"
        "   0:\tnopl\t(%rax,%rax)\n"
        "   5:\tmovq\t0x10(%rdi), %rax\n"
        "   9:\tretq\n"
        "\n"
        "bpf_prog_0011223344556677_sub:\n"
        "   0:\txorl\t%eax, %eax\n"
        "   2:\tretq\n"
        "\n")


def test_text_opcodes_and_linum():
    """`opcodes`: a line of a tab and `%02x ` per byte after each instruction."""
    assert text(split_image(), opcodes=True, linum=True).startswith(
        "int on_getpid(void * ctx):\n"
        "bpf_prog_fa8c2ee32e0604b5_on_getpid:\n"
        "; int x = 1; [file:/src/a.c line_num:3 line_col:2]\n"
        "   0:\tnopl\t(%rax,%rax)\n"
        "\t0f 1f 44 00 00 \n"
        "   5:\tmovq\t0x10(%rdi), %rax\n"
        "\t48 8b 47 10 \n"
        "   9:\tretq\n"
        "\tc3 \n"
        "\n")


def test_json_per_function():
    """{"proto"?, "name", "insns"}; the operation is the mnemonic, the operands are split at
    spaces, commas and parentheses, [null] when there are none."""
    assert dump([split_image()], "json") == (
        '[{"proto":"int on_getpid(void * ctx)","name":"%s","insns":['
        '{"src":"int x = 1;","pc":"0x0","operation":"nopl","operands":["%%rax","%%rax"]},'
        '{"pc":"0x5","operation":"movq","operands":["0x10","%%rdi","%%rax"]},'
        '{"pc":"0x9","operation":"retq","operands":[null]}]},'
        '{"name":"%s","insns":['
        '{"pc":"0x0","operation":"xorl","operands":["%%eax","%%eax"]},'
        '{"pc":"0x2","operation":"retq","operands":[null]}]}]\n' % (MAIN, SUB))


def test_json_opcodes_and_linum():
    first = jited.json_value(split_image(), opcodes=True, linum=True)[0]["insns"][0]
    assert first == {"src": "int x = 1;", "file": "/src/a.c", "line_num": 3, "line_col": 2,
                     "pc": "0x0", "operation": "nopl", "operands": ["%rax", "%rax"],
                     "opcodes": ["0x0f", "0x1f", "0x44", "0x00", "0x00"]}
    assert list(first) == ["src", "file", "line_num", "line_col", "pc", "operation",
                           "operands", "opcodes"]


def test_an_image_not_split_into_functions():
    """No symbol line, no blank line; JSON is the instructions alone."""
    assert text(whole_image()) == "   0:\tpushq\t%rbp\n   1:\tleave\n"
    assert dump([whole_image()], "json") == (
        '[{"pc":"0x0","operation":"pushq","operands":["%rbp"]},'
        '{"pc":"0x1","operation":"leave","operands":[null]}]\n')


def test_several_programs():
    p1, p2 = program(id=5, name="a", type="xdp"), program(id=6, name="b", type="xdp")
    listings = [model.Jited(program=p1, funcs=whole_image().funcs, split=False, image=b""),
                model.Jited(program=p2, funcs=whole_image().funcs, split=False, image=b"")]
    body = "   0:\tpushq\t%rbp\n   1:\tleave\n"
    assert dump(listings, "text") == (
        "5: xdp  name a  tag fa8c2ee32e0604b5  gpl\n" + body + "\n"
        "6: xdp  name b  tag fa8c2ee32e0604b5  gpl\n" + body)
    insns = ('[{"pc":"0x0","operation":"pushq","operands":["%rbp"]},'
             '{"pc":"0x1","operation":"leave","operands":[null]}]')
    assert dump(listings, "json") == (
        '[{"id":5,"type":"xdp","name":"a","tag":"fa8c2ee32e0604b5","gpl_compatible":true,'
        '"insns":%s},{"id":6,"type":"xdp","name":"b","tag":"fa8c2ee32e0604b5",'
        '"gpl_compatible":true,"insns":%s}]\n' % (insns, insns))


def test_operation_split():
    assert jited.operation("\tnopl\t(%rax,%rax)") == ("nopl", ["%rax", "%rax"])
    assert jited.operation("\tretq") == ("retq", [None])
    assert jited.operation("\tcallq\t0xffffffffc0002000") == ("callq", ["0xffffffffc0002000"])
