"""`prog dump xlated`: the instructions as the verifier left them, in text and JSON side by
side (bpftool's xlated_dumper.c, dump_xlated_plain and dump_xlated_json), with prototypes
and source lines from BTF."""

from bpfinspect.isa.printer import text as insn_text
from bpfinspect.views.decimal import numbers
from bpfinspect.views.jsonw import encode, quote
from bpfinspect.views.listing import annotations, ltrim
from bpfinspect.views.textsafe import safe, safe_source


def note_text(proto, line, linum):
    """The lines that precede an instruction: its function's prototype, its source line."""
    out = []
    if proto is not None:
        out.append(safe(proto) + ":\n")
    if line is not None and line.text is not None:
        src = safe_source(ltrim(line.text))
        if linum:
            out.append("; %s [file:%s line_num:%u line_col:%u]\n" % (
                src, safe(line.file or ""), line.line_num, line.line_col))
        else:
            out.append("; %s\n" % src)
    return "".join(out)


def text_chunks(x, opcodes=False, linum=False):
    """`prog dump xlated` of model.Xlated `x`, as chunks of text. Each distinct instruction
    is printed once; then one format per line."""
    image, symbols = x.image, x.symbols
    if opcodes:
        texts = {k: ": %s\n       %s\n" % (insn_text(insn, symbols), insn.raw.hex(" "))
                 for k, insn in image.distinct.items()}
    else:
        texts = {k: ": %s\n" % insn_text(insn, symbols) for k, insn in image.distinct.items()}
    # "%4u: %s\n" per line, built by slices and one join: every line costs a few C calls
    indices = image.indices
    table = numbers(indices[-1] + 1, 4) if len(indices) else []
    parts = [None] * (2 * len(indices))
    # indices ascend from 0: as many as the table holds means every one of them
    parts[0::2] = table if len(table) == len(indices) else list(map(table.__getitem__, indices))
    parts[1::2] = map(texts.__getitem__, image.keys)
    for ordinal, (proto, line) in annotations(x).items():
        parts[2 * ordinal] = note_text(proto, line, linum) + parts[2 * ordinal]
    step = 2 * 16384
    for start in range(0, len(parts), step):
        yield "".join(parts[start:start + step])


def hex_list(data):
    return ["0x%02x" % b for b in data]


def line_json(line, linum):
    """btf_dump_linfo_json's members (shared with the jited dump)."""
    d = {}
    if line is not None:
        if line.text is not None:
            d["src"] = ltrim(line.text)
        if linum:
            if line.file is not None:
                d["file"] = line.file
            if line.line_num:
                d["line_num"] = line.line_num
            if line.line_col:
                d["line_col"] = line.line_col
    return d


def _insn_json(insn, text, opcodes, proto=None, line=None, linum=False):
    d = {} if proto is None else {"proto": proto}
    d.update(line_json(line, linum))
    d["disasm"] = text
    if opcodes:
        raw = insn.raw
        d["opcodes"] = {"code": "0x%02x" % insn.code, "src_reg": "0x%x" % insn.src,
                        "dst_reg": "0x%x" % insn.dst, "off": hex_list(raw[2:4]),
                        "imm": hex_list(raw[4:16])}
    return d


def json_encoded(x, opcodes, linum, pretty, depth):
    """The JSON text of each instruction object of model.Xlated `x`, encoded for nesting
    level `depth`; an instruction without notes is encoded once per distinct instruction."""
    image, symbols = x.image, x.symbols
    texts = {k: insn_text(insn, symbols) for k, insn in image.distinct.items()}
    if opcodes:
        plain = {k: encode(_insn_json(image.distinct[k], t, opcodes), pretty, depth)
                 for k, t in texts.items()}
    else:  # {"disasm": ...} without encode()'s generality: most of a large dump
        template = ('{\n%s"disasm": %%s\n%s}' % ("    " * (depth + 1), "    " * depth)
                    if pretty else '{"disasm":%s}')
        plain = {k: template % quote(t) for k, t in texts.items()}
    out = list(map(plain.__getitem__, image.keys))
    for ordinal, (proto, line) in annotations(x).items():
        key = image.keys[ordinal]
        d = _insn_json(image.distinct[key], texts[key], opcodes, proto, line, linum)
        out[ordinal] = encode(d, pretty, depth)
    return out
