"""Programs, maps and BTF objects as the API hands them out: the model's frozen records,
with methods that go back to the kernel for what a record does not hold (instructions, map
entries, types). Each method reopens its object by id, and raises NoSuchObject when the
object has gone.

The methods import api.dumps (and what it needs: the disassembler, BTF's C dump, the
views of map entries) when called, so that listing objects stays cheap to start."""

import contextlib
import errno

from bpfinspect import model
from bpfinspect.errors import BpfError, NoSuchObject, UsageError, from_errno
from bpfinspect.kernel import objects, records
from bpfinspect.kernel.select import select


class Program(model.Program):
    """A loaded program (model.Program's fields), and what more the kernel can tell."""

    __slots__ = ()

    def _open(self):
        return objects.open_by_id("prog", self.id)

    def xlated(self):
        """model.Xlated: the instructions as the verifier left them (`.image.insns()`), with
        prototypes, source lines and the symbols that name calls."""
        from bpfinspect.api import dumps

        with self._open() as obj:
            return dumps.xlated_of(obj, self)

    def jited(self):
        """model.Jited: the JIT's machine code per function, disassembled."""
        from bpfinspect.api import dumps

        with self._open() as obj:
            return dumps.jited_of(obj, self)

    def cfg(self):
        """model.Cfg: the control-flow graph (functions of basic blocks) of xlated()."""
        from bpfinspect.api import dumps

        return dumps.control_flow(self.xlated())

    def maps(self):
        """The maps this program uses (those that still exist)."""
        found, out = lookups("map"), []
        for map_id in self.map_ids:
            try:
                with objects.open_by_id("map", map_id) as obj:
                    out.append(record("map", obj, found))
            except NoSuchObject:
                pass
        return out


class Map(model.Map):
    """A map (model.Map's fields), and what is in it. Maps are opened read-only."""

    __slots__ = ()

    def _open(self):
        return objects.open_by_id("map", self.id)

    def layout(self):
        """model.MapLayout: how entries are laid out, and the map's parsed BTF."""
        from bpfinspect.api import dumps

        with self._open() as obj:
            return dumps.map_layout(obj)[1]

    def entries(self, decode=False):
        """Every entry as model.MapEntry (key bytes; value bytes, or a tuple of each CPU's
        value for per-CPU maps; with `decode`, what `-j map dump` prints as "formatted": the
        key and value decoded by the map's BTF), read in batches as iterated. The map stays open until the iteration ends (close the
        iterator to end it early)."""
        from bpfinspect.api import dumps
        from bpfinspect.views.mapentries import formatted

        with self._open() as obj:
            dump = dumps.map_dump(obj)
            lay = dump.layout
            for key, value in dump.entries(skip_empty_slots=True):
                if isinstance(value, int):
                    continue
                per_cpu = tuple(lay.split_values(value)) if lay.kind == "per_cpu" else value
                decoded = formatted(lay, key, value, False) if decode and lay.btf else None
                yield model.MapEntry(key, per_cpu, decoded)

    def lookup(self, key):
        """The value at `key` (bytes), or None when there is no such entry."""
        from bpfinspect.api import dumps

        with self._open() as obj:
            value = dumps.map_reader(obj).lookup(key)
        if isinstance(value, int):
            if value == errno.ENOENT:
                return None
            raise from_errno(value, "lookup failed")
        return value


class BtfObject(model.BtfObject):
    """A BTF object (model.BtfObject's fields), and its types."""

    __slots__ = ()

    def parsed(self):
        """The BTF parsed (btfparse.parser.Btf), split over vmlinux for a module's BTF."""
        from bpfinspect.api import dumps

        return dumps.load_btf(self.id)

    def types(self):
        """Every type of this BTF object (btfparse.parser.Type: .id, .kind_name, .name, ...)."""
        btf = self.parsed()
        return [btf.type(i) for i in range(btf.start_id, btf.count)]

    def c_header(self, sort=True):
        """The types as a C header (vmlinux.h), as `btf dump id ID format c` prints it."""
        from bpfinspect.api import btfdump

        return btfdump.c_header_text(btfdump.kernel_source(self.id), sort=sort)


class Link(model.Link):
    """A BPF link (model.Link's fields: `detail` holds the link type's own record)."""

    __slots__ = ()

    def program(self):
        """The Program this link attaches (None for struct_ops links, which attach a map)."""
        if not self.prog_id:
            return None
        with objects.open_by_id("prog", self.prog_id) as obj:
            return record("prog", obj, lookups("prog"))


CLASSES = {"prog": Program, "map": Map, "btf": BtfObject, "link": Link}


def lookups(kind, pinned=False, pids=True, metadata=True):
    """What is looked up once for a listing of `kind`: pins (`pinned`), owners (`pids`),
    programs' metadata variables, BTF users."""
    return records.Lookups(kind, pinned=pinned, owners=pids, users=kind == "btf",
                           metadata=metadata)


def record(kind, obj, found):
    """The API record of the open object `obj`; `found` from lookups()."""
    return records.RECORDS[kind](obj.fd, found, cls=CLASSES[kind])


def iter_records(kind, pinned=False, pids=True, metadata=True):
    """Every object of `kind` ("prog", "map", "btf") as its API record, in id order; objects
    that vanish while listed are left out."""
    found = lookups(kind, pinned, pids, metadata)
    for obj in objects.walk(kind):
        with obj:
            item = record(kind, obj, found)
        yield item


def selected_records(kind, selector, pinned=False, pids=True, metadata=True):
    """The records of the objects `selector` (model.Selector) names: one, or several for a
    name or tag; NoSuchObject when none."""
    with opened(kind, selector) as fds:
        found = lookups(kind, pinned, pids, metadata)
        return [record(kind, obj, found) for obj in fds]


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
    """The one record `selector` names; UsageError when a name or tag matches several."""
    found = selected_records(kind, selector, **options)
    if len(found) > 1:
        raise UsageError("%d %ss match %s" % (len(found), objects.NOUNS[kind],
                                               selector.text()))
    return found[0]
