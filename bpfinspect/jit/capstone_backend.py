"""capstone (the `capstone` Python package, an optional extra) as the disassembler when no
libLLVM is installed. Its text is laid out as LLVM's: tab, mnemonic, tab, operands."""

import os

from bpfinspect.errors import LibraryMissing


class CapstoneDisassembler:
    name = "capstone"

    def __init__(self, machine=None):
        try:
            import capstone
        except ImportError:
            raise LibraryMissing("the capstone package is not installed") from None
        machine = machine or os.uname().machine
        if machine == "x86_64":
            self.cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
            self.cs.syntax = capstone.CS_OPT_SYNTAX_ATT
        elif machine in ("aarch64", "arm64"):
            self.cs = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        else:
            raise LibraryMissing("capstone: no support for %s here" % machine)

    def instruction(self, image, pc, address):
        for insn in self.cs.disasm(image[pc:pc + 16], address + pc, 1):
            if insn.op_str:
                return insn.size, "\t%s\t%s" % (insn.mnemonic, insn.op_str)
            return insn.size, "\t%s" % insn.mnemonic
        return 0, ""

    def close(self):
        pass
