"""LLVM's C disassembler (llvm-c/Disassembler.h) through ctypes.

libLLVM is found by an ordered search: $BPFINSPECT_LIBLLVM, the dynamic linker's
libLLVM.so, then the versioned libraries of the usual directories, newest first. Every
foreign function is declared once, in PROTOTYPES.
"""

import ctypes
import os
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint64, c_void_p

from bpfinspect.errors import LibraryMissing
from bpfinspect.jit.llvm_search import candidates

_LOOKUP = ctypes.CFUNCTYPE(c_char_p, c_void_p, c_uint64, POINTER(c_uint64), c_uint64,
                           POINTER(c_char_p))

PROTOTYPES = {
    "LLVMGetDefaultTargetTriple": (c_void_p, []),
    "LLVMNormalizeTargetTriple": (c_void_p, [c_char_p]),
    "LLVMDisposeMessage": (None, [c_void_p]),
    "LLVMCreateDisasm": (c_void_p, [c_char_p, c_void_p, c_int, c_void_p, _LOOKUP]),
    "LLVMCreateDisasmCPUFeatures": (c_void_p, [c_char_p, c_char_p, c_char_p, c_void_p, c_int,
                                               c_void_p, _LOOKUP]),
    "LLVMDisasmInstruction": (c_size_t, [c_void_p, c_char_p, c_uint64, c_uint64, c_char_p,
                                         c_size_t]),
    "LLVMDisasmDispose": (None, [c_void_p]),
}

# the targets a JIT image can be in, by uname -m: LLVM's name for their initializers
TARGETS = {"x86_64": "X86", "aarch64": "AArch64", "arm64": "AArch64", "riscv64": "RISCV",
           "s390x": "SystemZ", "ppc64le": "PowerPC", "loongarch64": "LoongArch"}


def _no_symbols(info, value, ref_type, pc, name):
    """bpftool's symbol_lookup_callback: branch targets print as plain addresses."""
    ref_type[0] = 0
    return None


class LlvmDisassembler:
    name = "llvm"

    def __init__(self, machine=None):
        machine = machine or os.uname().machine
        target = TARGETS.get(machine)
        if target is None:
            raise LibraryMissing("no LLVM target for %s" % machine)
        self.lib = self._load(target)
        lib = self.lib
        raw = lib.LLVMGetDefaultTargetTriple()
        triple = ctypes.cast(raw, c_char_p).value
        lib.LLVMDisposeMessage(raw)
        self._callback = _LOOKUP(_no_symbols)  # kept alive as long as the context
        if triple.startswith(b"aarch64"):  # every extension the JIT may emit (LSE atomics)
            self.ctx = lib.LLVMCreateDisasmCPUFeatures(triple, b"", b"+all", None, 0, None,
                                                       self._callback)
        else:
            self.ctx = lib.LLVMCreateDisasm(triple, None, 0, None, self._callback)
        if not self.ctx:
            raise LibraryMissing("LLVM has no disassembler for %s" % triple.decode())
        self._buf = ctypes.create_string_buffer(256)

    @staticmethod
    def _load(target):
        tried = []
        for path in candidates():
            try:
                lib = ctypes.CDLL(path)
                inits = [getattr(lib, "LLVMInitialize%s%s" % (target, part))
                         for part in ("TargetInfo", "TargetMC", "Disassembler")]
            except (OSError, AttributeError) as exc:
                tried.append(str(exc))
                continue
            for name, (restype, argtypes) in PROTOTYPES.items():
                func = getattr(lib, name)
                func.restype = restype
                func.argtypes = argtypes
            for init in inits:
                init()
            return lib
        raise LibraryMissing("libLLVM not found (%s)" % (tried[-1] if tried else "no candidates"))

    def instruction(self, image, pc, address):
        """(length, text) of the instruction at `pc`; length 0 when it does not decode.
        The text is LLVM's: a tab, the mnemonic, a tab, the operands (AT&T on x86)."""
        n = self.lib.LLVMDisasmInstruction(self.ctx, image[pc:], len(image) - pc,
                                           address + pc, self._buf, 256)
        return n, self._buf.value.decode("ascii", "replace")

    def close(self):
        if self.ctx:
            self.lib.LLVMDisasmDispose(self.ctx)
            self.ctx = None
