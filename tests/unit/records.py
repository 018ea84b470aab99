"""Hand-built model records for the view tests: what the kernel layer would have built,
without a kernel."""

from bpfinspect import model
from bpfinspect.isa.image import Image
from bpfinspect.isa.insn import encode
from bpfinspect.isa.printer import Symbols

# 2026-11-26T07:00:56+0000, the README's example
LOADED_AT = 1795676456


def program(**fields):
    """A Program: the README's bpftrace program unless `fields` say otherwise."""
    values = dict(
        id=104, type="tracepoint", type_number=5, name="sys_enter_bpf",
        tag="fa8c2ee32e0604b5", gpl_compatible=True, run_time_ns=0, run_cnt=0,
        recursion_misses=0, device=None, loaded_at=LOADED_AT, uid=0, orphaned=False,
        bytes_xlated=224, bytes_jited=164, bytes_memlock=4096, map_ids=(26,), btf_id=0,
        pinned=None, pids=(model.Owner(4081, "bpftrace"),), metadata=())
    values.update(fields)
    return model.Program(**values)


def bpf_map(**fields):
    """A Map: the spec's `52: array  name counters` unless `fields` say otherwise."""
    values = dict(
        id=52, type="array", type_number=2, name="counters", flags=0, device=None,
        bytes_key=4, bytes_value=8, max_entries=8, bytes_memlock=376, owner_prog_type=None,
        owner_jited=None, frozen=0, btf_id=23, pinned=None, pids=())
    values.update(fields)
    return model.Map(**values)


def btf_object(**fields):
    """A BtfObject: the spec's `14: name <anon>  size 2383B ...` unless told otherwise."""
    values = dict(id=14, size=2383, name="", kernel=False, prog_ids=(1398,),
                  map_ids=(44, 40, 41, 43), pids=())
    values.update(fields)
    return model.BtfObject(**values)


def assemble(slots):
    """Instruction bytes of (code, dst, src, off, imm) slots (as tests/loader.py does)."""
    return b"".join(encode(*s) for s in slots)


def xlated(slots, program_record=None, protos=(), lines=(), symbols=None):
    """A model.Xlated over the instructions `slots`."""
    return model.Xlated(program=program_record or program(name="three", type="socket_filter",
                                                          type_number=1),
                        image=Image(assemble(slots)), protos=tuple(protos),
                        lines=tuple(lines), symbols=symbols or Symbols())


def layout(kind="plain", key_size=4, value_size=8, ncpus=1, map_record=None, btf=None,
           key_type_id=0, value_type_id=0):
    """A MapLayout; value_stride is value_size rounded up to 8, as for per-CPU values."""
    return model.MapLayout(
        map=map_record or bpf_map(bytes_key=key_size, bytes_value=value_size, btf_id=0),
        key_size=key_size, value_size=value_size, kind=kind, ncpus=ncpus,
        value_stride=(value_size + 7) // 8 * 8 if kind == "per_cpu" else value_size,
        btf=btf, key_type_id=key_type_id, value_type_id=value_type_id)
