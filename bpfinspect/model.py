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
        cls.__init__ = Record._first_init  # each class compiles its own on first use

    def _first_init(self, *args, **kwargs):
        """Compile this class's __init__ (a function with one parameter per field, setting
        each slot directly: records are built per object, thousands per command), install it,
        and build the record with it. Done when first needed, not at import: compiling every
        record class would cost every command start-up time."""
        cls = type(self)
        init = _compile_init(cls)
        if init is None:
            cls.__init__ = Record._generic_init
            return self._generic_init(*args, **kwargs)
        cls.__init__ = init
        return init(self, *args, **kwargs)

    def _generic_init(self, *args, **kwargs):
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

    __init__ = _generic_init

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


def _compile_init(cls):
    """An __init__ for the Record class `cls`: its fields as parameters (those in
    `_defaults` optional), each set through its slot's descriptor. None when a field name
    can't be a parameter."""
    import keyword

    fields = cls._fields
    if any(keyword.iskeyword(f) or not f.isidentifier() for f in fields):
        return None
    names = {}
    params, body = [], []
    for i, field in enumerate(fields):
        names["_set%d" % i] = getattr(cls, field).__set__
        if field in cls._defaults:
            names["_default%d" % i] = cls._defaults[field]
            params.append("%s=_default%d" % (field, i))
        else:
            params.append(field)
        body.append("    _set%d(self, %s)\n" % (i, field))
    # a parameter without a default cannot follow one with a default: keyword-only then
    defaulted = [i for i, p in enumerate(params) if "=" in p]
    if defaulted and any("=" not in p for p in params[defaulted[0]:]):
        params.insert(defaulted[0], "*")
    source = "def __init__(self, %s):\n%s" % (", ".join(params), "".join(body) or "    pass\n")
    exec(source, names)  # code made from field names checked above
    return names["__init__"]


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


# net


class NetXdp(Record):
    """An XDP attachment on a device: `mode` ("generic", "driver", "offload") and prog `id`;
    for several modes at once (XDP_ATTACHED_MULTI) mode and id are None and
    `multi_attachments` holds (mode, id) pairs."""

    __slots__ = ("devname", "ifindex", "mode", "id", "multi_attachments")
    _defaults = {"mode": None, "id": None, "multi_attachments": None}


class NetTcx(Record):
    """A program on a device's tcx or netkit hook (`kind` "tcx/ingress", ...): its full
    name (None when it has none), its prog and link flags as bit values, link_id 0 when
    attached without a link."""

    __slots__ = ("devname", "ifindex", "kind", "name", "prog_id", "prog_flags", "link_id",
                 "link_flags")


class NetTcFilter(Record):
    """A classic cls_bpf filter: `kind` is the parent's TCA_KIND, "root", "clsact/ingress"
    or "clsact/egress"; `act` its bpf actions as (name, id) pairs (None: no action list).
    name and id are None where netlink did not carry them."""

    __slots__ = ("devname", "ifindex", "kind", "name", "id", "act")
    _defaults = {"name": None, "id": None, "act": None}


class NetFilterLink(Record):
    """A netfilter link: protocol family, hook number, priority, flags, and its prog `id`."""

    __slots__ = ("pf", "hook", "prio", "flags", "id")


class NetShow(Record):
    """`net show`: xdp (NetXdp), tc (NetTcx and NetTcFilter, bpftool's order), the
    flow_dissector prog id of the netns (0: none) and netfilter (NetFilterLink) sections."""

    __slots__ = ("xdp", "tc", "flow_dissector", "netfilter")


# link


class Link(Record):
    """A BPF link, as `link show` describes it: `type` libbpf 1.8's name or the number
    (type_number) it has no name for; `detail` the type's own record (LinkRawTracepoint, ...;
    None for types without a body: tracing_multi, unspec, types newer than bpftool 7.8);
    pinned: None when pins were not looked up, or when nothing is pinned; pids: Owner tuple;
    bpf_cookie: a perf_event link's cookie when processes hold it (bpftool's pid iterator
    reports it with them), else None."""

    __slots__ = ("id", "type", "type_number", "prog_id", "detail", "pinned", "pids",
                 "bpf_cookie")
    _defaults = {"detail": None, "pinned": None, "pids": (), "bpf_cookie": None}


class LinkRawTracepoint(Record):
    __slots__ = ("tp_name", "cookie")
    _defaults = {"cookie": 0}


class LinkTracing(Record):
    """prog_type and attach_type: names, or numbers without a name."""

    __slots__ = ("prog_type", "attach_type", "target_obj_id", "target_btf_id", "cookie")
    _defaults = {"target_obj_id": 0, "target_btf_id": 0, "cookie": 0}


class LinkCgroup(Record):
    __slots__ = ("cgroup_id", "attach_type")


class LinkIter(Record):
    """map_id for map iterators; tid or pid (None when 0) for task iterators; cgroup_id and
    order for cgroup iterators."""

    __slots__ = ("target_name", "map_id", "tid", "pid", "cgroup_id", "order")
    _defaults = {"map_id": None, "tid": None, "pid": None, "cgroup_id": None, "order": None}


