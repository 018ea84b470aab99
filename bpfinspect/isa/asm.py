"""Writing eBPF programs from Python: one function per instruction form, named after the
kernel's own macros (BPF_MOV64_IMM, BPF_LDX_MEM, ... in include/linux/filter.h), and a
Program that joins them and resolves jumps to labels, so a program bpfinspect loads is
written as readable steps rather than offsets counted by hand."""

import struct

from bpfinspect.isa import encoding as E
from bpfinspect.isa.insn import encode

R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)
FP = R10  # the read-only frame pointer

_SIZES = {1: E.B, 2: E.H, 4: E.W, 8: E.DW}


def mov64_imm(dst, imm):
    return encode(E.ALU64 | E.MOV | E.K, dst, 0, 0, imm)


def mov64_reg(dst, src):
    return encode(E.ALU64 | E.MOV | E.X, dst, src)


def alu64_imm(op, dst, imm):
    return encode(E.ALU64 | op | E.K, dst, 0, 0, imm)


def alu64_reg(op, dst, src):
    return encode(E.ALU64 | op | E.X, dst, src)


def ldx_mem(size, dst, src, off):
    """dst = *(u<size*8> *)(src + off)"""
    return encode(E.LDX | E.MEM | _SIZES[size], dst, src, off)


def stx_mem(size, dst, src, off):
    """*(u<size*8> *)(dst + off) = src"""
    return encode(E.STX | E.MEM | _SIZES[size], dst, src, off)


def ld_imm64(dst, imm):
    """dst = imm, a full 64-bit constant (two slots)."""
    low, high = struct.unpack("<ii", struct.pack("<Q", imm & 0xFFFFFFFFFFFFFFFF))
    return encode(E.LD | E.IMM | E.DW, dst, 0, 0, low) + encode(0, 0, 0, 0, high)


def call(helper_id):
    return encode(E.CODE_CALL, 0, 0, 0, helper_id)


def exit_insn():
    return encode(E.CODE_EXIT)


class Program:
    """Instructions in order, with jumps to named labels resolved by code()."""

    def __init__(self):
        self._slots = []  # 8-byte slots, or (op, dst, src, imm, label) for a jump
        self._labels = {}

    def add(self, *insns):
        for data in insns:
            self._slots.extend(data[i:i + 8] for i in range(0, len(data), 8))
        return self

    def jump_imm(self, op, dst, imm, label):
        """if dst <op> imm goto label (64-bit compare)"""
        self._slots.append((E.JMP | op | E.K, dst, 0, imm, label))
        return self

    def jump_reg(self, op, dst, src, label):
        """if dst <op> src goto label (64-bit compare)"""
        self._slots.append((E.JMP | op | E.X, dst, src, 0, label))
        return self

    def label(self, name):
        self._labels[name] = len(self._slots)
        return self

    def code(self):
        out = []
        for at, slot in enumerate(self._slots):
            if isinstance(slot, tuple):
                code, dst, src, imm, label = slot
                slot = encode(code, dst, src, self._labels[label] - at - 1, imm)
            out.append(slot)
        return b"".join(out)
