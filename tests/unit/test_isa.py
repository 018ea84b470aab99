"""The instruction decoder and printer against the spec's golden vectors (no kernel needed)."""

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from bpfinspect.isa import printer
from bpfinspect.isa.insn import decode, encode

# code dst src off imm [next imm] -> text (../shared/spec/xlated.md, section 5)
GOLDEN = [
    ((0xB4, 1, 0, 0, -1), "(b4) w1 = -1"),
    ((0x37, 1, 0, 1, -3), "(37) r1 s/= -3"),
    ((0x3C, 1, 2, 1, 0), "(3c) w1 s/= w2"),
    ((0x97, 1, 0, 1, 5), "(97) r1 s%= 5"),
    ((0x84, 1, 0, 0, 0), "(84) w1 = -w1"),
    ((0xBC, 1, 2, 8, 0), "(bc) w1 = (s8)w2"),
    ((0xBF, 1, 2, 32, 0), "(bf) r1 = (s32)r2"),
    ((0xBF, 1, 2, 1, 0x10000), "(bf) r1 = addr_space_cast(r2, 1, 0)"),
    ((0xBF, 0, 0, -1, 0), "(bf) r0 = &(void __percpu *)(r0)"),
    ((0xD4, 1, 0, 0, 64), "(d4) r1 = le64 r1"),
    ((0xDC, 1, 0, 0, 32), "(dc) r1 = be32 r1"),
    ((0xD7, 1, 0, 0, 16), "(d7) r1 = bswap16 r1"),
    ((0x71, 2, 1, -32768, 0), "(71) r2 = *(u8 *)(r1 -32768)"),
    ((0x91, 1, 2, 3, 0), "(91) r1 = *(s8 *)(r2 +3)"),
    ((0x7A, 10, 0, -8, -1), "(7a) *(u64 *)(r10 -8) = -1"),
    ((0xC2, 0, 0, 0, 0), "(c2) nospec"),
    ((0xC3, 1, 2, 0, 0xA0), "(c3) lock *(u32 *)(r1 +0) ^= r2"),
    ((0xDB, 1, 2, 8, 0x01), "(db) r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)"),
    ((0xC3, 1, 2, 0, 0x51), "(c3) r2 = atomic_fetch_and((u32 *)(r1 +0), r2)"),
    ((0xC3, 1, 2, 0, 0xE1), "(c3) r2 = atomic_xchg((u32 *)(r1 +0), r2)"),
    ((0xDB, 1, 2, 0, 0xF1), "(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"),
    ((0xD3, 0, 1, -8, 0x100), "(d3) r0 = load_acquire((u8 *)(r1 -8))"),
    ((0xCB, 1, 2, 0, 0x110), "(cb) store_release((u16 *)(r1 +0), r2)"),
    ((0xDB, 1, 2, 0, 0x02), "BUG_db"),
    ((0x40, 0, 3, 0, 14), "(40) r0 = *(u32 *)skb[r3 + 14]"),
    ((0x18, 2, 0, 0, -1, -1), "(18) r2 = 0xffffffffffffffff"),
    ((0x18, 1, 2, 0, 12, 16), "(18) r1 = map[id:12][0]+16"),
    ((0x18, 1, 4, 0, 10, 0), "(18) r1 = subprog[+10]"),
    ((0x05, 0, 0, -1, 0), "(05) goto pc-1"),
    ((0x06, 0, 0, 0, 100000), "(06) gotol pc+100000"),
    ((0xE5, 0, 0, 1, 0), "(e5) may_goto pc+1"),
    ((0x0D, 2, 0, 0, 0), "(0d) gotox r2"),
    ((0x15, 1, 0, -3, -1), "(15) if r1 == 0xffffffff goto pc-3"),
    ((0x65, 1, 0, 1, -2), "(65) if r1 s> 0xfffffffe goto pc+1"),
    ((0xDE, 1, 3, 1, 0), "(de) if w1 s<= w3 goto pc+1"),
    ((0x85, 0, 0, 0, 12), "(85) call bpf_tail_call#12"),
    ((0xE4, 1, 0, 0, 0), "(e4) w1 (null) 0"),
    # shapes from section 2 that the vectors above do not cover
    ((0x96, 0, 0, 0, 0), "(96) if w0 exit 0x0 goto pc+0"),
    ((0x18, 1, 1, 0, 7, 0), "(18) r1 = map[id:7]"),
    ((0x18, 1, 6, 0, 3, 8), "(18) r1 = map[idx:3]+8"),
    ((0x30, 0, 0, 0, 12), "(30) r0 = *(u8 *)skb[12]"),
    ((0x62, 10, 0, -4, 7), "(62) *(u32 *)(r10 -4) = 7"),
    ((0xA2, 0, 0, 0, 0), "BUG_st_a2"),
    ((0x21, 0, 0, 0, 0), "BUG_ldx_21"),
    ((0x08, 0, 0, 0, 0), "BUG_ld_08"),
    ((0x95, 0, 0, 0, 0), "(95) exit"),
]