class LinkNetns(Record):
    __slots__ = ("netns_ino", "attach_type")


class LinkDevice(Record):
    """xdp (attach_type None), tcx and netkit links: devname None when the ifindex names no
    device here (bpftool's `(unknown)`), ifindex 0 when detached."""

    __slots__ = ("devname", "ifindex", "attach_type")
    _defaults = {"attach_type": None}


class LinkSockmap(Record):
    __slots__ = ("map_id", "attach_type")


class LinkStructOps(Record):
    __slots__ = ("map_id",)


class LinkNetfilter(Record):
    __slots__ = ("pf", "hook", "prio", "flags")


class KprobeMultiFunc(Record):
    """module None for vmlinux."""

    __slots__ = ("addr", "func", "module", "cookie")


class LinkKprobeMulti(Record):
    """funcs: the probed functions matched against kallsyms, in address order (empty when
    kallsyms hides addresses)."""

    __slots__ = ("retprobe", "func_cnt", "missed", "funcs")


class UprobeMultiFunc(Record):
    __slots__ = ("offset", "ref_ctr_offset", "cookie")


class LinkUprobeMulti(Record):
    __slots__ = ("retprobe", "path", "func_cnt", "pid", "funcs")


class LinkKprobe(Record):
    """A perf_event link on a kprobe or kretprobe."""

    __slots__ = ("retprobe", "addr", "func", "offset", "missed", "cookie")


class LinkUprobe(Record):
    """A perf_event link on a uprobe or uretprobe."""

    __slots__ = ("retprobe", "file", "offset", "cookie", "ref_ctr_offset")


class LinkTracepoint(Record):
    """A perf_event link on a tracepoint."""

    __slots__ = ("tracepoint", "cookie")


class LinkPerfEvent(Record):
    """A perf_event link on another perf event: event_type and event_config are bpftool's
    names, or numbers it has no name for."""

    __slots__ = ("event_type", "event_config", "cookie")


class CgroupProg(Record):
    """A program attached to a cgroup (`cgroup show|tree`): attach_type is bpftool's name or
    a number; attach_flags is None with `effective`; attach_btf_name None where bpftool
    prints none ("" is printed as bpftool prints it); level: the nftw depth (0 = no indent)."""

    __slots__ = ("id", "attach_type", "attach_flags", "name", "attach_btf_name",
                 "attach_btf_obj_id", "attach_btf_id", "level")
    _defaults = {"attach_flags": None, "attach_btf_name": None, "attach_btf_obj_id": 0,
                 "attach_btf_id": 0, "level": 0}


class CgroupShow(Record):
    """`cgroup show`: programs is None when the cgroup has none (bpftool prints nothing)."""

    __slots__ = ("effective", "programs")


class CgroupNode(Record):
    __slots__ = ("cgroup", "programs")


class CgroupTree(Record):
    """`cgroup tree`: cgroups is an iterable of CgroupNode, produced while the tree is walked
    (an error mid-walk comes after what was already written, as in bpftool)."""

    __slots__ = ("effective", "cgroups")


class PerfAttachment(Record):
    """`perf show`: one process fd holding a perf event with a BPF program. fd_type is
    bpftool's name (raw_tracepoint, tracepoint, kprobe, kretprobe, uprobe, uretprobe);
    name is the tracepoint, function or file; offset/addr as bpf_task_fd_query gives them."""

    __slots__ = ("pid", "fd", "prog_id", "fd_type", "name", "offset", "addr")
    _defaults = {"name": None, "offset": 0, "addr": 0}


class SystemConfig(Record):
    """`feature probe`'s system section: procfs is (unprivileged_bpf_disabled, bpf_jit_enable,
    bpf_jit_harden, bpf_jit_kallsyms, bpf_jit_limit), -1 where unreadable, None when /proc is
    not procfs; config is {CONFIG_X: value} of the options set, None when no kernel config
    could be read."""

    __slots__ = ("procfs", "config")


class HelperProbe(Record):
    """The helpers probed for one program type: helpers is ((bpf_name, available), ...);
    supported is whether the program type itself loads."""

    __slots__ = ("prog_type", "supported", "helpers")


class FeatureProbe(Record):
    """`feature probe`: target is "unspec", "kernel" or "dev"; prefix is the macros' prefix
    (None: no macros); system is None for a device; prog_types and map_types are
    ((name, available), ...); misc is ((json key, plain name, macro name, available), ...)."""

    __slots__ = ("target", "ifindex", "prefix", "system", "syscall", "prog_types", "map_types",
                 "helpers", "misc")
    _defaults = {"prefix": None, "prog_types": (), "map_types": (), "helpers": (), "misc": ()}


class StructOps(Record):
    """`struct_ops show`: one struct_ops map; kernel_struct_ops is the kernel's value type
    name without `bpf_struct_ops_`."""

    __slots__ = ("id", "name", "kernel_struct_ops")


