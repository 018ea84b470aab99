"""The kernel's text for one instruction (kernel/bpf/disasm.c), with bpftool's names for calls
and immediates (xlated_dumper.c). Never raises, whatever the bytes."""

import operator

from bpfinspect.isa import encoding as E
from bpfinspect.isa.encoding import table

_U64 = (1 << 64) - 1

# Helper ids whose names must show without the kernel's BTF: in code the verifier has seen,
# only the tail call keeps its id (and every call reads bpf_unspec#0 when the kernel hides
# addresses from the reader).
FALLBACK_HELPERS = {0: "bpf_unspec", 12: "bpf_tail_call"}


class Symbols:
    """What an instruction's text needs from outside it.

    helpers: helper id -> name (`bpf_map_lookup_elem`), from the kernel's `enum bpf_func_id`;
    call_base: the address of `__bpf_call_base` (0 when kallsyms hides addresses);
    kallsyms: address -> symbol name, for at least the addresses calls_addresses() asks for;
    jited_ksyms: the program's functions' addresses, index = subprogram number.
    """

    def __init__(self, helpers=None, call_base=0, kallsyms=None, jited_ksyms=()):
        self.helpers = FALLBACK_HELPERS if helpers is None else helpers
        self.call_base = call_base
        self.kallsyms = kallsyms or {}
        self.jited_ksyms = tuple(jited_ksyms)

    def helper_name(self, insn):
        if insn.src == E.HELPER_CALL:
            return self.helpers.get(insn.imm)
        return None

    def call_address(self, insn):
        if insn.src == E.PSEUDO_CALL and 0 <= insn.imm < len(self.jited_ksyms):
            return self.jited_ksyms[insn.imm]
        return (self.call_base + insn.imm) & _U64

    def call_name(self, insn):
        """bpftool's name for a call's target (`bpf_tail_call`, `htab_map_update_elem`,
        `+3#bpf_prog_<tag>_<name>` for a subprogram)."""
        name = self.helper_name(insn)
        if name is not None:
            return name
        address = self.call_address(insn)
        sym = self.kallsyms.get(address)
        if insn.src == E.PSEUDO_CALL:
            if not self.jited_ksyms:
                return "%+d" % insn.off
            if sym is not None:
                return "%+d#%s" % (insn.off, sym)
            return "%+d#0x%x" % (insn.off, address)
        return sym if sym is not None else "0x%x" % address

    def imm_text(self, insn):
        src = insn.src
        if src == E.PSEUDO_MAP_FD:
            return "map[id:%d]" % insn.imm
        if src == E.PSEUDO_MAP_VALUE:
            return "map[id:%d][0]+%d" % (insn.imm, insn.next_imm)
        if src == E.PSEUDO_MAP_IDX_VALUE:
            return "map[idx:%d]+%d" % (insn.imm, insn.next_imm)
        if src == E.PSEUDO_FUNC:
            return "subprog[%+d]" % insn.imm
        return "0x%x" % insn.imm64


def unnamed_calls(insns, symbols):
    """The calls in `insns` whose names only /proc/kallsyms knows."""
    return [i for i in insns if i.is_call and symbols.helper_name(i) is None]


def _reg(cls):
    return "w" if cls in (E.ALU, E.JMP32) else "r"


def _alu(insn, cls):
    code, op = insn.code, insn.code & 0xF0
    if op == E.END:
        if cls == E.ALU64:
            return "(%02x) r%d = bswap%d r%d" % (code, insn.dst, insn.imm, insn.dst)
        return "(%02x) r%d = %s%d r%d" % (code, insn.dst, "be" if code & E.X else "le",
                                          insn.imm, insn.dst)
    r = _reg(cls)
    if op == E.NEG:
        return "(%02x) %s%d = -%s%d" % (code, r, insn.dst, r, insn.dst)
    if code == (E.ALU64 | E.MOV | E.X) and insn.off == E.ADDR_SPACE_CAST:
        imm = insn.imm & 0xFFFFFFFF
        return "(%02x) r%d = addr_space_cast(r%d, %u, %u)" % (code, insn.dst, insn.src,
                                                               imm >> 16, imm & 0xFFFF)
    if code == (E.ALU64 | E.MOV | E.X) and insn.off == E.ADDR_PERCPU:
        return "(%02x) r%d = &(void __percpu *)(r%d)" % (code, insn.dst, insn.src)
    if op in (E.DIV, E.MOD) and insn.off == 1:
        name = table(E.ALU_SIGNED_OPS, op >> 4)
    else:
        name = table(E.ALU_OPS, op >> 4)
    if code & E.X:
        prefix = ""
        if op == E.MOV and insn.off in (8, 16, 32):
            prefix = table(E.MOVSX_PREFIXES, (insn.off >> 3) - 1)
        return "(%02x) %s%d %s %s%s%d" % (code, r, insn.dst, name, prefix, r, insn.src)
    return "(%02x) %s%d %s %d" % (code, r, insn.dst, name, insn.imm)


