"""Raw bytes to instructions. An instruction is 8 bytes; ld_imm64 takes two slots."""

import struct

from bpfinspect.isa import encoding as E

_SLOT = struct.Struct("<BBhi")

# opcodes by what they are, for loops over every instruction (a set lookup, not a property)
JUMP_CODES = frozenset(c for c in range(256) if (c & 0x07) in (E.JMP, E.JMP32)
                       and (c & 0xF0) not in (E.CALL, E.EXIT))
CALL_CODES = frozenset(c for c in range(256) if (c & 0x07) in (E.JMP, E.JMP32)
                      and (c & 0xF0) == E.CALL)
UNCONDITIONAL_CODES = frozenset((E.CODE_JA, E.CODE_GOTOL, E.CODE_GOTOX))


def jump_target(index, code, off, imm):
    """Where the jump with these fields at slot `index` goes (None: gotox, whose target is
    in a register); gotol's distance is in imm, every other jump's in off."""
    if code == E.CODE_GOTOX:
        return None
    return index + 1 + (imm if code == E.CODE_GOTOL else off)


class Insn:
    """One instruction at slot `index`. For ld_imm64, `next_imm` is the second slot's imm and
    `raw` holds both slots (16 bytes); a truncated ld_imm64 at the end has next_imm 0."""

    __slots__ = ("index", "code", "dst", "src", "off", "imm", "next_imm", "raw")

    def __init__(self, index, code, dst, src, off, imm, next_imm, raw):
        self.index = index
        self.code = code
        self.dst = dst
        self.src = src
        self.off = off
        self.imm = imm
        self.next_imm = next_imm
        self.raw = raw

    def __repr__(self):
        return "Insn(%d, code=0x%02x, dst=%d, src=%d, off=%d, imm=%d)" % (
            self.index, self.code, self.dst, self.src, self.off, self.imm)

    @property
    def cls(self):
        return self.code & 0x07

    @property
    def op(self):
        return self.code & 0xF0

    @property
    def slots(self):
        return 2 if self.code == E.LD_IMM64 else 1

    @property
    def key(self):
        """Everything the instruction's text depends on."""
        return (self.code, self.dst, self.src, self.off, self.imm, self.next_imm)

    @property
    def imm64(self):
        return ((self.next_imm & 0xFFFFFFFF) << 32) | (self.imm & 0xFFFFFFFF)

    @property
    def is_call(self):
        return self.cls in (E.JMP, E.JMP32) and self.op == E.CALL

    @property
    def is_pseudo_call(self):
        return self.code == E.CODE_CALL and self.src == E.PSEUDO_CALL

    @property
    def is_helper_call(self):
        return self.is_call and self.src == E.HELPER_CALL

    @property
    def is_jump(self):
        """A jump of any kind (not a call, not an exit): it ends a basic block."""
        return self.cls in (E.JMP, E.JMP32) and self.op not in (E.CALL, E.EXIT)

    @property
    def is_unconditional(self):
        return self.code in (E.CODE_JA, E.CODE_GOTOL, E.CODE_GOTOX)

    @property
    def jump_target(self):
        """The slot a jump goes to, or None (not a jump, or gotox's register target)."""
        if not self.is_jump:
            return None
        return jump_target(self.index, self.code, self.off, self.imm)

    @property
    def call_target(self):
        """The first slot of the subprogram a pseudo call goes to. In code the verifier has
        seen (xlated), `off` holds the distance and `imm` the subprogram's number."""
        return self.index + 1 + self.off if self.is_pseudo_call else None


def decode(data):
    """`data` (bytes, length a multiple of 8; a trailing partial slot is ignored) as a list of
    Insn, the second slot of each ld_imm64 folded into it."""
    n = len(data) // 8
    slots = list(_SLOT.iter_unpack(memoryview(data)[:n * 8]))
    out = []
    append = out.append
    i = 0
    while i < n:
        code, regs, off, imm = slots[i]
        if code == 0x18:
            if i + 1 < n:
                append(Insn(i, code, regs & 15, regs >> 4, off, imm, slots[i + 1][3],
                            bytes(data[i * 8:i * 8 + 16])))
            else:
                append(Insn(i, code, regs & 15, regs >> 4, off, imm, 0, bytes(data[i * 8:i * 8 + 8])))
            i += 2
            continue
        append(Insn(i, code, regs & 15, regs >> 4, off, imm, 0, bytes(data[i * 8:i * 8 + 8])))
        i += 1
    return out


def encode(code, dst=0, src=0, off=0, imm=0):
    """One slot's 8 bytes (tests and tools build instruction arrays with it)."""
    return _SLOT.pack(code, ((src & 15) << 4) | (dst & 15), off, imm)