class StructOpsDump(Record):
    """`struct_ops dump`: one map's bpf_map_info and value as raw bytes, with what formats
    them: btf (vmlinux, btfparse.parser.Btf), the type ids of the kernel's struct
    bpf_map_info and of the value (named value_name), and prog_names {prog id: name or None}
    of the programs in the value's function pointers."""

    __slots__ = ("btf", "map_info_type_id", "map_info", "value_type_id", "value_name", "value",
                 "prog_names")


class Row(tuple):
    """A record built once per program on every refresh of `prog top` or exporter scrape: a
    tuple whose fields (`_fields`, all given, in order) are read-only properties. Ten times
    cheaper to build than a Record, and as frozen."""

    __slots__ = ()
    _fields = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from operator import itemgetter

        for i, name in enumerate(cls._fields):
            setattr(cls, name, property(itemgetter(i)))

    def __new__(cls, *values):
        if len(values) != len(cls._fields):
            raise TypeError("%s takes %d fields" % (cls.__name__, len(cls._fields)))
        return tuple.__new__(cls, values)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (f, v) for f, v in zip(self._fields, self)))


class ProgCounters(Row):
    """A program's cumulative counters at one moment (`prog top`, the exporter): what
    bpf_prog_info tells, without the lookups of `prog show`. bytes_memlock None unless asked,
    map_ids () unless asked."""

    _fields = ("id", "type", "name", "tag", "run_time_ns", "run_cnt", "recursion_misses",
               "bytes_xlated", "bytes_jited", "bytes_memlock", "map_ids")


class ProgRate(Row):
    """A program over one interval of `prog top`: run_cnt and run_time_ns are deltas over the
    interval, *_total the counters at its end; cpu_pct is run time over the interval as a
    share of one CPU; avg_ns None when it did not run; pids an Owner tuple."""

    _fields = ("id", "type", "name", "tag", "run_cnt", "run_time_ns", "run_cnt_total",
               "run_time_ns_total", "avg_ns", "runs_per_s", "cpu_pct", "recursion_misses",
               "pids")


class TypeTotal(Record):
    """The programs of one type over one interval of `prog top`."""

    __slots__ = ("type", "programs", "run_cnt", "run_time_ns", "cpu_pct")


class TopSnapshot(Record):
    """One refresh of `prog top`: time (epoch seconds), interval_s (measured), stats (how
    statistics are on: a StatsState), programs (ProgRate, busiest first), types (TypeTotal)."""

    __slots__ = ("time", "interval_s", "stats", "programs", "types")


class StatsState(Record):
    """Whether the kernel counts run time: enabled, and by whom ("bpfinspect" while it holds a
    BPF_ENABLE_STATS fd, "sysctl" when kernel.bpf_stats_enabled was already 1, None when off)."""

    __slots__ = ("enabled", "by")


class MapSummary(Record):
    """A map as the exporter counts it: what bpf_map_info tells, and memlock from fdinfo
    (None where the kernel does not say)."""

    __slots__ = ("id", "type", "name", "max_entries", "bytes_key", "bytes_value",
                 "bytes_memlock")


class GraphNode(Record):
    """A node of `graph`: id is stable across runs ("prog:42", "map:7", "link:3",
    "proc:1234", "pin:/sys/fs/bpf/x", "cgroup:/path", "dev:eth0:xdp", "btf:5", ...); kind is
    one of GRAPH_KINDS; label its one-line text; fields what JSON adds (type, name, ...);
    holder the pid of the one process holding it (its DOT cluster), else None."""

    __slots__ = ("id", "kind", "label", "fields", "holder")
    _defaults = {"fields": (), "holder": None}


class GraphEdge(Record):
    """An edge of `graph`: src and dst are node ids; kind one of GRAPH_EDGE_KINDS."""

    __slots__ = ("src", "dst", "kind")


class Graph(Record):
    """`graph`: nodes sorted by (kind order, id), edges by (src, dst, kind); notes: what
    could not be read (one line each)."""

    __slots__ = ("nodes", "edges", "notes")
    _defaults = {"notes": ()}


# node kinds in the order nodes are sorted and drawn
GRAPH_KINDS = ("process", "program", "map", "link", "attach", "pin", "btf", "group")
GRAPH_EDGE_KINDS = ("holds", "uses", "tail_calls", "traces", "inner_map", "struct_ops",
                    "binds", "attached", "pinned", "btf", "member")


class DiffHunk(Record):
    """One `@@ -old_start,old_lines +new_start,new_lines @@` hunk of a function's unified
    diff; lines: "-...", "+..." or " ..." (removed, added, context), without newlines."""

    __slots__ = ("old_start", "old_lines", "new_start", "new_lines", "lines")


class FunctionDiff(Record):
    """One function of `prog diff`: name (the new side's for a changed entry function,
    whose old name is old_name), status "same", "changed", "added" or "removed", hunks
    (DiffHunk)."""

    __slots__ = ("name", "old_name", "status", "hunks")


class ProgDiff(Record):
    """`prog diff`: old and new (labels: `id 12 (name foo)` or a file's path), same,
    by_tag (the tags were equal and the instructions were not read), functions
    (FunctionDiff, in the new program's order, removed ones after)."""

    __slots__ = ("old", "new", "same", "by_tag", "functions")
