"""`prog dump jited`: instructions of each JIT-compiled function with their source lines
(jit_disasm.c, disasm_print_insn), shared by the text and JSON formatters."""

import re

_OPERAND_SPLIT = re.compile(r"[ \t,()]+")


def lfind_addr(lines, address, nr_skip):
    """libbpf's bpf_prog_linfo__lfind_addr_func over one function's (address, SourceLine)."""
    n = len(lines)
    if nr_skip >= n or address < lines[nr_skip][0]:
        return None
    j = nr_skip
    while j < n and lines[j][0] <= address:
        j += 1
    return lines[j - 1][1]


def blocks(x):
    """(function or None, image, address, lines) per block of model.Jited `x`."""
    if not x.split:
        return [(None, x.image, 0, ())]
    return [(f, f.image, f.address, f.lines) for f in x.funcs]


def instructions(dis, image, address, lines):
    """(pc, bytes, text, SourceLine or None) per instruction."""
    from bpfinspect.jit.backend import disassemble

    nr_skip = 0
    for pc, n, text in disassemble(dis, image, address):
        line = None
        if lines:
            line = lfind_addr(lines, address + pc, nr_skip)
            if line is not None:
                nr_skip += 1
        yield pc, image[pc:pc + n], text or "\t(bad)", line


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
