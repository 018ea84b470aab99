"""What bpfinspect knows about kernel objects: built once by the query layer, read by formatters.

A field is None where the kernel (or procfs) did not tell.
"""


class Record:
    """A frozen record whose fields are its class's __slots__, in order; `_defaults` gives
    the optional ones. (dataclasses would do, but generating their code costs every command
    about 8 ms of start-up.)"""

    __slots__ = ()
    _defaults = {}

    def __init__(self, *args, **kwargs):
        fields = self.__slots__
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
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other):
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (f, getattr(self, f)) for f in self.__slots__))


class Owner(Record):
    """A process holding a file descriptor of the object: pid, comm."""

    __slots__ = ("pid", "comm")


class Device(Record):
    """The device an offloaded program or map is bound to; ifname None when unknown."""

    __slots__ = ("ifindex", "ns_dev", "ns_inode", "ifname")


class Program(Record):
    """A loaded program, as `prog show` describes it.

    type_name: None when libbpf does not know the type; name: the full name (from BTF func
    info when the kernel cut it); loaded_at: epoch seconds, None when the kernel gave no load
    time; bytes_jited: 0 when not JIT-compiled; pinned: None when pins were not looked up;
    pids: Owner tuple; metadata: (name, plain-text value, JSON value) per bpf_metadata_*
    variable."""

    __slots__ = ("id", "type", "type_name", "name", "tag", "gpl_compatible", "run_time_ns",
                 "run_cnt", "recursion_misses", "device", "loaded_at", "uid", "orphaned",
                 "bytes_xlated", "bytes_jited", "bytes_memlock", "map_ids", "btf_id", "pinned",
                 "pids", "metadata")
    _defaults = {"pinned": None, "pids": (), "metadata": ()}


class Map(Record):
    """A map, as `map show` describes it; owner_* only for program arrays."""

    __slots__ = ("id", "type", "type_name", "name", "flags", "device", "bytes_key",
                 "bytes_value", "max_entries", "bytes_memlock", "owner_prog_type",
                 "owner_prog_type_name", "owner_jited", "frozen", "btf_id", "pinned", "pids")
    _defaults = {"pinned": None, "pids": ()}


class Btf(Record):
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
    btf: the map's parsed BTF (btf.Btf) or None; key_type_id and value_type_id are 0 when
    BTF does not describe them; kind: "plain", "per_cpu", "map_of_maps" or "prog_array"."""

    __slots__ = ("map", "key_size", "value_size", "kind", "ncpus", "value_stride", "btf",
                 "key_type_id", "value_type_id")


class MapDump(Record):
    """What `map dump` read from one map: layout, then `chunks`, an iterator read as it is
    formatted (a large map is never held whole): each chunk is either packed entries
    (keys, values, n) or a list of (key, value bytes or errno)."""

    __slots__ = ("layout", "chunks")


class JitFunc(Record):
    """One function of a JIT image: its kallsyms name (or address), C prototype from BTF
    ("" without), kernel address, machine code, and (address, SourceLine) per line record."""

    __slots__ = ("name", "proto", "address", "image", "lines")


class Jited(Record):
    """A program's JIT image: per function when the kernel told the functions' lengths
    (`split`), else one unnamed block."""

    __slots__ = ("program", "funcs", "split", "image")
