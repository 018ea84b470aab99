"""Control-flow graph of a program, built in bpftool's passes (cfg.c): split functions, find
block leaders, cut blocks, add ENTRY/EXIT, add edges.

Where cfg.c is wrong this is right: functions also start where func_info says (bpf_loop
callbacks, which no call names: in xlated code their ld_imm64 holds an address, not an
offset); gotol jumps by imm, not off; gotox has no known target; a jump out of its function
draws no edge; an edge is drawn once.
"""

from bisect import bisect_right

from bpfinspect.isa import encoding as E
from bpfinspect.isa.insn import JUMP_CODES, UNCONDITIONAL_CODES

ENTRY, EXIT = 0, 1


class Block:
    """Instructions [start, end] (slot indices, end inclusive) of one function."""

    __slots__ = ("idx", "start", "end", "insns", "succs")

    def __init__(self, start):
        self.idx = None
        self.start = start
        self.end = None
        self.insns = []
        self.succs = []  # idx of successor blocks, in cfg.c's order


class Function:
    """A subprogram: slots [start, end]; blocks in address order, then EXIT; `entry` first."""

    __slots__ = ("idx", "start", "end", "blocks")

    def __init__(self, idx, start):
        self.idx = idx
        self.start = start
        self.end = None
        self.blocks = []


def function_starts(insns, extra=()):
    """{start slot: function index}: the main function 0, then the targets of pseudo calls in
    the order they are met (cfg.c's numbering), then `extra` starts (func_info) that no call
    names."""
    n_slots = insns[-1].index + insns[-1].slots if insns else 0
    starts = {0: 0}
    call = E.CODE_CALL
    for insn in insns:
        if insn.code != call:
            continue
        t = insn.call_target
        if t is not None and 0 <= t < n_slots and t not in starts:
            starts[t] = len(starts)
    for t in extra:
        if 0 < t < n_slots and t not in starts:
            starts[t] = len(starts)
    return starts


def build(insns, extra_starts=()):
    """The functions of `insns` (isa.insn.Insn list), in address order."""
    if not insns:
        return []
    indices = [i.index for i in insns]
    slot_starts = set(indices)
    starts = {s: idx for s, idx in function_starts(insns, extra_starts).items()
              if s in slot_starts}
    order = sorted(starts)
    funcs = []
    k = 0
    for n, start in enumerate(order):
        func = Function(starts[start], start)
        end = order[n + 1] if n + 1 < len(order) else insns[-1].index + insns[-1].slots
        func.end = end - 1
        k2 = bisect_right(indices, end - 1, k)
        _blocks(func, insns[k:k2], indices[k:k2])
        k = k2
        funcs.append(func)
    return funcs


def _blocks(func, body, indices):
    start, end = func.start, func.end
    leaders = {start}
    jumps, unconditional = JUMP_CODES, UNCONDITIONAL_CODES
    for insn in body:
        if insn.code in jumps:
            t = insn.jump_target
            if t is not None and start <= t <= end:
                leaders.add(t)
            if insn.code not in unconditional:
                leaders.add(insn.index + 1)
    heads = sorted(h for h in leaders if start <= h <= end)
    blocks = [Block(h) for h in heads]
    k = 0
    for n, b in enumerate(blocks):
        b.end = heads[n + 1] - 1 if n + 1 < len(heads) else end
        k2 = bisect_right(indices, b.end, k)
        b.insns = body[k:k2]
        k = k2
    blocks = [b for b in blocks if b.insns]  # a leader inside an ld_imm64: no instruction
    for n, b in enumerate(blocks):
        b.idx = n + 2
    entry, exit_ = Block(None), Block(None)
    entry.idx, exit_.idx = ENTRY, EXIT
    by_head = {b.start: b for b in blocks}
    entry.succs.append(blocks[0].idx)
    for n, b in enumerate(blocks):
        nxt = blocks[n + 1].idx if n + 1 < len(blocks) else EXIT
        last = b.insns[-1]
        if last.code not in jumps:  # straight line, calls and exits fall through (cfg.c)
            b.succs.append(nxt)
            continue
        if last.code not in unconditional:
            b.succs.append(nxt)
        target = by_head.get(last.jump_target)
        if target is not None and target.idx not in b.succs:
            b.succs.append(target.idx)
    func.blocks = [entry] + blocks + [exit_]
