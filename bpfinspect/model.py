"""What bpfinspect knows about kernel objects: records built once by the kernel layer (and
the api), read by the views and by API users. Field names are bpftool's JSON keys.

A field is None where the kernel (or procfs) did not tell.
"""

from errno import ENOENT as _ENOENT


class Record:
    """A frozen record whose fields are its class's __slots__, in order (a subclass adds its
    own after its parent's); `_defaults` gives the optional ones. (dataclasses would do, but
    generating their code costs every command about 8 ms of start-up.)"""

    __slots__ = ()
    _defaults = {}
    _fields = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = cls.__mro__[1]._fields + tuple(cls.__dict__.get("__slots__", ()))

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError("%s takes %d fields" % (type(self).__name__, len(fields)))
        values = dict(zip(fields, args))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError("%s: unexpected or repeated field %r"
                                % (type(self).__name__, name))
            values[name] = value
        for name in fields:
            if name in values:
                value = values[name]
            elif name in self._defaults:
                value = self._defaults[name]
            else:
                raise TypeError("%s: missing field %r" % (type(self).__name__, name))
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("%s is frozen" % type(self).__name__)

    def _values(self):
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other):
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (f, getattr(self, f)) for f in self._fields))


class Encoded(str):
    """JSON text already encoded, written as it is: what bpftool prints raw inside a value
    (hex numbers in its plain layout, `\\u00XX` characters)."""


class Selector(Record):
    """Which object(s) a command names: by "id" (int), "tag" (8 bytes), "name" or "pinned"
    (a path)."""

    __slots__ = ("by", "value")

    def text(self):
        """How an error message names the selector: `id 5`, `name 'foo'`."""
        if self.by == "tag":
            return "tag " + self.value.hex()
        if self.by == "id":
            return "id %u" % self.value
        return "%s '%s'" % (self.by, self.value)


class Owner(Record):
    """A process holding a file descriptor of the object: pid, comm."""

    __slots__ = ("pid", "comm")


class Device(Record):
    """The device an offloaded program or map is bound to; ifname None when unknown."""

    __slots__ = ("ifindex", "ns_dev", "ns_inode", "ifname")


class Program(Record):
    """A loaded program, as `prog show` describes it.

    type: the type's name, or its number when libbpf does not know it (as bpftool's JSON);
    type_number: the number; name: the full name (from BTF func info when the kernel cut it); loaded_at: epoch seconds, None when the kernel gave no load
    time; bytes_jited: 0 when not JIT-compiled; pinned: None when pins were not looked up;
    pids: Owner tuple; metadata: a MetadataVar per bpf_metadata_* variable."""

    __slots__ = ("id", "type", "type_number", "name", "tag", "gpl_compatible", "run_time_ns",
                 "run_cnt", "recursion_misses", "device", "loaded_at", "uid", "orphaned",
                 "bytes_xlated", "bytes_jited", "bytes_memlock", "map_ids", "btf_id", "pinned",
                 "pids", "metadata")
    _defaults = {"pinned": None, "pids": (), "metadata": ()}


class Map(Record):
    """A map, as `map show` describes it; type as in Program; owner_* only for program
    arrays (owner_prog_type a name, or a number libbpf does not know)."""

    __slots__ = ("id", "type", "type_number", "name", "flags", "device", "bytes_key",
                 "bytes_value", "max_entries", "bytes_memlock", "owner_prog_type", "owner_jited", "frozen", "btf_id", "pinned", "pids")
    _defaults = {"pinned": None, "pids": ()}


class MetadataVar(Record):
    """One `bpf_metadata_<name>` variable: its value as BTF formats it in bpftool's plain
    layout, and for JSON (trees of dict, list, str, int, bool, Encoded)."""

    __slots__ = ("name", "plain", "json")


class BtfObject(Record):
    """A BTF object, as `btf show` describes it."""

    __slots__ = ("id", "size", "name", "kernel", "prog_ids", "map_ids", "pids")
    _defaults = {"pids": ()}


