"""bpftool's plain-text output."""

import bisect
import sys
import time

from bpfinspect.output.textsafe import safe, safe_block


def _type(name, number):
    return name if name is not None else "type %u" % number


def _dev(device):
    if device is None:
        return ""
    if device.ifname is not None:
        return "  offloaded_to " + safe(device.ifname)
    return "  offloaded_to ifindex %u ns_dev %u ns_ino %u" % (
        device.ifindex, device.ns_dev, device.ns_inode)


def _pins(pinned):
    return "".join("\n\tpinned " + safe(p) for p in pinned or ())


def _pids(pids):
    if not pids:
        return ""
    return "\n\tpids " + ", ".join("%s(%d)" % (safe(o.comm), o.pid) for o in pids)


def loaded_at_text(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch))


def prog_header_text(p):
    """The first line of `prog show`, which also heads each program of a multi-program dump."""
    out = ["%u: %s  " % (p.id, _type(p.type_name, p.type))]
    if p.name:
        out.append("name %s  " % safe(p.name))
    out.append("tag " + p.tag)
    out.append(_dev(p.device))
    if p.gpl_compatible:
        out.append("  gpl")
    if p.run_time_ns:
        out.append(" run_time_ns %u run_cnt %u" % (p.run_time_ns, p.run_cnt))
    if p.recursion_misses:
        out.append(" recursion_misses %u" % p.recursion_misses)
    out.append("\n")
    return "".join(out)


def prog_text(p):
    out = [prog_header_text(p)]
    if p.loaded_at is not None:
        out.append("\tloaded_at %s  uid %u\n" % (loaded_at_text(p.loaded_at), p.uid))
    out.append("\txlated %uB" % p.bytes_xlated)
    out.append("  jited %uB" % p.bytes_jited if p.bytes_jited else "  not jited")
    if p.bytes_memlock is not None:
        out.append("  memlock %dB" % p.bytes_memlock)
    if p.orphaned:
        out.append("  orphaned")
    if p.map_ids:
        out.append("  map_ids " + ",".join(str(i) for i in p.map_ids))
    out.append(_pins(p.pinned))
    if p.btf_id:
        out.append("\n\tbtf_id %u" % p.btf_id)
    out.append(_pids(p.pids))
    out.append("\n")
    if p.metadata:
        from bpfinspect.output.jsonw import encode

        out.append("\tmetadata:")
        for name, plain, _json in p.metadata:
            out.append("\n\t\t%s = %s" % (safe(name), safe(encode(plain))))
        out.append("\n")
    return "".join(out)


def map_header_text(m):
    """The first line of `map show`, which also heads each map of a multi-map dump."""
    out = ["%u: %s  " % (m.id, _type(m.type_name, m.type))]
    if m.name:
        out.append("name %s  " % safe(m.name))
    out.append("flags 0x%x" % m.flags)
    out.append(_dev(m.device))
    out.append("\n")
    return "".join(out)


def map_text(m):
    out = [map_header_text(m)[:-1]]
    out.append("\n\tkey %uB  value %uB  max_entries %u" % (m.bytes_key, m.bytes_value,
                                                          m.max_entries))
    if m.bytes_memlock is not None:
        out.append("  memlock %dB" % m.bytes_memlock)
    if m.owner_prog_type is not None or m.owner_jited is not None:
        out.append("\n\t")
        if m.owner_prog_type is not None:
            out.append("owner_prog_type %s  " % (m.owner_prog_type_name
                                                  or "%u" % m.owner_prog_type))
        if m.owner_jited is not None:
            out.append("owner%s jited" % ("" if m.owner_jited else " not"))
    out.append(_pins(m.pinned))
    if m.btf_id or m.frozen:
        out.append("\n\t")
    if m.btf_id:
        out.append("btf_id %u" % m.btf_id)
    if m.frozen:
        out.append("%sfrozen" % ("  " if m.btf_id else ""))
    out.append(_pids(m.pids))
    out.append("\n")
    return "".join(out)