def _stx(insn):
    code, mode, imm = insn.code, insn.code & 0xE0, insn.imm
    size = table(E.LDST_SIZES, (code & 0x18) >> 3)
    if mode == E.MEM:
        return "(%02x) *(%s *)(r%d %+d) = r%d" % (code, size, insn.dst, insn.off, insn.src)
    if mode != E.ATOMIC:
        return "BUG_%02x" % code
    bits = "64" if code & 0x18 == E.DW else ""
    if imm in (E.ADD, E.AND, E.OR, E.XOR):
        return "(%02x) lock *(%s *)(r%d %+d) %s r%d" % (
            code, size, insn.dst, insn.off, table(E.ALU_OPS, (imm & 0xF0) >> 4), insn.src)
    if imm in (E.ADD | E.FETCH, E.AND | E.FETCH, E.OR | E.FETCH, E.XOR | E.FETCH):
        return "(%02x) r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)" % (
            code, insn.src, bits, table(E.ATOMIC_OPS, (imm & 0xF0) >> 4), size, insn.dst,
            insn.off, insn.src)
    if imm == E.CMPXCHG:
        return "(%02x) r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)" % (
            code, bits, size, insn.dst, insn.off, insn.src)
    if imm == E.XCHG:
        return "(%02x) r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)" % (
            code, insn.src, bits, size, insn.dst, insn.off, insn.src)
    if imm == E.LOAD_ACQ:
        return "(%02x) r%d = load_acquire((%s *)(r%d %+d))" % (
            code, insn.dst, size, insn.src, insn.off)
    if imm == E.STORE_REL:
        return "(%02x) store_release((%s *)(r%d %+d), r%d)" % (
            code, size, insn.dst, insn.off, insn.src)
    return "BUG_%02x" % code


def _st(insn):
    code, mode = insn.code, insn.code & 0xE0
    if mode == E.MEM:
        return "(%02x) *(%s *)(r%d %+d) = %d" % (
            code, table(E.LDST_SIZES, (code & 0x18) >> 3), insn.dst, insn.off, insn.imm)
    if mode == E.NOSPEC:
        return "(%02x) nospec" % code
    return "BUG_st_%02x" % code


def _ldx(insn):
    code, mode = insn.code, insn.code & 0xE0
    if mode == E.MEM:
        size = table(E.LDST_SIZES, (code & 0x18) >> 3)
    elif mode == E.MEMSX:
        size = table(E.LDSX_SIZES, (code & 0x18) >> 3)
    else:
        return "BUG_ldx_%02x" % code
    return "(%02x) r%d = *(%s *)(r%d %+d)" % (code, insn.dst, size, insn.src, insn.off)


def _ld(insn, symbols):
    code, mode = insn.code, insn.code & 0xE0
    size = table(E.LDST_SIZES, (code & 0x18) >> 3)
    if mode == E.ABS:
        return "(%02x) r0 = *(%s *)skb[%d]" % (code, size, insn.imm)
    if mode == E.IND:
        return "(%02x) r0 = *(%s *)skb[r%d + %d]" % (code, size, insn.src, insn.imm)
    if mode == E.IMM and code & 0x18 == E.DW:
        return "(%02x) r%d = %s" % (code, insn.dst, symbols.imm_text(insn))
    return "BUG_ld_%02x" % code


def _jmp(insn, cls, symbols):
    code, op = insn.code, insn.code & 0xF0
    if op == E.CALL:
        if insn.src == E.PSEUDO_CALL:
            return "(%02x) call pc%s" % (code, symbols.call_name(insn))
        return "(%02x) call %s#%d" % (code, symbols.call_name(insn), insn.imm)
    if code == E.CODE_JA:
        return "(%02x) goto pc%+d" % (code, insn.off)
    if code == E.CODE_GOTOX:
        return "(%02x) gotox r%d" % (code, insn.dst)
    if code == E.CODE_MAY_GOTO and insn.src == E.MAY_GOTO:
        return "(%02x) may_goto pc%+d" % (code, insn.off)
    if code == E.CODE_GOTOL:
        return "(%02x) gotol pc%+d" % (code, insn.imm)
    if code == E.CODE_EXIT:
        return "(%02x) exit" % code
    r = _reg(cls)
    name = table(E.JMP_OPS, op >> 4)
    if code & E.X:
        return "(%02x) if %s%d %s %s%d goto pc%+d" % (code, r, insn.dst, name, r, insn.src,
                                                       insn.off)
    return "(%02x) if %s%d %s 0x%x goto pc%+d" % (code, r, insn.dst, name,
                                                   insn.imm & 0xFFFFFFFF, insn.off)