class SourceLine(Record):
    """One line_info record: the source line that instructions from `insn_off` come from;
    text None when the record's string is missing from the BTF."""

    __slots__ = ("insn_off", "text", "file", "line_num", "line_col")


class Xlated(Record):
    """A program's instructions as the verifier left them, with what annotates them.

    image: isa.image.Image; protos: (insn_off, C prototype or "") per func_info record;
    lines: SourceLine per line_info record, in the kernel's order; symbols: the
    isa.printer.Symbols that name calls and immediates."""

    __slots__ = ("program", "image", "protos", "lines", "symbols")


class MapLayout(Record):
    """How a map's entries are laid out and typed, for formatting them.

    value_stride: bytes per CPU value in a per-CPU map (value_size rounded up to 8);
    btf: the map's parsed BTF (btfparse.parser.Btf) or None; key_type_id and value_type_id are 0
    when BTF does not describe them; kind: "plain", "per_cpu", "map_of_maps" or
    "prog_array"."""

    __slots__ = ("map", "key_size", "value_size", "kind", "ncpus", "value_stride", "btf",
                 "key_type_id", "value_type_id")

    @property
    def value_bytes(self):
        """Bytes of one entry's value as read: every CPU's value in a per-CPU map."""
        return self.value_stride * (self.ncpus if self.kind == "per_cpu" else 1)

    def split_values(self, value):
        """Per-CPU: each CPU's value; otherwise the one value."""
        if self.kind != "per_cpu":
            return [value]
        s = self.value_stride
        return [value[i * s:i * s + self.value_size] for i in range(self.ncpus)]

    def unpack(self, keys, values, n):
        """(key, value) pairs of a packed chunk."""
        k, vb = self.key_size, self.value_bytes
        return [(keys[i * k:(i + 1) * k], values[i * vb:(i + 1) * vb]) for i in range(n)]

    def is_empty_slot(self, err):
        """A failed lookup that only means an unused slot (no program or map at that index
        of a program array or map of maps), which bpftool lists as nothing."""
        return self.kind in ("map_of_maps", "prog_array") and err == _ENOENT


class MapDump(Record):
    """What `map dump` read from one map: layout, then `chunks`, an iterator read as it is
    formatted (a large map is never held whole): each chunk is either packed entries
    (keys, values, n) or a list of (key, value bytes or errno)."""

    __slots__ = ("layout", "chunks")

    def entries(self, skip_empty_slots=False):
        """(key, value bytes or errno) of every entry, packed chunks unpacked."""
        lay = self.layout
        for chunk in self.chunks:
            if isinstance(chunk, tuple):
                chunk = lay.unpack(*chunk)
            for key, value in chunk:
                if skip_empty_slots and isinstance(value, int) and lay.is_empty_slot(value):
                    continue
                yield key, value


class MapEntry(Record):
    """One entry of a map, as the API hands it out: key bytes; value bytes, or a tuple of
    each CPU's value in a per-CPU map; `decoded` {"key", "value"(s)} by the map's BTF when
    asked for (else None)."""

    __slots__ = ("key", "value", "decoded")


class JitInsn(Record):
    """One machine instruction: offset in its function, bytes, the disassembler's text, and
    the SourceLine that starts at it (or None)."""

    __slots__ = ("pc", "raw", "text", "line")


class JitFunc(Record):
    """One function of a JIT image: its kallsyms name (or address; None for an image the
    kernel did not split), C prototype from BTF ("" without), kernel address, machine code,
    (address, SourceLine) per line record, and its JitInsns once disassembled."""

    __slots__ = ("name", "proto", "address", "image", "lines", "insns")
    _defaults = {"insns": ()}


class Jited(Record):
    """A program's JIT image: per function when the kernel told the functions' lengths
    (`split`), else one unnamed JitFunc holding the whole image."""

    __slots__ = ("program", "funcs", "split", "image")


class Cfg(Record):
    """A program's control-flow graph: its Xlated and its isa.cfg.Function list."""

    __slots__ = ("xlated", "funcs")