def _insn(fields):
    code, dst, src, off, imm = fields[:5]
    data = encode(code, dst, src, off, imm)
    if len(fields) > 5:
        data += encode(0, 0, 0, 0, fields[5])
    (insn,) = decode(data)
    return insn


def test_golden_vectors():
    got = [printer.text(_insn(f)) for f, _ in GOLDEN]
    assert got == [t for _, t in GOLDEN]


def test_calls_with_symbols():
    syms = printer.Symbols(helpers={12: "bpf_tail_call"}, call_base=0xFFFFFFFF81000000,
                           kallsyms={0xFFFFFFFF81000010: "htab_map_update_elem",
                                     0xFFFFFFFFC0001000: "bpf_prog_0011223344556677_sub"},
                           jited_ksyms=(0xFFFFFFFFC0000000, 0xFFFFFFFFC0001000))
    texts = [printer.text(_insn(f), syms) for f in (
        (0x85, 0, 0, 0, 0x10),      # rewritten helper, in kallsyms
        (0x85, 0, 0, 0, 0x20),      # rewritten helper, no symbol
        (0x85, 0, 1, 3, 1),         # subprogram call with JIT symbols
        (0x85, 0, 2, 0, -16),       # kfunc: base + imm
        (0x85, 0, 0, 0, 12),        # helper id kept by the verifier
    )]
    assert texts == [
        "(85) call htab_map_update_elem#16",
        "(85) call 0xffffffff81000020#32",
        "(85) call pc+3#bpf_prog_0011223344556677_sub",
        "(85) call 0xffffffff80fffff0#-16",
        "(85) call bpf_tail_call#12",
    ]
    no_jit = printer.Symbols()
    assert printer.text(_insn((0x85, 0, 1, -7, 2)), no_jit) == "(85) call pc-7"


def test_decode_folds_ld_imm64_and_keeps_indices():
    data = encode(0x18, 1, 0, 0, 1) + encode(0, 0, 0, 0, 2) + encode(0xB7, 0, 0, 0, 0) \
        + encode(0x95)
    insns = decode(data)
    assert [(i.index, i.slots, len(i.raw)) for i in insns] == [(0, 2, 16), (2, 1, 8), (3, 1, 8)]
    assert insns[0].imm64 == 0x200000001


def test_predicates():
    (ja, jeq, call, sub, exit_, gotol, gotox) = decode(b"".join([
        encode(0x05, off=2), encode(0x15, 1, 0, -2, 0), encode(0x85, imm=5),
        encode(0x85, src=1, off=4, imm=1), encode(0x95), encode(0x06, imm=-6), encode(0x0D, 3)]))
    assert (ja.is_jump, ja.is_unconditional, ja.jump_target) == (True, True, 3)
    assert (jeq.is_jump, jeq.is_unconditional, jeq.jump_target) == (True, False, 0)
    assert (call.is_jump, call.is_call, call.is_helper_call, call.call_target) == (
        False, True, True, None)
    assert (sub.is_pseudo_call, sub.call_target) == (True, 8)
    assert (exit_.code, exit_.is_jump, exit_.is_call) == (0x95, False, False)
    assert gotol.jump_target == 0
    assert (gotox.is_jump, gotox.jump_target) == (True, None)


@settings(max_examples=3000, deadline=None)
@given(st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8))
def test_any_instruction_prints(first, second):
    for insn in decode(first + second):
        text = printer.text(insn)
        assert isinstance(text, str) and text


def test_every_code_prints_without_error():
    for code in range(256):
        for src in (0, 1, 2, 4, 6, 15):
            for off in (-1, 0, 1, 8, 16, 32):
                data = struct.pack("<BBhi", code, src << 4 | 1, off, 0x110) + bytes(8)
                for insn in decode(data):
                    assert printer.text(insn)


