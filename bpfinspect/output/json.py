"""bpftool's JSON output (-j, -p), always valid JSON."""

from bpfinspect.output.jsonw import Encoded, JsonStream, encode, quote


def _type(name, number):
    return name if name is not None else number


def _dev(device):
    d = {"ifindex": device.ifindex, "ns_dev": device.ns_dev, "ns_inode": device.ns_inode}
    if device.ifname is not None:
        d["ifname"] = device.ifname
    return d


def _pids(obj, d):
    if obj.pids:
        d["pids"] = [{"pid": o.pid, "comm": o.comm} for o in obj.pids]


def prog_header_json(p):
    """The members that head each program of a multi-program dump (and `prog show`)."""
    d = {"id": p.id, "type": _type(p.type_name, p.type)}
    if p.name:
        d["name"] = p.name
    d["tag"] = p.tag
    d["gpl_compatible"] = p.gpl_compatible
    if p.run_time_ns:
        d["run_time_ns"] = p.run_time_ns
        d["run_cnt"] = p.run_cnt
    if p.recursion_misses:
        d["recursion_misses"] = p.recursion_misses
    return d


def prog_json(p):
    d = prog_header_json(p)
    if p.device is not None:
        d["dev"] = _dev(p.device)
    if p.loaded_at is not None:
        d["loaded_at"] = p.loaded_at
        d["uid"] = p.uid
    d["orphaned"] = p.orphaned
    d["bytes_xlated"] = p.bytes_xlated
    d["jited"] = bool(p.bytes_jited)
    if p.bytes_jited:
        d["bytes_jited"] = p.bytes_jited
    if p.bytes_memlock is not None:
        d["bytes_memlock"] = p.bytes_memlock
    if p.map_ids:
        d["map_ids"] = list(p.map_ids)
    if p.btf_id:
        d["btf_id"] = p.btf_id
    if p.pinned is not None:
        d["pinned"] = list(p.pinned)
    _pids(p, d)
    if p.metadata:
        d["metadata"] = {name: value for name, _plain, value in p.metadata}
    return d


def map_json(m):
    d = map_dump_header(m)
    if m.device is not None:
        d["dev"] = _dev(m.device)
    d["bytes_key"] = m.bytes_key
    d["bytes_value"] = m.bytes_value
    d["max_entries"] = m.max_entries
    if m.bytes_memlock is not None:
        d["bytes_memlock"] = m.bytes_memlock
    if m.owner_prog_type is not None:
        d["owner_prog_type"] = _type(m.owner_prog_type_name, m.owner_prog_type)
    if m.owner_jited is not None:
        d["owner_jited"] = m.owner_jited
    d["frozen"] = m.frozen
    if m.btf_id:
        d["btf_id"] = m.btf_id
    if m.pinned is not None:
        d["pinned"] = list(m.pinned)
    _pids(m, d)
    return d


def btf_json(b):
    d = {"id": b.id, "size": b.size, "prog_ids": list(b.prog_ids), "map_ids": list(b.map_ids)}
    _pids(b, d)
    d["kernel"] = b.kernel
    if b.name:
        d["name"] = b.name
    return d


CONVERTERS = {"prog": prog_json, "map": map_json, "btf": btf_json}


class JsonFormatter:
    name = "json"

    def __init__(self, out, pretty=False):
        self.stream = JsonStream(out, pretty)

    def objects(self, kind, items, listing=False):
        """`listing`: every object of a kind, always an array; otherwise the objects a
        selector matched, an array only when there are several."""
        convert = CONVERTERS[kind]
        if not listing:
            items = list(items)
            if len(items) == 1:
                self.stream.value(convert(items[0]))
                return
        self.stream.begin_array()
        for item in items:
            self.stream.value(convert(item))
        self.stream.end_array()

    def xlated(self, listings, opcodes=False, linum=False):
        """`-j prog dump xlated`: an array of instructions; with several programs, an array
        of programs, each with its instructions under "insns"."""
        pretty = self.stream.pretty
        if len(listings) == 1:
            self.stream.begin_array()
            for chunk in _chunks(xlated_encoded(listings[0], opcodes, linum, pretty, 1)):
                self.stream.encoded(chunk)
            self.stream.end_array()
            return
        self.stream.begin_array()
        for x in listings:
            d = prog_header_json(x.program)
            d["insns"] = [Encoded(s) for s in xlated_encoded(x, opcodes, linum, pretty, 3)]
            self.stream.value(d)
        self.stream.end_array()

    def jited(self, listings, opcodes=False, linum=False):
        """`-j prog dump jited`: per function {"proto", "name", "insns"}; one unnamed image
        is just its instructions."""
        from bpfinspect.jit.backend import disassembler

        dis = disassembler()
        try:
            if len(listings) == 1:
                self.stream.value(_jited_value(dis, listings[0], opcodes, linum))
                return
            self.stream.begin_array()
            for x in listings:
                d = prog_header_json(x.program)
                d["insns"] = _jited_value(dis, x, opcodes, linum)
                self.stream.value(d)
            self.stream.end_array()
        finally:
            dis.close()

    def map_dump(self, dumps, as_btf=False):
        """`-j map dump`: an array of entries; several maps: an array of maps, each with its
        entries under "elements"."""
        if len(dumps) == 1:
            self.stream.begin_array()
            _stream_entries(self.stream, dumps[0])
            self.stream.end_array()
            return
        self.stream.begin_array()
        for d in dumps:
            obj = map_dump_header(d.layout.map)
            obj["elements"] = list(_entry_objects(d))
            self.stream.value(obj)
        self.stream.end_array()

    def map_entry(self, lay, key, value):
        from bpfinspect.output import mapentries as E

        self.stream.value(_entry_object(E, lay, key or b"", value))

    def map_not_found(self, lay, key):
        self.stream.value(None)

    def map_next_key(self, lay, key, next_key):
        from bpfinspect.output.mapentries import hex_list, tokens

        self.stream.value({"key": hex_list(tokens(key)) if key is not None else None,
                           "next_key": hex_list(tokens(next_key))})

    def btf_raw(self, btf, roots=()):
        """`-j btf dump ... format raw`: {"types": [...]}."""
        from bpfinspect.btf import raw

        self.stream.value({"types": list(raw.json_types(btf, raw.type_ids(btf, roots)))})

    def error(self, message):
        self.stream.value({"error": message})

    def null(self):
        self.stream.value(None)

    def close(self):
        self.stream.close()


