"""An instruction image walked as bpftool walks it, built for large programs: each
instruction is identified by its bytes, and each distinct instruction is decoded (and later
printed) once. Real programs repeat most of their instructions."""

import struct
import sys
from array import array
from itertools import repeat

from bpfinspect.isa.insn import Insn

_SLOT = struct.Struct("<BBhi")

_LD_IMM64 = b"\x18"


def _from_key(key):
    """The Insn whose bytes are `key` (its index, which printing does not need, is -1)."""
    if isinstance(key, tuple):
        raw = b"".join(w.to_bytes(8, "little") for w in key)
        next_imm = _SLOT.unpack_from(raw, 8)[3] if len(key) == 2 else 0
    else:
        raw = key.to_bytes(8, "little")
        next_imm = 0
    code, regs, off, imm = _SLOT.unpack_from(raw)
    return Insn(-1, code, regs & 15, regs >> 4, off, imm, next_imm, raw)


_DSTS = bytes(b & 15 for b in range(256))
_SRCS = bytes(b >> 4 for b in range(256))


def _decoded(keys):
    """{key: Insn} of the distinct `keys`. On little-endian hosts (the image's words are its
    slots' bytes read as little-endian ints) the one-slot instructions are split into their
    fields column by column, in C (slices, translate, casts), and only built one by one."""
    if sys.byteorder != "little":
        return {k: _from_key(k) for k in keys}
    singles = [k for k in keys if k.__class__ is int]
    packed = array("Q", singles).tobytes()
    regs = packed[1::8]
    view = memoryview(packed)
    out = dict(zip(singles, map(
        Insn, repeat(-1), packed[0::8], regs.translate(_DSTS), regs.translate(_SRCS),
        view.cast("h")[1::4].tolist(), view.cast("i")[1::2].tolist(), repeat(0),
        map(int.to_bytes, singles, repeat(8), repeat("little")))))
    if len(out) < len(keys):
        out.update((k, _from_key(k)) for k in keys if k.__class__ is not int)
    return out


class Image:
    """`indices`: the slot index of each instruction (an ld_imm64's second slot is skipped);
    `keys`: each instruction's identity (its 8 bytes as an int; an ld_imm64's 16 as a pair);
    `distinct`: key -> Insn, each distinct instruction decoded once (with index -1).
    The image is in the host's byte order (little-endian hosts: x86-64, arm64)."""

    def __init__(self, data):
        self.data = data = bytes(data)
        n = len(data) // 8
        self.slots = n
        words = memoryview(data)[:n * 8].cast("Q").tolist()
        codes = data[0:n * 8:8]
        lds = []
        pos = codes.find(_LD_IMM64)
        while pos >= 0:
            if not lds or lds[-1] != pos - 1:  # a second slot that looks like one is not one
                lds.append(pos)
            pos = codes.find(_LD_IMM64, pos + 1)
        if not lds:
            self.indices = range(n)
            self.keys = words
        else:
            indices, keys, prev = [], [], 0
            for p in lds:
                indices.extend(range(prev, p + 1))
                keys.extend(words[prev:p])
                keys.append((words[p], words[p + 1]) if p + 1 < n else (words[p],))
                prev = p + 2
            if prev < n:
                indices.extend(range(prev, n))
                keys.extend(words[prev:n])
            self.indices = indices
            self.keys = keys
        self.distinct = _decoded(dict.fromkeys(self.keys))

    def __len__(self):
        return len(self.keys)

    def insns(self, lo=0, hi=None):
        """The instructions at positions [lo, hi) (every one by default) as Insns."""
        out = []
        for index, key in zip(self.indices[lo:hi], self.keys[lo:hi]):
            d = self.distinct[key]
            out.append(Insn(index, d.code, d.dst, d.src, d.off, d.imm, d.next_imm, d.raw))
        return out