_NO_SYMBOLS = Symbols()

# A template per opcode for the instructions whose text is their fields put in place (most
# of a large program's): (template, the fields it takes, when it applies). When, for ALU
# codes: only with off 0 (other offsets mean signed division, movsx, address casts); for
# jumps against an immediate: only when it is not negative (it prints as unsigned hex).
_ALWAYS, _OFF_ZERO, _IMM_NOT_NEGATIVE = 0, 1, 2
_DST_SRC = operator.attrgetter("dst", "src")
_DST_IMM = operator.attrgetter("dst", "imm")
_DST_SRC_OFF = operator.attrgetter("dst", "src", "off")
_DST_IMM_OFF = operator.attrgetter("dst", "imm", "off")
_DST_OFF_SRC = operator.attrgetter("dst", "off", "src")
_DST_OFF_IMM = operator.attrgetter("dst", "off", "imm")


def _escaped(text):
    return text.replace("%", "%%")


def _fast_template(code):
    """(template, fields, when) for `code`, or None: text() then takes the long way."""
    cls, op, mode = code & 0x07, code & 0xF0, code & 0xE0
    size = _escaped(table(E.LDST_SIZES, (code & 0x18) >> 3))
    if cls in (E.ALU, E.ALU64) and op not in (E.END, E.NEG):
        r, name = _reg(cls), _escaped(table(E.ALU_OPS, op >> 4))
        if code & E.X:
            return "(%02x) %s%%d %s %s%%d" % (code, r, name, r), _DST_SRC, _OFF_ZERO
        return "(%02x) %s%%d %s %%d" % (code, r, name), _DST_IMM, _OFF_ZERO
    if cls in (E.JMP, E.JMP32) and op not in (E.JA, E.CALL, E.EXIT, E.JCOND):
        r, name = _reg(cls), _escaped(table(E.JMP_OPS, op >> 4))
        if code & E.X:
            return ("(%02x) if %s%%d %s %s%%d goto pc%%+d" % (code, r, name, r),
                    _DST_SRC_OFF, _ALWAYS)
        return ("(%02x) if %s%%d %s 0x%%x goto pc%%+d" % (code, r, name), _DST_IMM_OFF,
                _IMM_NOT_NEGATIVE)
    if cls == E.LDX and mode in (E.MEM, E.MEMSX):
        if mode == E.MEMSX:
            size = _escaped(table(E.LDSX_SIZES, (code & 0x18) >> 3))
        return "(%02x) r%%d = *(%s *)(r%%d %%+d)" % (code, size), _DST_SRC_OFF, _ALWAYS
    if cls == E.STX and mode == E.MEM:
        return "(%02x) *(%s *)(r%%d %%+d) = r%%d" % (code, size), _DST_OFF_SRC, _ALWAYS
    if cls == E.ST and mode == E.MEM:
        return "(%02x) *(%s *)(r%%d %%+d) = %%d" % (code, size), _DST_OFF_IMM, _ALWAYS
    return None


_FAST = [_fast_template(code) for code in range(256)]


def text(insn, symbols=_NO_SYMBOLS):
    """The instruction as `prog dump xlated` prints it, without index: `(b7) r0 = 0`."""
    fast = _FAST[insn.code]
    if fast is not None:
        template, fields, when = fast
        if (when == _ALWAYS or (when == _OFF_ZERO and not insn.off)
                or (when == _IMM_NOT_NEGATIVE and insn.imm >= 0)):
            return template % fields(insn)
    return decoded_text(insn, symbols)


def decoded_text(insn, symbols=_NO_SYMBOLS):
    """text(insn) worked out from the opcode's parts, whatever the instruction."""
    cls = insn.code & 0x07
    if cls in (E.ALU, E.ALU64):
        return _alu(insn, cls)
    if cls == E.STX:
        return _stx(insn)
    if cls == E.ST:
        return _st(insn)
    if cls == E.LDX:
        return _ldx(insn)
    if cls == E.LD:
        return _ld(insn, symbols)
    return _jmp(insn, cls, symbols)


class CachedPrinter:
    """text() memoized on the instruction's fields: large programs repeat instructions."""

    def __init__(self, symbols=_NO_SYMBOLS):
        self.symbols = symbols
        self._cache = {}

    def __call__(self, insn):
        key = insn.key
        s = self._cache.get(key)
        if s is None:
            s = self._cache[key] = text(insn, self.symbols)
        return s
