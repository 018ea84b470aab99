"""Model records of programs, maps and BTF objects, built from what the kernel and procfs
tell, with what is looked up once per command (pins, owners, BTF users, the clock)."""

import errno

from bpfinspect import model
from bpfinspect.constants import BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_OBJ_NAME_LEN
from bpfinspect.errors import NoSuchObject, from_errno
from bpfinspect.kernel import owners as owners_lookup, procfs, uapi
from bpfinspect.kernel.idtable import IdTable
from bpfinspect.kernel.info import btf_data, btf_info, map_info, prog_full_name, prog_info
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.proginfo import ProgInfoReader
from bpfinspect.kernel import objects


class Lookups:
    """What is looked up once per command and attached to every object: pins (-f), owners,
    the programs and maps using each BTF object, the boot clock's offset."""

    def __init__(self, kind, pinned=False, owners=True, users=False, metadata=True):
        self.metadata = metadata  # programs' bpf_metadata_* variables
        self.pins = pinned_table(kind) if pinned else None
        self.users = btf_users() if users else None
        self.owners = owners_lookup.owners(kind) if owners else {}
        self.clock = procfs.boot_to_epoch_ns()
        self.prog_reader = None  # made by the first prog_record

    def pins_of(self, obj_id):
        if self.pins is None or not len(self.pins):
            return None
        return tuple(self.pins.get(obj_id))

    def owners_of(self, obj_id):
        return tuple(model.Owner(pid, comm) for pid, comm in self.owners.get(obj_id, ()))


def pinned_table(kind):
    """IdTable of the paths under every mounted bpffs where objects of `kind` are pinned."""
    table = IdTable()
    for mount in procfs.bpffs_mounts():
        for path in procfs.walk_files(mount):
            obj = objects.open_pinned(path, quiet=True)
            if obj is None:
                continue
            with obj:
                if obj.kind != kind:
                    continue
                obj_id = objects.object_id(obj.fd)
            if obj_id is not None:
                table.append(obj_id, path)
    return table


def btf_users():
    """(programs by BTF id, maps by BTF id) as IdTables, as `btf show` lists them."""
    progs, maps = IdTable(), IdTable()
    for kind, table in (("prog", progs), ("map", maps)):
        for obj in objects.walk(kind):
            with obj:
                info = uapi.bpf_prog_info() if kind == "prog" else uapi.bpf_map_info()
                ret = objects.get_info(obj.fd, info)
                if ret != 0:
                    raise from_errno(-ret, "can't get %s info" % kind)
                if info.btf_id:
                    table.append(info.btf_id, info.id)
    return progs, maps


def _type_value(name_of, number):
    """A type as bpftool's JSON gives it: libbpf's name, or the number it has no name for."""
    name = name_of(number)
    return name.decode() if name else number


def _device(ifindex, ns_dev, ns_ino):
    if not ifindex:
        return None
    return model.Device(ifindex, ns_dev, ns_ino, procfs.ifindex_to_name(ifindex, ns_dev, ns_ino))


def _int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def metadata(map_ids):
    """MetadataVar per `bpf_metadata_*` variable in the program's read-only data map: the
    first of its maps that is a one-entry array with a BTF value type and ".rodata" in its
    name (bpftool's find_metadata)."""
    from bpfinspect.btfparse.parser import Btf  # here: most listings have no metadata
    from bpfinspect.btfparse.values import metadata_variables
    from bpfinspect.kernel.maps import MapReader

    for map_id in map_ids:
        try:
            obj = objects.open_by_id("map", map_id)
        except NoSuchObject:
            return ()
        with obj:
            info = map_info(obj.fd)
            if (info.type != BPF_MAP_TYPE_ARRAY or info.key_size != 4 or info.max_entries != 1
                    or not info.btf_value_type_id or b".rodata" not in info.name):
                continue
            value = MapReader(obj.fd, info).lookup(b"\0\0\0\0")
            if isinstance(value, int):
                return ()
        btf = Btf(btf_data(info.btf_id))
        return tuple(model.MetadataVar(*var) for var in
                     metadata_variables(btf, info.btf_value_type_id, value))
    return ()


