"""A program's code as the kernel reports it: the xlated (and JIT) images, JIT symbols,
function and line info, and the raw BTF they refer to."""

import ctypes
import struct
from ctypes import c_uint8, c_uint32, c_uint64

from bpfinspect.btfparse.parser import Btf
from bpfinspect.btfparse.signature import type_only
from bpfinspect.constants import KPTR_RESTRICT
from bpfinspect.errors import BpfError, BtfError, from_errno
from bpfinspect.isa import printer
from bpfinspect.isa.image import Image
from bpfinspect.isa.insn import CALL_CODES
from bpfinspect.kernel import symbols as ksym
from bpfinspect.kernel import uapi
from bpfinspect.kernel.info import btf_data
from bpfinspect.kernel.objects import get_info
from bpfinspect.model import JitFunc, Jited, SourceLine, Xlated


class RawCode:
    """The arrays bpf_prog_info points to, copied out of the kernel's answer."""

    def __init__(self, info, xlated, jited, jited_ksyms, jited_func_lens, func_info, line_info,
                 jited_line_info):
        self.info = info
        self.xlated = xlated
        self.jited = jited
        self.jited_ksyms = jited_ksyms
        self.jited_func_lens = jited_func_lens
        self.func_info = func_info  # [(insn_off, type_id)]
        self.line_info = line_info  # [(insn_off, file_name_off, line_off, line_col)]
        self.jited_line_info = jited_line_info  # [address]


def _records(buf, count, rec_size, fields):
    """`count` records of `rec_size` bytes (the kernel's size, maybe larger than ours)."""
    raw = bytes(buf)
    s = struct.Struct("<" + "I" * fields)
    return [s.unpack_from(raw, i * rec_size) for i in range(count)] if rec_size >= s.size else []


def program_code(fd, jited=False):
    """RawCode of the program `fd`: two calls, the first for the counts (as bpftool)."""
    first = uapi.bpf_prog_info()
    ret = get_info(fd, first)
    if ret != 0:
        raise from_errno(-ret, "can't get prog info")
    info = uapi.bpf_prog_info()
    bufs = {}

    def array(name, ctype, count):
        buf = (ctype * count)()
        bufs[name] = buf
        setattr(info, name, ctypes.addressof(buf) if count else 0)
        return buf

    if jited:
        info.jited_prog_len = first.jited_prog_len
        array("jited_prog_insns", c_uint8, first.jited_prog_len)
    else:
        info.xlated_prog_len = first.xlated_prog_len
        array("xlated_prog_insns", c_uint8, first.xlated_prog_len)
    info.nr_jited_ksyms = first.nr_jited_ksyms
    array("jited_ksyms", c_uint64, first.nr_jited_ksyms)
    info.nr_jited_func_lens = first.nr_jited_func_lens
    array("jited_func_lens", c_uint32, first.nr_jited_func_lens)
    info.nr_func_info = first.nr_func_info
    info.func_info_rec_size = first.func_info_rec_size
    array("func_info", c_uint8, first.nr_func_info * first.func_info_rec_size)
    info.nr_line_info = first.nr_line_info
    info.line_info_rec_size = first.line_info_rec_size
    array("line_info", c_uint8, first.nr_line_info * first.line_info_rec_size)
    info.nr_jited_line_info = first.nr_jited_line_info
    info.jited_line_info_rec_size = first.jited_line_info_rec_size
    array("jited_line_info", c_uint8, first.nr_jited_line_info * first.jited_line_info_rec_size)
    ret = get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get prog info")
    # the kernel zeroes a pointer it did not fill (kptr_restrict hides JIT addresses)
    n_ksyms = info.nr_jited_ksyms if info.jited_ksyms else 0
    n_lens = info.nr_jited_func_lens if info.jited_func_lens else 0
    return RawCode(
        info=first,
        xlated=bytes(bufs["xlated_prog_insns"])[:info.xlated_prog_len]
        if not jited and info.xlated_prog_insns else b"",
        jited=bytes(bufs["jited_prog_insns"])[:info.jited_prog_len]
        if jited and info.jited_prog_insns else b"",
        jited_ksyms=tuple(bufs["jited_ksyms"][:min(n_ksyms, first.nr_jited_ksyms)]),
        jited_func_lens=tuple(bufs["jited_func_lens"][:min(n_lens, first.nr_jited_func_lens)]),
        func_info=[tuple(r) for r in _records(bufs["func_info"], first.nr_func_info,
                                               first.func_info_rec_size, 2)]
        if info.func_info else [],
        line_info=[tuple(r) for r in _records(bufs["line_info"], first.nr_line_info,
                                               first.line_info_rec_size, 4)]
        if info.line_info else [],
        jited_line_info=[r[0] | r[1] << 32 for r in _records(
            bufs["jited_line_info"], first.nr_jited_line_info,
            first.jited_line_info_rec_size, 2)] if info.jited_line_info else [],
    )


# helper ids live in [0, __BPF_FUNC_MAX_ID); rewritten calls hold kernel address offsets
_HELPER_ID_LIMIT = 4096


