"""Control-flow graph of a program, built in bpftool's passes (cfg.c): split functions, find
block leaders, cut blocks, add ENTRY/EXIT, add edges.

Where cfg.c is wrong this is right: functions also start where func_info says (bpf_loop
callbacks, which no call names: in xlated code their ld_imm64 holds an address, not an
offset); gotol jumps by imm, not off; gotox has no known target; a jump out of its function
draws no edge; an edge is drawn once.
"""

from bisect import bisect_right

from bpfinspect.isa import encoding as E
from bpfinspect.isa.insn import JUMP_CODES, UNCONDITIONAL_CODES, jump_target

ENTRY, EXIT = 0, 1


class Block:
    """Instructions [start, end] (slot indices, end inclusive) of one function: positions
    [lo, hi) of its program's instruction list, made Insns (`insns`) when first asked for."""

    __slots__ = ("idx", "start", "end", "succs", "code", "lo", "hi", "_insns")

    def __init__(self, start, code=None):
        self.idx = None
        self.start = start
        self.end = None
        self.succs = []  # idx of successor blocks, in cfg.c's order
        self.code = code  # the program's _Code (None for ENTRY and EXIT)
        self.lo = self.hi = 0
        self._insns = None

    @property
    def insns(self):
        if self._insns is None:
            self._insns = self.code.insns(self.lo, self.hi) if self.code else []
        return self._insns


class Function:
    """A subprogram: slots [start, end]; blocks in address order, then EXIT; `entry` first."""

    __slots__ = ("idx", "start", "end", "blocks")

    def __init__(self, idx, start):
        self.idx = idx
        self.start = start
        self.end = None
        self.blocks = []


class _Insns:
    """A list of Insn as the passes read it: slot indices, the positions of instructions
    whose opcode is in a set, and (code, src, off, imm) at a position."""

    def __init__(self, insns):
        self.list = insns
        self.indices = [i.index for i in insns]
        self.n_slots = insns[-1].index + insns[-1].slots if insns else 0

    def positions(self, codes):
        return [p for p, i in enumerate(self.list) if i.code in codes]

    def fields(self, p):
        i = self.list[p]
        return i.code, i.src, i.off, i.imm

    def insns(self, lo, hi):
        return self.list[lo:hi]

    def slots_and_keys(self, lo, hi):
        """(slot indices, keys) of positions [lo, hi); insn_of(key) is the instruction."""
        body = self.list[lo:hi]
        return [i.index for i in body], body

    @staticmethod
    def insn_of(key):
        return key

    def distinct_keys(self):
        return self.list


class _Image:
    """An isa.image.Image read the same way, without an Insn per instruction: what the
    passes look at is found by each distinct instruction's opcode, and only the blocks
    someone lists are made Insns."""

    def __init__(self, image):
        self.image = image
        self.indices = image.indices
        self.keys = image.keys
        self.distinct = image.distinct
        self.n_slots = image.slots

    def positions(self, codes):
        wanted = {k for k, d in self.distinct.items() if d.code in codes}
        if not wanted:
            return []
        return [p for p, k in enumerate(self.keys) if k in wanted]

    def fields(self, p):
        d = self.distinct[self.keys[p]]
        return d.code, d.src, d.off, d.imm

    def slots_and_keys(self, lo, hi):
        """(slot indices, keys) of positions [lo, hi): each distinct instruction has one key,
        insn_of(key) the instruction (its index is not the slot's)."""
        return self.indices[lo:hi], self.keys[lo:hi]

    def insn_of(self, key):
        return self.distinct[key]

    def distinct_keys(self):
        return self.distinct.keys()

    def insns(self, lo, hi):
        return self.image.insns(lo, hi)


def function_starts(code, extra=()):
    """{start slot: function index}: the main function 0, then the targets of pseudo calls in
    the order they are met (cfg.c's numbering), then `extra` starts (func_info) that no call
    names."""
    n_slots = code.n_slots
    starts = {0: 0}
    indices = code.indices
    for p in code.positions(_CALLS):
        _op, src, off, _imm = code.fields(p)
        if src != E.PSEUDO_CALL:
            continue
        t = indices[p] + 1 + off
        if 0 <= t < n_slots and t not in starts:
            starts[t] = len(starts)
    for t in extra:
        if 0 < t < n_slots and t not in starts:
            starts[t] = len(starts)
    return starts


_CALLS = frozenset((E.CODE_CALL,))


def build(insns, extra_starts=()):
    """The functions of `insns` (an isa.insn.Insn list, or an isa.image.Image), in address
    order."""
    code = _Insns(insns) if isinstance(insns, list) else _Image(insns)
    if not len(code.indices):
        return []
    indices = code.indices
    slot_starts = set(indices)
    starts = {s: idx for s, idx in function_starts(code, extra_starts).items()
              if s in slot_starts}
    order = sorted(starts)
    jumps = code.positions(JUMP_CODES)
    funcs = []
    k = j = 0
    for n, start in enumerate(order):
        func = Function(starts[start], start)
        end = order[n + 1] if n + 1 < len(order) else code.n_slots
        func.end = end - 1
        k2 = bisect_right(indices, end - 1, k)
        j2 = bisect_right(jumps, k2 - 1, j)
        _blocks(func, code, k, k2, jumps[j:j2])
        k, j = k2, j2
        funcs.append(func)
    return funcs


def _blocks(func, code, lo, hi, jumps):
    """Blocks of `func`, whose instructions are positions [lo, hi) of `code`; `jumps` the
    positions among them of jumps."""
    start, end = func.start, func.end
    indices, fields = code.indices, code.fields
    leaders = {start}
    unconditional = UNCONDITIONAL_CODES
    for p in jumps:
        op, _src, off, imm = fields(p)
        t = jump_target(indices[p], op, off, imm)
        if t is not None and start <= t <= end:
            leaders.add(t)
        if op not in unconditional:
            leaders.add(indices[p] + 1)
    heads = sorted(h for h in leaders if start <= h <= end)
    blocks = []
    k = lo
    for n, h in enumerate(heads):
        b = Block(h, code)
        b.end = heads[n + 1] - 1 if n + 1 < len(heads) else end
        k2 = bisect_right(indices, b.end, k, hi)
        b.lo, b.hi = k, k2
        k = k2
        if b.hi > b.lo:  # a leader inside an ld_imm64: no instruction
            blocks.append(b)
    for n, b in enumerate(blocks):
        b.idx = n + 2
    entry, exit_ = Block(None), Block(None)
    entry.idx, exit_.idx = ENTRY, EXIT
    by_head = {b.start: b for b in blocks}
    entry.succs.append(blocks[0].idx)
    for n, b in enumerate(blocks):
        nxt = blocks[n + 1].idx if n + 1 < len(blocks) else EXIT
        last = b.hi - 1
        op, _src, off, imm = fields(last)
        if op not in JUMP_CODES:  # straight line, calls and exits fall through (cfg.c)
            b.succs.append(nxt)
            continue
        if op not in unconditional:
            b.succs.append(nxt)
        target = by_head.get(jump_target(indices[last], op, off, imm))
        if target is not None and target.idx not in b.succs:
            b.succs.append(target.idx)
    func.blocks = [entry] + blocks + [exit_]
