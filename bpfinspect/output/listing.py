"""How `prog dump xlated` attaches prototypes and source lines to instructions
(xlated_dumper.c), shared by the text and JSON formatters."""

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


def annotated(x):
    """(insn, prototype or None, SourceLine or None) per instruction of model.Xlated `x`,
    as the plain and JSON dumps attach them."""
    protos, lines = x.protos, x.lines
    if not protos and not lines:
        for insn in x.insns:
            yield insn, None, None
        return
    ri = nr_skip = 0
    for insn in x.insns:
        i = insn.index
        proto = line = None
        if ri < len(protos) and protos[ri][0] == i:
            proto = protos[ri][1] or None
            ri += 1
        if lines:
            line = lfind(lines, i, nr_skip)
            if line is not None:
                nr_skip += 1
        yield insn, proto, line
