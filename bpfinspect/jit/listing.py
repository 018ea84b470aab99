"""A JIT image disassembled: each function's instructions with their source lines
(bpftool's jit_disasm.c, disasm_print_insn), filled into the model for the views."""

from bpfinspect.jit.backend import disassemble
from bpfinspect.model import JitFunc, JitInsn, Jited


def lfind_addr(lines, address, nr_skip):
    """libbpf's bpf_prog_linfo__lfind_addr_func over one function's (address, SourceLine)."""
    n = len(lines)
    if nr_skip >= n or address < lines[nr_skip][0]:
        return None
    j = nr_skip
    while j < n and lines[j][0] <= address:
        j += 1
    return lines[j - 1][1]


def instructions(dis, image, address, lines):
    """JitInsn per instruction of `image`, loaded at `address`."""
    out = []
    nr_skip = 0
    for pc, n, text in disassemble(dis, image, address):
        line = None
        if lines:
            line = lfind_addr(lines, address + pc, nr_skip)
            if line is not None:
                nr_skip += 1
        out.append(JitInsn(pc, image[pc:pc + n], text or "\t(bad)", line))
    return tuple(out)


def disassembled(dis, jited):
    """model.Jited `jited` with every function's instructions filled in by `dis`."""
    funcs = tuple(JitFunc(f.name, f.proto, f.address, f.image, f.lines,
                          instructions(dis, f.image, f.address, f.lines))
                  for f in jited.funcs)
    return Jited(program=jited.program, funcs=funcs, split=jited.split, image=jited.image)
