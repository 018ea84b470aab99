"""Programs, maps and BTF objects as the API hands them out: the model's frozen records,
with methods that go back to the kernel for what a record does not hold (instructions, map
entries, types). Each method reopens its object by id, and raises NoSuchObject when the
object has gone."""

import contextlib
import errno

from bpfinspect import model
from bpfinspect.api import btfdump
from bpfinspect.btf.parser import Btf as ParsedBtf
from bpfinspect.errors import BpfError, NoSuchObject, UsageError, from_errno
from bpfinspect.isa import cfg as cfg_passes
from bpfinspect.jit.backend import disassembler
from bpfinspect.jit.listing import disassembled
from bpfinspect.kernel import code, info, maps, objects, records
from bpfinspect.kernel.select import select
from bpfinspect.views.mapentries import formatted


class Program(model.Program):
    """A loaded program (model.Program's fields), and what more the kernel can tell."""

    __slots__ = ()

    def _open(self):
        return objects.open_by_id("prog", self.id)

    def xlated(self):
        """model.Xlated: the instructions as the verifier left them (`.image.insns()`), with
        prototypes, source lines and the symbols that name calls."""
        with self._open() as obj:
            return xlated_of(obj, self)

    def jited(self):
        """model.Jited: the JIT's machine code per function, disassembled."""
        with self._open() as obj:
            return jited_of(obj, self)

    def cfg(self):
        """model.Cfg: the control-flow graph (functions of basic blocks) of xlated()."""
        return control_flow(self.xlated())

    def maps(self):
        """The maps this program uses (those that still exist)."""
        found = []
        for map_id in self.map_ids:
            try:
                found.append(one("map", model.Selector("id", map_id)))
            except NoSuchObject:
                pass
        return found


class Map(model.Map):
    """A map (model.Map's fields), and what is in it. Maps are opened read-only."""

    __slots__ = ()

    def _open(self):
        return objects.open_by_id("map", self.id)

    def layout(self):
        """model.MapLayout: how entries are laid out, and the map's parsed BTF."""
        with self._open() as obj:
            return map_layout(obj)[1]

    def entries(self, decode=False):
        """Every entry as model.MapEntry (key bytes; value bytes, or a tuple of each CPU's
        value for per-CPU maps; with `decode`, the BTF-decoded {"key", "value"}), read in
        batches as iterated. The map stays open until the iteration ends (close the
        iterator to end it early)."""
        with self._open() as obj:
            dump = map_dump(obj)
            lay = dump.layout
            for key, value in dump.entries(skip_empty_slots=True):
                if isinstance(value, int):
                    continue
                per_cpu = tuple(lay.split_values(value)) if lay.kind == "per_cpu" else value
                decoded = formatted(lay, key, value, False) if decode and lay.btf else None
                yield model.MapEntry(key, per_cpu, decoded)

    def lookup(self, key):
        """The value at `key` (bytes), or None when there is no such entry."""
        with self._open() as obj:
            value = map_reader(obj).lookup(key)
        if isinstance(value, int):
            if value == errno.ENOENT:
                return None
            raise from_errno(value, "lookup failed")
        return value


class BtfObject(model.BtfObject):
    """A BTF object (model.BtfObject's fields), and its types."""

    __slots__ = ()

    def parsed(self):
        """The BTF parsed (btf.parser.Btf), split over vmlinux for a module's BTF."""
        return load_btf(self.id)

    def types(self):
        """Every type of this BTF object (btf.parser.Type: .id, .kind_name, .name, ...)."""
        btf = self.parsed()
        return [btf.type(i) for i in range(btf.start_id, btf.count)]

    def c_header(self, sort=True):
        """The types as a C header (vmlinux.h), as `btf dump id ID format c` prints it."""
        return btfdump.c_header_text(btfdump.kernel_source(self.id), sort)


CLASSES = {"prog": Program, "map": Map, "btf": BtfObject}


def lookups(kind, pinned=False, pids=True, metadata=True):
    return records.Lookups(kind, pinned=pinned, owners=pids, users=kind == "btf",
                           metadata=metadata)


def record(kind, obj, found):
    """The API record of the open object `obj`; `found` from lookups()."""
    return records.RECORDS[kind](obj.fd, found, cls=CLASSES[kind])


