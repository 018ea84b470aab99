"""isa/asm.py builds what isa/insn.py decodes, and the pids iterator's program is put
together from it (no kernel needed: its offsets are made up here)."""

from bpfinspect.isa import asm
from bpfinspect.isa import encoding as E
from bpfinspect.isa.insn import decode
from bpfinspect.kernel import pid_iter


def test_forms_round_trip():
    code = (asm.mov64_imm(asm.R1, -1) + asm.mov64_reg(asm.R6, asm.R1)
            + asm.alu64_imm(E.ADD, asm.R2, -24) + asm.alu64_reg(E.AND, asm.R2, asm.R1)
            + asm.ldx_mem(4, asm.R1, asm.R8, 1268) + asm.stx_mem(8, asm.FP, asm.R1, -8)
            + asm.ld_imm64(asm.R2, 0xFFFFFFFF81234567) + asm.call(127) + asm.exit_insn())
    insns = decode(code)
    assert [(i.code, i.dst, i.src, i.off, i.imm) for i in insns[:6]] == [
        (0xB7, 1, 0, 0, -1), (0xBF, 6, 1, 0, 0), (0x07, 2, 0, 0, -24), (0x5F, 2, 1, 0, 0),
        (0x61, 1, 8, 1268, 0), (0x7B, 10, 1, -8, 0)]
    wide = insns[6]
    assert (wide.code, wide.dst) == (0x18, 2)
    assert (wide.imm & 0xFFFFFFFF) | (wide.next_imm & 0xFFFFFFFF) << 32 == 0xFFFFFFFF81234567
    assert [(i.code, i.imm) for i in insns[7:]] == [(0x85, 127), (0x95, 0)]


def test_jumps_resolve_to_labels_across_wide_loads():
    p = asm.Program()
    p.jump_imm(E.JEQ, asm.R1, 0, "out")
    p.add(asm.ld_imm64(asm.R2, 1))  # two slots
    p.jump_reg(E.JNE, asm.R1, asm.R2, "out")
    p.label("out").add(asm.exit_insn())
    insns = decode(p.code())
    assert [(i.index, i.code, i.off) for i in insns] == [
        (0, 0x15, 3), (1, 0x18, 0), (3, 0x5D, 0), (4, 0x95, 0)]


def test_the_pids_program_assembles_for_every_kind():
    ctx = {"meta": 0, "task": 8, "fd": 16, "file": 24}
    off = {step: 8 * n for n, step in enumerate(sorted(
        set(pid_iter.FIELDS) | {s for path in pid_iter.ID_PATHS.values() for s in path}))}
    for kind in pid_iter.ID_PATHS:
        insns = decode(pid_iter.program(kind, 1234, ctx, off))
        assert insns[-1].code == E.CODE_EXIT
        n = insns[-1].index + 1
        for i in insns:  # every jump lands inside the program
            if i.code & 0x07 == E.JMP and i.code not in (E.CODE_CALL, E.CODE_EXIT):
                assert 0 <= i.index + 1 + i.off < n
        calls = [i.imm for i in insns if i.code == E.CODE_CALL]
        assert calls.count(pid_iter._SEQ_WRITE) == 1
        assert any(i.imm == 1234 for i in insns)  # bpfinspect's own pid, left out


def test_anon_inode_names_as_one_u64():
    import struct

    names = pid_iter._anon_names("link")
    assert [n for n, _mask, _value in names] == [8, 8]
    assert {struct.pack("=Q", value) for _n, _mask, value in names} == {b"bpf_link", b"bpf-link"}
    (length, mask, value), = pid_iter._anon_names("map")
    assert length == 7 and struct.pack("=Q", mask) == b"\xff" * 7 + b"\0"
    assert struct.pack("=Q", value) == b"bpf-map\0"