def test_opcode_templates_print_as_the_decoded_text():
    """printer.text's template per opcode gives, for every code and every kind of field,
    exactly what the general printer works out."""
    cases = 0
    for code in range(256):
        for regs in (0x00, 0x21, 0xA9, 0xFF):
            for off in (-32768, -1, 0, 1, 8, 16, 32, 300):
                for imm in (-(1 << 31), -1, 0, 1, 0x110, 0x7FFFFFFF):
                    data = struct.pack("<BBhi", code, regs, off, imm) + bytes(8)
                    for insn in decode(data):
                        assert printer.text(insn) == printer.decoded_text(insn), insn
                        cases += 1
    assert cases > 256 * 4 * 8 * 6 - 1


@settings(max_examples=3000, deadline=None)
@given(st.binary(min_size=8, max_size=8))
def test_any_templated_instruction_prints_as_decoded(data):
    for insn in decode(data + bytes(8)):
        assert printer.text(insn) == printer.decoded_text(insn)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0x18, 0xB7, 0x61, 0x85, 0x15]) | st.integers(0, 255),
                          st.integers(0, 255), st.integers(-32768, 32767),
                          st.integers(-(1 << 31), (1 << 31) - 1)), max_size=40))
def test_image_decodes_its_distinct_instructions_as_one_by_one(slots):
    """Image's column-wise decoding gives each distinct instruction the fields decoding it
    alone gives."""
    from bpfinspect.isa.image import Image, _from_key

    image = Image(b"".join(struct.pack("<BBhi", *slot) for slot in slots))
    alone = {key: _from_key(key) for key in image.keys}
    assert image.distinct.keys() == alone.keys()
    for key, insn in alone.items():
        got = image.distinct[key]
        assert [getattr(got, f) for f in insn.__slots__] == [
            getattr(insn, f) for f in insn.__slots__]


def test_cfg_functions_blocks_edges():
    from bpfinspect.isa import cfg

    insns = decode(b"".join([
        encode(0x85, src=1, off=4, imm=1),   # 0: call pc+4 -> 5 (function 1)
        encode(0x15, 0, 0, 2, 0),            # 1: if r0 == 0 goto 4
        encode(0xB7, 0, 0, 0, 1),            # 2
        encode(0x06, imm=-4),                # 3: gotol 0 (by imm: a back edge)
        encode(0x95),                        # 4: exit
        encode(0xB7, 0, 0, 0, 2),            # 5: function 1
        encode(0x95),                        # 6
        encode(0xB7, 0, 0, 0, 3),            # 7: a callback only func_info names
        encode(0x95),                        # 8
    ]))
    funcs = cfg.build(insns, extra_starts=[0, 5, 7])
    assert [(f.idx, f.start, f.end) for f in funcs] == [(0, 0, 4), (1, 5, 6), (2, 7, 8)]
    main = funcs[0]
    assert [(b.idx, b.start, b.end, b.succs) for b in main.blocks] == [
        (0, None, None, [2]), (2, 0, 1, [3, 4]), (3, 2, 3, [2]), (4, 4, 4, [1]),
        (1, None, None, [])]


def test_kallsyms_lookup():
    from bpfinspect.kernel.symbols import Kallsyms

    data = (b"ffffffff81000000 T _stext\n"
            b"ffffffff81000100 T __bpf_call_base\n"
            b"ffffffff81000200 t helper_one\n"
            b"ffffffff81000300 T helper_two\t[mod]\n"
            b"ffffffffc0000000 t bpf_prog_0123456789abcdef_f\t[bpf]\n"
            b"ffffffffa0000000 t out_of_order\t[x]\n")
    ks = Kallsyms(data)
    assert ks.call_base == 0xFFFFFFFF81000100
    assert ks.resolve([0xFFFFFFFF81000200, 0xFFFFFFFF81000300, 0xFFFFFFFFC0000000,
                       0xFFFFFFFFA0000000, 0xFFFFFFFF81000201]) == {
        0xFFFFFFFF81000200: "helper_one", 0xFFFFFFFF81000300: "helper_two",
        0xFFFFFFFFC0000000: "bpf_prog_0123456789abcdef_f", 0xFFFFFFFFA0000000: "out_of_order"}
    hidden = Kallsyms(b"0000000000000000 T _stext\n0000000000000000 T __bpf_call_base\n")
    assert hidden.call_base == 0 and hidden.resolve([0x10]) == {}