def iter_records(kind, pinned=False, pids=True, metadata=True):
    """Every object of `kind` ("prog", "map", "btf") as its API record, in id order; objects
    that vanish while listed are left out."""
    found = lookups(kind, pinned, pids, metadata)
    build, cls = records.RECORDS[kind], CLASSES[kind]
    for obj in objects.walk(kind):
        with obj:
            item = build(obj.fd, found, cls=cls)
        yield item


def selected_records(kind, selector, pinned=False, pids=True, metadata=True):
    """The records of the objects `selector` (model.Selector) names: one, or several for a
    name or tag; NoSuchObject when none."""
    with opened(kind, selector) as fds:
        found = lookups(kind, pinned, pids, metadata)
        build, cls = records.RECORDS[kind], CLASSES[kind]
        return [build(obj.fd, found, cls=cls) for obj in fds]


@contextlib.contextmanager
def opened(kind, selector):
    """The ObjectFds `selector` names, closed when the block ends."""
    fds = select(kind, selector)
    try:
        yield fds
    finally:
        objects.close_all(fds)


def opened_one(kind, selector, several):
    """The one ObjectFd `selector` names (the caller closes it); BpfError(`several`) when
    a name matches more than one."""
    fds = select(kind, selector)
    if len(fds) > 1:
        objects.close_all(fds)
        raise BpfError(several)
    return fds[0]


def one(kind, selector, **options):
    found = selected_records(kind, selector, **options)
    if len(found) > 1:
        raise UsageError("%d %ss match %s" % (len(found), kind, selector.text()))
    return found[0]


# --- what the dumps build, shared with the command line ----------------------------------------

def xlated_of(obj, program):
    """model.Xlated of the open program `obj`, whose record is `program`."""
    return code.xlated(obj.fd, program)


def jited_of(obj, program):
    """model.Jited of the open program `obj`, disassembled by LLVM (or capstone)."""
    jited = code.jited(obj.fd, program)
    dis = disassembler()
    try:
        return disassembled(dis, jited)
    finally:
        dis.close()


def program_image(obj, jited=False):
    """The raw xlated (or JIT) image of the open program `obj`."""
    image = code.jited_code(obj.fd).jited if jited else code.program_code(obj.fd).xlated
    if not image:
        raise BpfError("error retrieving insn dump: kernel.kptr_restrict set?")
    return image


def control_flow(xlated):
    """model.Cfg of model.Xlated `xlated`: functions split where calls and BTF func_info
    say, then basic blocks and edges."""
    return model.Cfg(xlated=xlated, funcs=cfg_passes.build(xlated.image.insns(),
                                                             [off for off, _ in xlated.protos]))


def map_label(m):
    kind = m.type if isinstance(m.type, str) else "type %u" % m.type
    return "%s (id %u, %s)" % ("'%s'" % m.name if m.name else "<anon>", m.id, kind)


def map_info_of(obj):
    """bpf_map_info of the open map `obj`."""
    return info.map_info(obj.fd)


def prog_info_of(obj):
    """bpf_prog_info of the open program `obj`."""
    return info.prog_info(obj.fd)[0]


def map_reader(obj, map_info=None):
    """A kernel.maps.MapReader of the open map `obj`."""
    return maps.MapReader(obj.fd, map_info or info.map_info(obj.fd))


def map_dump(obj):
    """model.MapDump of the open map `obj`: its entries are read as they are iterated.
    An error saying why for map types whose entries cannot be listed."""
    map_info, lay = map_layout(obj)
    maps.check_dumpable(map_info, map_label(lay.map))
    return model.MapDump(layout=lay, chunks=maps.chunks(map_reader(obj, map_info), lay))


def map_layout(obj):
    """(bpf_map_info, model.MapLayout) of an open map."""
    map_info = info.map_info(obj.fd)
    record = records.map_record(obj.fd, lookups("map", pids=False), map_info)
    return map_info, maps.layout(obj.fd, map_info, record)


def load_btf(btf_id):
    source = btfdump.kernel_source(btf_id)
    base = ParsedBtf.from_file(source.base_path) if source.base_path else None
    return ParsedBtf(source.data, base)
