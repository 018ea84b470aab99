"""How `prog dump xlated` attaches prototypes and source lines to instructions
(xlated_dumper.c), shared by the text and JSON views."""

import bisect

_SPACE = " \t\n\v\f\r"


def ltrim(text):
    return text.lstrip(_SPACE)


def lfind(lines, insn_off, nr_skip):
    """libbpf's bpf_prog_linfo__lfind: from record `nr_skip` on, the last one whose insn_off
    is at most `insn_off`, or None."""
    n = len(lines)
    if nr_skip >= n or insn_off < lines[nr_skip].insn_off:
        return None
    j = nr_skip
    while j < n and lines[j].insn_off <= insn_off:
        j += 1
    return lines[j - 1]


class LineIndex:
    """The line in effect at an instruction: the last record at or before it (line_info is
    sorted by insn_off; the verifier enforces it)."""

    def __init__(self, lines):
        self.lines = lines
        self.offs = [r.insn_off for r in lines]

    def at(self, insn_off):
        j = bisect.bisect_right(self.offs, insn_off)
        return self.lines[j - 1] if j else None


def annotations(x):
    """{instruction ordinal: (prototype or None, SourceLine or None)} for the instructions of
    model.Xlated `x` that carry either, attached as the plain and JSON dumps attach them: a
    prototype where its func_info record's insn_off is the instruction's index, and the
    line_info records through libbpf's lfind with bpftool's running skip count. Walks only
    from one record to the next, not over every instruction."""
    protos, lines, indices = x.protos, x.lines, x.image.indices
    n, n_protos, n_lines = len(indices), len(protos), len(lines)
    offs = [r.insn_off for r in lines]
    out = {}
    ri = nr_skip = ordinal = 0
    while ordinal < n:
        targets = []
        if ri < n_protos:
            targets.append(protos[ri][0])
        if nr_skip < n_lines:
            targets.append(offs[nr_skip])
        if not targets:
            break
        ordinal = bisect.bisect_left(indices, min(targets), ordinal)
        if ordinal >= n:
            break
        i = indices[ordinal]
        proto = line = None
        if ri < n_protos:
            if protos[ri][0] == i:
                proto = protos[ri][1] or None
                ri += 1
            elif protos[ri][0] < i:
                ri = n_protos  # a record at no instruction: bpftool's walk stops there
        if nr_skip < n_lines and offs[nr_skip] <= i:
            line = lfind(lines, i, nr_skip)
            nr_skip += 1
        if proto is not None or line is not None:
            out[ordinal] = (proto, line)
        ordinal += 1
    return out
