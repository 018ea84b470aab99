"""`prog dump jited`: each JIT-compiled function's prototype, symbol and instructions with
their source lines, in text and JSON side by side (bpftool's jit_disasm.c)."""

import re

from bpfinspect.views.xlated import line_json, note_text
from bpfinspect.views.textsafe import safe

_OPERAND_SPLIT = re.compile(r"[ \t,()]+")


def operation(text):
    """bpftool's printf_json: the mnemonic, and the operands split at spaces, commas and
    parentheses ([None] when there are none)."""
    parts = [p for p in _OPERAND_SPLIT.split(text.strip(" \t")) if p]
    if not parts:
        return "(bad)", [None]
    first = text.strip(" \t").split(None, 1)
    rest = first[1] if len(first) > 1 else ""
    operands = [p for p in _OPERAND_SPLIT.split(rest) if p]
    return first[0], operands or [None]


def text_chunks(x, opcodes=False, linum=False):
    """model.Jited `x` (disassembled) as text, a chunk per function."""
    for func in x.funcs:
        out = []
        if x.split:
            if func.proto:
                out.append(safe(func.proto) + ":\n")
            out.append(safe(func.name) + ":\n")
        for insn in func.insns:
            if insn.line is not None:
                out.append(note_text(None, insn.line, linum))
            out.append("%4x:%s" % (insn.pc, insn.text))
            if opcodes:
                out.append("\n\t" + "".join("%02x " % b for b in insn.raw))
            out.append("\n")
        if x.split:
            out.append("\n")
        yield "".join(out)


def json_value(x, opcodes=False, linum=False):
    """-j: per function {"proto", "name", "insns"}; an image the kernel did not split into
    functions is just its instructions."""
    out = []
    for func in x.funcs:
        insns = []
        for insn in func.insns:
            d = line_json(insn.line, linum)
            d["pc"] = "0x%x" % insn.pc
            d["operation"], d["operands"] = operation(insn.text)
            if opcodes:
                d["opcodes"] = ["0x%02x" % b for b in insn.raw]
            insns.append(d)
        if not x.split:
            return insns
        entry = {}
        if func.proto:
            entry["proto"] = func.proto
        entry["name"] = func.name
        entry["insns"] = insns
        out.append(entry)
    return out
