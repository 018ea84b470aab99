"""The disassembler to use: LLVM, else capstone; $BPFINSPECT_DISASM=llvm|capstone forces
one."""

import os

from bpfinspect.errors import LibraryMissing
from bpfinspect.jit.capstone_backend import CapstoneDisassembler
from bpfinspect.jit.llvm import LlvmDisassembler


def disassembler(machine=None):
    forced = os.environ.get("BPFINSPECT_DISASM")
    order = {"llvm": [LlvmDisassembler], "capstone": [CapstoneDisassembler]}.get(
        forced, [LlvmDisassembler, CapstoneDisassembler])
    reasons = []
    for kind in order:
        try:
            return kind(machine)
        except LibraryMissing as exc:
            reasons.append("%s: %s" % (kind.name, exc))
    raise LibraryMissing("no disassembler for JIT code (%s); install libLLVM (Debian: "
                         "apt-get install libllvm15) or the capstone package (pip install "
                         "capstone)" % "; ".join(reasons))


def disassemble(dis, image, address):
    """[(pc, length, text)] of `image` loaded at `address`; stops at the first byte that does
    not decode (that instruction is listed with length 0), as bpftool does."""
    out = []
    pc = 0
    while pc < len(image):
        n, text = dis.instruction(image, pc, address)
        out.append((pc, n, text))
        if n <= 0:
            break
        pc += n
    return out