def prog_record(fd, lookups, cls=model.Program):
    """The record (`cls`, a model.Program) of the program `fd`."""
    reader = lookups.prog_reader
    if reader is None:
        reader = lookups.prog_reader = ProgInfoReader()
    got = reader.read(fd)
    if got is None:
        prog_info(fd)  # raises what the failure is
        raise from_errno(errno.EIO, "can't get prog info")
    ((type_number, prog_id, tag, jited, xlated, load_time, uid, _nr_maps, name, ifindex, gpl,
      netns_dev, netns_ino, btf_id, nr_func_info, run_time_ns, run_cnt, misses),
     map_ids, orphaned) = got
    name = uapi.cstr(name)
    if len(name) >= BPF_OBJ_NAME_LEN - 1 and btf_id and nr_func_info:
        name = prog_full_name(fd, prog_info(fd)[0])
    type_name = _PROG_TYPES.get(type_number)
    if type_name is None:
        type_name = _PROG_TYPES[type_number] = _type_value(lib().libbpf_bpf_prog_type_str,
                                                           type_number)
    memlock = _int_or_none(procfs.fdinfo_field(fd, "memlock"))
    return cls(
        id=prog_id,
        type=type_name,
        type_number=type_number,
        name=name,
        tag=tag.hex(),
        gpl_compatible=bool(gpl & 1),
        run_time_ns=run_time_ns,
        run_cnt=run_cnt,
        recursion_misses=misses,
        device=_device(ifindex, netns_dev, netns_ino) if ifindex else None,
        loaded_at=(procfs.load_time_to_epoch(load_time, lookups.clock)
                   if load_time else None),
        uid=uid,
        orphaned=orphaned,
        bytes_xlated=xlated,
        bytes_jited=jited,
        bytes_memlock=memlock,
        map_ids=map_ids,
        btf_id=btf_id,
        pinned=lookups.pins_of(prog_id) if lookups.pins is not None else None,
        pids=lookups.owners_of(prog_id) if lookups.owners else (),
        metadata=metadata(map_ids) if map_ids and lookups.metadata else (),
    )


_PROG_TYPES = {}  # type number -> what _type_value gives


def map_record(fd, lookups, info=None, cls=model.Map):
    """The record (`cls`, a model.Map) of the map `fd` (whose bpf_map_info may be given)."""
    if info is None:
        info = map_info(fd)
    lb = lib()
    fields = procfs.fdinfo(fd)
    owner_type = owner_jited = None
    if info.type == BPF_MAP_TYPE_PROG_ARRAY:
        owner_type = _int_or_none(fields.get("owner_prog_type"))
        jited = _int_or_none(fields.get("owner_jited"))
        owner_jited = None if jited is None else bool(jited)
    return cls(
        id=info.id,
        type=_type_value(lb.libbpf_bpf_map_type_str, info.type),
        type_number=info.type,
        name=uapi.cstr(info.name),
        flags=info.map_flags,
        device=_device(info.ifindex, info.netns_dev, info.netns_ino),
        bytes_key=info.key_size,
        bytes_value=info.value_size,
        max_entries=info.max_entries,
        bytes_memlock=_int_or_none(fields.get("memlock")),
        owner_prog_type=(None if owner_type is None
                         else _type_value(lb.libbpf_bpf_prog_type_str, owner_type)),
        owner_jited=owner_jited,
        frozen=_int_or_none(fields.get("frozen")) or 0,
        btf_id=info.btf_id,
        pinned=lookups.pins_of(info.id),
        pids=lookups.owners_of(info.id),
    )


def btf_record(fd, lookups, cls=model.BtfObject):
    """The record (`cls`, a model.BtfObject) of the BTF object `fd`; `lookups` has users."""
    info, name = btf_info(fd)
    progs, maps = lookups.users
    return cls(
        id=info.id,
        size=info.btf_size,
        name=name,
        kernel=bool(info.kernel_btf),
        prog_ids=tuple(progs.get(info.id)),
        map_ids=tuple(maps.get(info.id)),
        pids=lookups.owners_of(info.id),
    )


def link_record(fd, lookups, cls=model.Link):
    """The record (`cls`, a model.Link) of the link `fd` (kernel.links)."""
    from bpfinspect.kernel import links

    return links.link_record(fd, lookups, cls=cls)


RECORDS = {"prog": prog_record, "map": map_record, "btf": btf_record, "link": link_record}