def _chunks(items, size=16384):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _hex_list(data):
    return ["0x%02x" % b for b in data]


def _insn_dict(insn, text, opcodes, proto=None, line=None, linum=False):
    d = {} if proto is None else {"proto": proto}
    d.update(_insn_dict_line(line, linum))
    d["disasm"] = text
    if opcodes:
        raw = insn.raw
        d["opcodes"] = {"code": "0x%02x" % insn.code, "src_reg": "0x%x" % insn.src,
                        "dst_reg": "0x%x" % insn.dst, "off": _hex_list(raw[2:4]),
                        "imm": _hex_list(raw[4:16])}
    return d


def xlated_encoded(x, opcodes, linum, pretty, depth):
    """The JSON text of each instruction object of model.Xlated `x`, encoded for nesting
    level `depth`; an instruction without notes is encoded once per distinct instruction."""
    from bpfinspect.isa.printer import text
    from bpfinspect.output.listing import annotations

    image, symbols = x.image, x.symbols
    texts = {k: text(insn, symbols) for k, insn in image.distinct.items()}
    if opcodes:
        plain = {k: encode(_insn_dict(image.distinct[k], t, opcodes), pretty, depth)
                 for k, t in texts.items()}
    else:  # {"disasm": ...} without encode()'s generality: most of a large dump
        template = ('{\n%s"disasm": %%s\n%s}' % ("    " * (depth + 1), "    " * depth)
                    if pretty else '{"disasm":%s}')
        plain = {k: template % quote(t) for k, t in texts.items()}
    out = list(map(plain.__getitem__, image.keys))
    for ordinal, (proto, line) in annotations(x).items():
        key = image.keys[ordinal]
        d = _insn_dict(image.distinct[key], texts[key], opcodes, proto, line, linum)
        out[ordinal] = encode(d, pretty, depth)
    return out


def map_dump_header(m):
    """show_map_header_json: what heads each map of a multi-map dump."""
    d = {"id": m.id, "type": _type(m.type_name, m.type)}
    if m.name:
        d["name"] = m.name
    d["flags"] = m.flags
    return d


def _entry_object(E, lay, key, value):
    if isinstance(value, int):
        return E.json_error(E.tokens(key), value)
    fmt = E.formatted(lay, key, value, False) if lay.btf is not None else None
    return E.json_entry(lay, E.tokens(key), E.value_tokens(lay, value), E.inner_id(value), fmt)


def _entry_objects(d):
    """Entry dicts of model.MapDump `d` (bpftool prints no object for an empty slot of a
    program array or map of maps)."""
    from bpfinspect.output import mapentries as E

    lay = d.layout
    for chunk in d.chunks:
        if isinstance(chunk, tuple):
            chunk = E.unpack(lay, *chunk)
        for key, value in chunk:
            if isinstance(value, int) and E.error_message(lay, value) is None:
                continue
            yield _entry_object(E, lay, key, value)


def _stream_entries(stream, d):
    """The entries of one map into an open array; packed chunks of maps without BTF are
    rendered by output/records.py, with no per-entry Python."""
    from bpfinspect.output import mapentries as E

    lay = d.layout
    rec = None
    if lay.btf is None:
        rec = E.record(lay, lambda kt, vt: "," + encode(
            E.json_entry(lay, kt, vt), stream.pretty, 1))
    for chunk in d.chunks:
        if rec is not None and isinstance(chunk, tuple):
            keys, values, n = chunk
            stream.encoded_run(E.render_packed(rec, lay, keys, values, n).decode("ascii"), n)
            continue
        if isinstance(chunk, tuple):
            chunk = E.unpack(lay, *chunk)
        for key, value in chunk:
            if isinstance(value, int) and E.error_message(lay, value) is None:
                continue
            stream.value(_entry_object(E, lay, key, value))


def _jited_value(dis, x, opcodes, linum):
    from bpfinspect.output import jitlisting as J

    out = []
    for func, image, address, lines in J.blocks(x):
        insns = []
        for pc, raw, text, line in J.instructions(dis, image, address, lines):
            d = _insn_dict_line(line, linum)
            d["pc"] = "0x%x" % pc
            d["operation"], d["operands"] = J.operation(text)
            if opcodes:
                d["opcodes"] = _hex_list(raw)
            insns.append(d)
        if func is None:
            return insns
        entry = {}
        if func.proto:
            entry["proto"] = func.proto
        entry["name"] = func.name
        entry["insns"] = insns
        out.append(entry)
    return out


def _insn_dict_line(line, linum):
    """btf_dump_linfo_json's members."""
    from bpfinspect.output.listing import ltrim

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