def _symbols(insns, jited_ksyms):
    """Symbols for `insns` (each distinct instruction once)."""

    calls = [i for i in insns if i.code in CALL_CODES]
    helpers = None
    if any(i.is_helper_call and 0 <= i.imm < _HELPER_ID_LIMIT for i in calls):
        helpers = ksym.helper_names()
    symbols = printer.Symbols(helpers, 0, {}, jited_ksyms)
    unnamed = printer.unnamed_calls(calls, symbols)
    if unnamed:
        n_ksyms = len(symbols.jited_ksyms)
        subprogs = set(symbols.call_address(i) for i in unnamed
                       if i.is_pseudo_call and 0 <= i.imm < n_ksyms)
        offsets = set(i.imm for i in unnamed if not (i.is_pseudo_call and 0 <= i.imm < n_ksyms))
        symbols.call_base, symbols.kallsyms = ksym.resolve(offsets, subprogs)
    return symbols


def _source_lines(btf, records):

    def string(off):
        try:
            return btf.string(off)
        except BtfError:
            return None

    return tuple(SourceLine(insn_off, string(line_off), string(file_off), line_col >> 10,
                            line_col & 0x3FF)
                 for insn_off, file_off, line_off, line_col in records)


def xlated(fd, program):
    """model.Xlated of the program `fd`, whose show-model is `program`."""

    raw = program_code(fd)
    if not raw.xlated:
        raise BpfError("error retrieving insn dump: kernel.kptr_restrict set?")
    image = Image(raw.xlated)
    protos, lines = (), ()
    if raw.info.btf_id:
        btf = Btf(btf_data(raw.info.btf_id))
        protos = tuple((off, type_only(btf, type_id)) for off, type_id in raw.func_info)
        lines = _source_lines(btf, raw.line_info)
    return Xlated(program=program, image=image, protos=protos, lines=lines,
                  symbols=_symbols(list(image.distinct.values()), raw.jited_ksyms))


def _kptr_restrict():
    try:
        with open(KPTR_RESTRICT) as f:
            return f.read().strip()
    except OSError:
        return "?"


def _jited_lines(raw, btf, ksyms):
    """Per function, [(jited address, SourceLine)], dissected as libbpf's prog_linfo does:
    a function's records start where the jited line address equals its symbol."""
    if not raw.jited_line_info or btf is None or len(raw.jited_line_info) != len(raw.line_info):
        return [[] for _ in ksyms]
    lines = _source_lines(btf, raw.line_info)
    pairs = list(zip(raw.jited_line_info, lines))
    starts = [0]
    f = 1
    for i in range(1, len(pairs)):
        if f < len(ksyms) and pairs[i][0] == ksyms[f]:
            starts.append(i)
            f += 1
    if len(starts) != len(ksyms):
        return [[] for _ in ksyms]
    starts.append(len(pairs))
    return [pairs[starts[k]:starts[k + 1]] for k in range(len(ksyms))]


def jited_code(fd):
    """RawCode with the JIT image; BpfError saying why when the kernel gives none."""

    raw = program_code(fd, jited=True)
    if not raw.info.jited_prog_len:
        raise BpfError("program %u is not JIT-compiled: the kernel runs it in its interpreter "
                       "(net.core.bpf_jit_enable is 0?); 'prog dump xlated' shows its "
                       "instructions" % raw.info.id)
    if not raw.jited:
        raise BpfError("the kernel withheld the JIT image of program %u: kernel.kptr_restrict "
                       "(now %s) hides kernel addresses from this user; run as root with "
                       "kernel.kptr_restrict at most 1" % (raw.info.id, _kptr_restrict()))
    return raw


def jited(fd, program):
    """model.Jited of the program `fd`, whose show-model is `program`."""

    raw = jited_code(fd)
    btf = Btf(btf_data(raw.info.btf_id)) if raw.info.btf_id else None
    ksyms, lens = raw.jited_ksyms, raw.jited_func_lens
    if not lens:
        whole = JitFunc(name=None, proto="", address=0, image=raw.jited, lines=())
        return Jited(program=program, funcs=(whole,), split=False, image=raw.jited)
    names = ksym.resolve((), ksyms)[1] if ksyms else {}
    lines = _jited_lines(raw, btf, ksyms) if ksyms else [[] for _ in lens]
    funcs, pos = [], 0
    for i, length in enumerate(lens):
        address = ksyms[i] if i < len(ksyms) else 0
        if not ksyms:
            name = "unknown"
        else:
            name = names.get(address, "0x%016x" % address)
        proto = ""
        if btf is not None and i < len(raw.func_info):
            proto = type_only(btf, raw.func_info[i][1])
        funcs.append(JitFunc(name=name, proto=proto, address=address,
                             image=raw.jited[pos:pos + length],
                             lines=tuple(lines[i]) if i < len(lines) else ()))
        pos += length
    return Jited(program=program, funcs=tuple(funcs), split=True, image=raw.jited)