def btf_text(b):
    out = ["%u: " % b.id]
    if b.kernel:
        out.append("name [%s]  " % safe(b.name))
    elif b.name:
        out.append("name %s  " % safe(b.name))
    else:
        out.append("name <anon>  ")
    out.append("size %uB" % b.size)
    if b.prog_ids:
        out.append("  prog_ids " + ",".join(str(i) for i in b.prog_ids))
    if b.map_ids:
        out.append("  map_ids " + ",".join(str(i) for i in b.map_ids))
    out.append(_pids(b.pids))
    out.append("\n")
    return "".join(out)


RENDERERS = {"prog": prog_text, "map": map_text, "btf": btf_text}


class TextFormatter:
    name = "text"

    def __init__(self, out, pretty=False):
        self.out = out

    def objects(self, kind, items, listing=False):
        render = RENDERERS[kind]
        for item in items:
            self.out.write(render(item))

    def xlated(self, listings, opcodes=False, linum=False):
        """`prog dump xlated`: with several programs, each under its `prog show` line."""
        several = len(listings) > 1
        for k, x in enumerate(listings):
            if several:
                self.out.write(prog_header_text(x.program))
            for chunk in xlated_lines(x, opcodes, linum):
                self.out.write(chunk)
            if several and k != len(listings) - 1:
                self.out.write("\n")

    def jited(self, listings, opcodes=False, linum=False):
        """`prog dump jited`: per function its prototype, its symbol and its instructions."""
        from bpfinspect.jit.backend import disassembler
        from bpfinspect.output import jitlisting as J

        dis = disassembler()
        several = len(listings) > 1
        try:
            for k, x in enumerate(listings):
                if several:
                    self.out.write(prog_header_text(x.program))
                for func, image, address, lines in J.blocks(x):
                    out = []
                    if func is not None:
                        if func.proto:
                            out.append(safe(func.proto) + ":\n")
                        out.append(safe(func.name) + ":\n")
                    for pc, raw, text, line in J.instructions(dis, image, address, lines):
                        if line is not None:
                            out.append(_note_text(None, line, linum))
                        out.append("%4x:%s" % (pc, text))
                        if opcodes:
                            out.append("\n\t" + "".join("%02x " % b for b in raw))
                        out.append("\n")
                    if func is not None:
                        out.append("\n")
                    self.out.write("".join(out))
                if several and k != len(listings) - 1:
                    self.out.write("\n")
        finally:
            dis.close()

    def map_dump(self, dumps, as_btf=False):
        """`map dump`: hex lines and `Found N elements`; when every map has BTF, bpftool's
        pretty JSON of the formatted entries instead."""
        if as_btf:
            _btf_dump(self.out, dumps)
            return
        from bpfinspect.output import mapentries as E

        several = len(dumps) > 1
        for k, d in enumerate(dumps):
            lay = d.layout
            if several:
                self.out.write(map_header_text(lay.map))
            rec = E.record(lay, lambda kt, vt, lay=lay: E.plain_entry(lay, kt, vt))
            count = 0
            for chunk in d.chunks:
                if isinstance(chunk, tuple):
                    keys, values, n = chunk
                    if rec is not None:
                        self.out.write(E.render_packed(rec, lay, keys, values, n).decode("ascii"))
                        count += n
                        continue
                    chunk = E.unpack(lay, keys, values, n)
                out = []
                for key, value in chunk:
                    if isinstance(value, int):
                        message = E.error_message(lay, value)
                        if message is not None:
                            out.append(E.plain_error(lay, E.tokens(key), message))
                        continue
                    out.append(E.plain_entry(lay, E.tokens(key), E.value_tokens(lay, value),
                                             E.inner_id(value)))
                    count += 1
                self.out.write("".join(out))
            self.out.write("Found %u element%s\n" % (count, "" if count == 1 else "s"))
            if several and k != len(dumps) - 1:
                self.out.write("\n")

    def map_entry(self, lay, key, value):
        """`map lookup` and `peek` of a found entry."""
        from bpfinspect.output import mapentries as E

        if lay.btf is not None:
            from bpfinspect.output.jsonw import encode

            self.out.write(encode(E.formatted(lay, key, value, True), True) + "\n")
            return
        self.out.write(E.plain_entry(lay, E.tokens(key or b""), E.value_tokens(lay, value),
                                     E.inner_id(value)))

    def map_not_found(self, lay, key):
        from bpfinspect.output import mapentries as E

        self.out.write("key:\n%s\n\nNot found\n" % E.fprint_hex(E.tokens(key or b"")))

    def map_next_key(self, lay, key, next_key):
        from bpfinspect.output import mapentries as E

        if key is not None:
            self.out.write("key:\n%s\n" % E.fprint_hex(E.tokens(key)))
        else:
            self.out.write("key: None\n")
        self.out.write("next key:\n%s\n" % E.fprint_hex(E.tokens(next_key)))

    def btf_raw(self, btf, roots=()):
        """`btf dump ... format raw`."""
        from bpfinspect.btf import raw

        for chunk in raw.text_lines(btf, raw.type_ids(btf, roots)):
            self.out.write(safe_block(chunk))

    def error(self, message):
        self.out.flush()
        sys.stderr.write("Error: %s\n" % safe(message))

    def null(self):
        """bpftool prints `null` for some commands in JSON mode only."""

    def close(self):
        self.out.flush()


