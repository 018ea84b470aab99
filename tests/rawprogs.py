"""Programs given as raw instruction slots (code, dst, src, off, imm), loaded with bpf(2)
by tests/loader.py: forms clang 14 cannot emit, and shapes the CFG tests need."""

# Every cpu-v4 form that survives the verifier into xlated code, and its text
# (../shared/spec/xlated.md, section 2).
CPU_V4 = [
    ((0xB7, 0, 0, 0, 0), "(b7) r0 = 0"),
    ((0xB7, 1, 0, 0, 7), "(b7) r1 = 7"),
    ((0x37, 1, 0, 1, -3), "(37) r1 s/= -3"),
    ((0x97, 1, 0, 1, 5), "(97) r1 s%= 5"),
    ((0xBC, 2, 1, 8, 0), "(bc) w2 = (s8)w1"),
    ((0xBF, 2, 1, 32, 0), "(bf) r2 = (s32)r1"),
    ((0xBF, 2, 1, 16, 0), "(bf) r2 = (s16)r1"),
    ((0xD4, 1, 0, 0, 64), "(d4) r1 = le64 r1"),
    ((0xDC, 1, 0, 0, 32), "(dc) r1 = be32 r1"),
    ((0xD7, 1, 0, 0, 16), "(d7) r1 = bswap16 r1"),
    ((0x7B, 10, 1, -8, 0), "(7b) *(u64 *)(r10 -8) = r1"),
    ((0x91, 3, 10, -8, 0), "(91) r3 = *(s8 *)(r10 -8)"),
    ((0x89, 3, 10, -6, 0), "(89) r3 = *(s16 *)(r10 -6)"),
    ((0x81, 3, 10, -4, 0), "(81) r3 = *(s32 *)(r10 -4)"),
    ((0x06, 0, 0, 0, 0), "(06) gotol pc+0"),
    ((0xDB, 4, 10, -8, 0x100), "(db) r4 = load_acquire((u64 *)(r10 -8))"),
    ((0xDB, 10, 3, -16, 0x110), "(db) store_release((u64 *)(r10 -16), r3)"),
    ((0x95, 0, 0, 0, 0), "(95) exit"),
]

PROGRAMS = {
    "cpu_v4": [slot for slot, _ in CPU_V4],
    # the spec's three-instruction program (its DOT is given in full in section 4)
    "three": [(0xB7, 0, 0, 0, 5), (0x07, 0, 0, 0, 1), (0x95, 0, 0, 0, 0)],
    # a jump to the next instruction: one block both falls through and jumps to the next
    "same_target": [(0xB7, 0, 0, 0, 0), (0x61, 1, 1, 0, 0), (0x15, 1, 0, 0, 0),
                    (0xB7, 0, 0, 0, 1), (0x95, 0, 0, 0, 0)],
}
