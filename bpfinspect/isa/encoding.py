"""The eBPF instruction encoding (include/uapi/linux/bpf.h, kernel/bpf/disasm.c tables)."""

# classes: code & 0x07
LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = range(8)

# source: code & 0x08
K, X = 0x00, 0x08

# ALU operations: code & 0xf0
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
NEG, MOD, XOR, MOV, ARSH, END = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0

# jump operations: code & 0xf0
JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
CALL, EXIT, JLT, JLE, JSLT, JSLE, JCOND = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0

# sizes: code & 0x18
W, H, B, DW = 0x00, 0x08, 0x10, 0x18

# modes: code & 0xe0
IMM, ABS, IND, MEM, MEMSX, ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0
NOSPEC = 0xC0  # ST | 0xc0: the verifier's speculation barrier, no UAPI name

# atomic operations (imm of STX | ATOMIC)
FETCH = 0x01
XCHG = 0xE0 | FETCH
CMPXCHG = 0xF0 | FETCH
LOAD_ACQ = 0x100
STORE_REL = 0x110

# src_reg of ld_imm64
PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_BTF_ID = 1, 2, 3
PSEUDO_FUNC, PSEUDO_MAP_IDX, PSEUDO_MAP_IDX_VALUE = 4, 5, 6

# src_reg of call
HELPER_CALL, PSEUDO_CALL, PSEUDO_KFUNC_CALL = 0, 1, 2

MAY_GOTO = 0  # src_reg of JMP | JCOND
ADDR_SPACE_CAST = 1  # off of ALU64 | MOV | X
ADDR_PERCPU = -1  # off of ALU64 | MOV | X: the verifier's per-CPU address mov

LD_IMM64 = LD | IMM | DW  # 0x18, two slots
CODE_JA = JMP | JA  # 0x05
CODE_GOTOL = JMP32 | JA  # 0x06
CODE_GOTOX = JMP | JA | X  # 0x0d
CODE_MAY_GOTO = JMP | JCOND  # 0xe5
CODE_EXIT = JMP | EXIT  # 0x95
CODE_CALL = JMP | CALL  # 0x85

# String tables, indexed as disasm.c indexes them; None prints "(null)" like glibc's %s.
CLASS_NAMES = ("ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64")
ALU_OPS = ("+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=",
           "endian", None, None)
ALU_SIGNED_OPS = (None, None, None, "s/=", None, None, None, None, None, "s%=", None, None,
                  None, None, None, None)
MOVSX_PREFIXES = ("(s8)", "(s16)", None, "(s32)")
ATOMIC_OPS = ("add", None, None, None, "or", "and", None, None, None, None, "xor", None, None,
              None, None, None)
LDST_SIZES = ("u32", "u16", "u8", "u64")
LDSX_SIZES = ("s32", "s16", "s8", None)
JMP_OPS = ("jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<",
           "s<=", None, None)


def table(strings, index):
    """disasm.c's table lookups: a missing entry is glibc's "(null)"."""
    s = strings[index] if 0 <= index < len(strings) else None
    return "(null)" if s is None else s