def _note_text(proto, line, linum):
    from bpfinspect.output.listing import ltrim
    from bpfinspect.output.textsafe import safe_source

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


def xlated_lines(x, opcodes=False, linum=False):
    """`prog dump xlated` of model.Xlated `x`, as chunks of text. Each distinct instruction
    is printed once; then one format per line."""
    from bpfinspect.isa.printer import text
    from bpfinspect.output.listing import annotations

    image, symbols = x.image, x.symbols
    if opcodes:
        texts = {k: ": %s\n       %s\n" % (text(insn, symbols), insn.raw.hex(" "))
                 for k, insn in image.distinct.items()}
    else:
        texts = {k: ": %s\n" % text(insn, symbols) for k, insn in image.distinct.items()}
    # "%4u: %s\n" per line, built by slices and one join: every line costs a few C calls
    indices = image.indices
    padded = bisect.bisect_left(indices, 1000)  # "%4u" pads below 1000 only
    parts = [None] * (2 * len(indices))
    parts[0::2] = ["%4u" % i for i in indices[:padded]] + list(map(str, indices[padded:]))
    parts[1::2] = map(texts.__getitem__, image.keys)
    for ordinal, (proto, line) in annotations(x).items():
        parts[2 * ordinal] = _note_text(proto, line, linum) + parts[2 * ordinal]
    step = 2 * 16384
    for start in range(0, len(parts), step):
        yield "".join(parts[start:start + step])


def _btf_dump(out, dumps):
    """`map dump` of maps with BTF, without -j: bpftool writes its BTF dumper's output as
    pretty JSON (with raw hex numbers, so not always JSON)."""
    from bpfinspect.output import mapentries as E
    from bpfinspect.output.json import map_dump_header
    from bpfinspect.output.jsonw import JsonStream

    stream = JsonStream(out, pretty=True)
    if len(dumps) == 1:
        stream.begin_array()
        for key, value in _entries(dumps[0]):
            if not isinstance(value, int):
                stream.value(E.formatted(dumps[0].layout, key, value, True))
        stream.close()
        return
    stream.begin_array()
    for d in dumps:
        obj = map_dump_header(d.layout.map)
        obj["elements"] = [E.formatted(d.layout, key, value, True)
                           for key, value in _entries(d) if not isinstance(value, int)]
        stream.value(obj)
    stream.close()


def _entries(d):
    """(key, value or errno) of every entry of model.MapDump `d`."""
    from bpfinspect.output import mapentries as E

    for chunk in d.chunks:
        if isinstance(chunk, tuple):
            chunk = E.unpack(d.layout, *chunk)
        yield from chunk
