"""`prog dump xlated ... visual`: the control-flow graph as Graphviz DOT, laid out as the
newest bpftool lays it out (cfg.c, xlated_dumper.c), with each function's own prototype and
source lines (bpftool prints the main function's in every subprogram: its issue 178)."""

import re

from bpfinspect.isa import cfg
from bpfinspect.isa.printer import CachedPrinter
from bpfinspect.views.decimal import numbers
from bpfinspect.views.listing import LineIndex, ltrim
from bpfinspect.views.output import Output, error_text
from bpfinspect.views.textsafe import safe, safe_source

_LABEL_SPECIAL = re.compile(r'([\\"{}<>| ])')
_EDGE = ("\tfn_%d_bb_%d:s -> fn_%d_bb_%d:n [style=\"solid,bold\", color=black, weight=10, "
         "constraint=true];\n")
_MAX_PATH_LEN = 32


_INSN_ESCAPES = str.maketrans({c: "\\" + c for c in "<>|&"})


def _insn_text(text):
    return text.translate(_INSN_ESCAPES)


_PROTO_SPECIAL = re.compile(r'([\\"{}<>|])')


def _proto_text(text):
    """A BTF prototype: bpftool prints it raw; its spaces stay, quoting characters (which no
    C prototype has, but BTF names are untrusted) and control characters are escaped."""
    return _PROTO_SPECIAL.sub(r"\\\1", safe(text))


def _label_text(text):
    """Source text and file names from BTF: control characters escaped as in every text
    view, then DOT's special characters."""
    return _LABEL_SPECIAL.sub(r"\\\1", safe_source(text))


def shorten_path(path):
    """bpftool's shorten_path(): (prefix "..." or "", the path's tail of at most 32 bytes)."""
    if len(path) <= _MAX_PATH_LEN:
        return "", path
    cut = path.find("/", len(path) - _MAX_PATH_LEN)
    if cut >= 0:
        if cut < len("..."):
            return "", path
        return "...", path[cut:]
    cut = path.rfind("/")
    if cut > 0:  # "..." only where something was cut off
        return "...", path[cut:]
    return "", path


class _Notes:
    """Prototypes and source lines by absolute instruction index."""

    def __init__(self, x, linum):
        self.protos = {off: text for off, text in x.protos if text}
        self.lines = LineIndex(x.lines) if x.lines else None
        self.linum = linum
        self._label_texts = None  # (cfg code, {key: text escaped for a record label})
        self._numbers = []  # "0", "1", ...: the instructions' numbers within their function

    def number_texts(self, code):
        """The decimal texts of 0 up to the number of slots of the cfg `code`."""
        if len(self._numbers) < code.n_slots:
            self._numbers = numbers(code.n_slots)
        return self._numbers

    def label_texts(self, code, text):
        """{key: instruction text escaped for a record label} of every instruction of the
        cfg `code` (isa.cfg), each distinct instruction printed once."""
        if self._label_texts is None or self._label_texts[0] is not code:
            keys = code.distinct_keys()
            self._label_texts = (code, {k: _insn_text(text(code.insn_of(k))) for k in keys})
        return self._label_texts[1]

    def source(self, line):
        if line.text is None or not line.text:
            return ""
        out = []
        if self.linum:
            ellipsis, short = shorten_path(line.file or "")
            out.append("; [%s%s line:%u col:%u]\\l\\\n" % (
                ellipsis, _label_text(short), line.line_num, line.line_col))
        out.append("; %s\\l\\\n" % _label_text(ltrim(line.text)))
        return "".join(out)


def _block_label(func, block, notes, text, opcodes):
    if not opcodes and notes.lines is None and not notes.protos:
        # the common case: plain instructions, each line "N: text" joined by C-level maps
        base = func.start
        indices, keys = block.code.slots_and_keys(block.lo, block.hi)
        texts = notes.label_texts(block.code, text)
        number = notes.number_texts(block.code).__getitem__
        relative = map(number, map(base.__rsub__, indices) if base else indices)
        return "{\\\n%s\\l\\\n}" % "\\l\\\n| ".join(
            map(": ".join, zip(relative, map(texts.__getitem__, keys))))
    out = ["{\\\n"]
    last_line = None
    for insn in block.insns:
        i = insn.index
        proto = notes.protos.get(i)
        if proto is not None:
            out.append("; %s:\\l\\\n" % _proto_text(proto))
        if notes.lines is not None:
            line = notes.lines.at(i)
            if line is not None and line is not last_line:
                out.append(notes.source(line))
                last_line = line
        out.append("%u: %s\\l\\\n" % (i - func.start, _insn_text(text(insn))))
        if opcodes:
            out.append("\\ \\ \\ \\ %s\\l\\\n" % insn.raw.hex(" "))
        if i != block.end:
            out.append("| ")
    out.append("}")
    return "".join(out)


def render(graph, opcodes=False, linum=False):
    """DOT text of model.Cfg `graph`, in chunks."""
    x = graph.xlated
    text = CachedPrinter(x.symbols)
    notes = _Notes(x, linum)
    yield 'digraph "DOT graph for eBPF program" {\n'
    for func in graph.funcs:
        out = ['subgraph "cluster_%d" {\n\tstyle="dashed";\n\tcolor="black";\n'
               '\tlabel="func_%d ()";\n' % (func.idx, func.idx)]
        for block in func.blocks:
            if block.idx == cfg.ENTRY:
                out.append('\tfn_%d_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n\n'
                           % func.idx)
            elif block.idx == cfg.EXIT:
                out.append('\tfn_%d_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n\n'
                           % func.idx)
            else:
                out.append('\tfn_%d_bb_%d [shape=record,style=filled,label="%s"];\n\n' % (
                    func.idx, block.idx, _block_label(func, block, notes, text, opcodes)))
        for block in func.blocks:
            for succ in block.succs:
                out.append(_EDGE % (func.idx, block.idx, func.idx, succ))
        out.append('\tfn_%d_bb_0:s -> fn_%d_bb_1:n [style="invis", constraint=true];\n}\n'
                   % (func.idx, func.idx))
        yield "".join(out)
    yield "}\n"


class DotOutput(Output):
    """`visual`: DOT on its stream (errors go where the text output's go)."""

    name = "dot"

    def cfg(self, graphs, opcodes=False, linum=False):
        for graph in graphs:
            for chunk in render(graph, opcodes, linum):
                self.out.write(chunk)

    def error(self, message):
        error_text(self.out, message)
