"""Find kernel BPF objects and describe them as model objects.

Every fd opened here is closed here (ObjectFd is a context manager). An object that
disappears while it is being walked (ENOENT) is skipped, as bpftool does.
"""

import ctypes
import errno
import os
from ctypes import byref, c_uint32

from bpfinspect import model
from bpfinspect.idtable import IdTable
from bpfinspect.kernel import procfs, uapi
from bpfinspect.kernel.errors import BpfError, NoSuchObject, from_errno
from bpfinspect.kernel.libbpf import lib

BPF_FS_MAGIC = 0xCAFE4A11
MAX_PROG_FULL_NAME = 128



# how bpftool's messages name each kind: "can't get next program", "can't get prog by id"
_NOUNS = {"prog": "program", "map": "map", "btf": "BTF object", "link": "link"}
_SHORT_NOUNS = {"prog": "prog", "map": "map", "btf": "BTF object", "link": "link"}


class ObjectFd:
    """An owned file descriptor of a BPF object, closed when the `with` block ends."""

    __slots__ = ("fd", "kind")

    def __init__(self, fd, kind):
        self.fd = fd
        self.kind = kind

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def close_all(fds):
    for f in fds:
        f.close()


# --- iteration -------------------------------------------------------------------------------

def _next_id_func(kind):
    return getattr(lib(), "bpf_%s_get_next_id" % kind)


def object_ids(kind):
    """Ids of every object of `kind` ('prog', 'map', 'btf', 'link'), in increasing order."""
    get_next = _next_id_func(kind)
    cur = c_uint32(0)
    while True:
        ret = get_next(cur.value, byref(cur))
        if ret == 0:
            yield cur.value
            continue
        err = -ret
        if err == errno.ENOENT:
            return
        raise from_errno(err, "can't get next %s" % _NOUNS[kind],
                         " -- kernel too old?" if err == errno.EINVAL else "")


def open_by_id(kind, obj_id, message=None):
    """An ObjectFd for the object `obj_id`; maps are opened read-only."""
    lb = lib()
    if kind == "prog":
        fd = lb.bpf_prog_get_fd_by_id(obj_id)
    elif kind == "map":
        opts = uapi.bpf_get_fd_by_id_opts(sz=ctypes.sizeof(uapi.bpf_get_fd_by_id_opts),
                                          open_flags=uapi.BPF_F_RDONLY)
        fd = lb.bpf_map_get_fd_by_id_opts(obj_id, byref(opts))
    elif kind == "btf":
        fd = lb.bpf_btf_get_fd_by_id(obj_id)
    else:
        fd = lb.bpf_link_get_fd_by_id(obj_id)
    if fd < 0:
        raise from_errno(-fd, message or "can't get %s by id (%u)" % (_SHORT_NOUNS[kind], obj_id))
    return ObjectFd(fd, kind)


def walk(kind):
    """ObjectFds of every object of `kind`, skipping those that vanish mid-walk."""
    for obj_id in object_ids(kind):
        try:
            fd = open_by_id(kind, obj_id)
        except NoSuchObject:
            continue
        yield fd


class _statfs(ctypes.Structure):
    _fields_ = [("f_type", ctypes.c_long), ("_rest", ctypes.c_byte * 120)]


def is_bpffs(path):
    buf = _statfs()
    if ctypes.CDLL(None).statfs(os.fsencode(path), byref(buf)) != 0:
        return False
    return buf.f_type & 0xFFFFFFFF == BPF_FS_MAGIC


def _c_dirname(path):
    """dirname(3): trailing slashes do not count."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path else "."
    return os.path.dirname(stripped) or "."


def open_pinned(path, kind=None, quiet=False):
    """An ObjectFd for the object pinned at `path`; with `kind`, it must be of that kind."""
    opts = uapi.bpf_obj_get_opts(sz=ctypes.sizeof(uapi.bpf_obj_get_opts), file_flags=0)
    fd = lib().bpf_obj_get_opts(os.fsencode(path), byref(opts))
    if fd < 0:
        if quiet:
            return None
        err = -fd
        if err == errno.EACCES and not is_bpffs(_c_dirname(path)):
            # bpftool names the directory here, not the file
            raise BpfError("bpf obj get (%s): directory not in bpf file system (bpffs)"
                           % _c_dirname(path), err)
        raise from_errno(err, "bpf obj get (%s)" % path)
    obj = ObjectFd(fd, procfs.fd_kind(fd))
    if kind is not None and obj.kind != kind:
        obj.close()
        raise BpfError("incorrect object type: %s" % (obj.kind or "unknown"))
    return obj


# --- info --------------------------------------------------------------------------------------

def get_info(fd, info):
    size = c_uint32(ctypes.sizeof(info))
    return lib().bpf_obj_get_info_by_fd(fd, byref(info), byref(size))


def object_id(fd):
    """The id of any BPF object (id sits at the same offset in every info struct)."""
    info = uapi.bpf_prog_info()
    if get_info(fd, info) not in (0, -errno.ENODEV):
        return None
    return info.id


_MAP_IDS_GUESS = 16


def prog_info(fd):
    """(bpf_prog_info, map ids, orphaned) of a program fd."""
    info = uapi.bpf_prog_info()
    ids = (c_uint32 * _MAP_IDS_GUESS)()
    info.nr_map_ids = _MAP_IDS_GUESS
    info.map_ids = ctypes.addressof(ids)
    ret = get_info(fd, info)
    if ret == 0 and info.nr_map_ids > _MAP_IDS_GUESS:
        want = info.nr_map_ids
        info = uapi.bpf_prog_info()
        ids = (c_uint32 * want)()
        info.nr_map_ids = want
        info.map_ids = ctypes.addressof(ids)
        ret = get_info(fd, info)
    if ret != 0 and ret != -errno.ENODEV:
        raise from_errno(-ret, "can't get prog info")
    n = min(info.nr_map_ids, len(ids)) if ret == 0 else 0
    return info, tuple(ids[:n]), ret == -errno.ENODEV


def prog_full_name(fd, info):
    """The program's name; past the kernel's 15 characters, the name of its BTF function."""
    name = uapi.cstr(info.name)
    if len(name) < uapi.BPF_OBJ_NAME_LEN - 1 or not info.btf_id or not info.nr_func_info:
        return name
    finfo = uapi.bpf_func_info()
    one = uapi.bpf_prog_info()
    one.nr_func_info = 1
    one.func_info_rec_size = min(info.func_info_rec_size, ctypes.sizeof(finfo))
    one.func_info = ctypes.addressof(finfo)
    if get_info(fd, one) != 0:
        return name
    lb = lib()
    btf = lb.btf__load_from_kernel_by_id(one.btf_id)
    if not btf or lb.libbpf_get_error(btf):
        return name
    try:
        t = lb.btf__type_by_id(btf, finfo.type_id)
        if not t or (t.contents.info >> 24) & 0x1F != uapi.BTF_KIND_FUNC:
            return name
        full = lb.btf__name_by_offset(btf, t.contents.name_off)
        return full.decode("utf-8", "surrogateescape")[:MAX_PROG_FULL_NAME - 1] if full else name
    finally:
        lb.btf__free(btf)


def _type_name(func, value):
    s = func(value)
    return s.decode() if s else None


def _device(ifindex, ns_dev, ns_ino):
    if not ifindex:
        return None
    return model.Device(ifindex, ns_dev, ns_ino, procfs.ifindex_to_name(ifindex, ns_dev, ns_ino))


def _int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


class Decorations:
    """What is looked up once per command and attached to every object: pins, owners, clock."""

    def __init__(self, kind, pinned=False, owners=True, users=False, metadata=True):
        self.metadata = metadata  # programs' bpf_metadata_* variables
        self.pins = pinned_table(kind) if pinned else None
        self.users = btf_users() if users else None  # `btf show`: who uses each BTF object
        self.owners = procfs.owners(kind) if owners else {}
        self.clock = procfs.boot_to_epoch_ns()

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
            obj = open_pinned(path, quiet=True)
            if obj is None:
                continue
            with obj:
                if obj.kind != kind:
                    continue
                obj_id = object_id(obj.fd)
            if obj_id is not None:
                table.append(obj_id, path)
    return table


METADATA_PREFIX = "bpf_metadata_"
BPF_MAP_TYPE_ARRAY = 2


def prog_metadata(map_ids):
    """((name, value as bpftool's plain text formats it, value for JSON), ...) of the
    `bpf_metadata_*` variables in the program's read-only data map: the first of its maps
    that is a one-entry array with a BTF value type and ".rodata" in its name (bpftool's
    find_metadata)."""
    for map_id in map_ids:
        try:
            obj = open_by_id("map", map_id)
        except NoSuchObject:
            return ()
        with obj:
            info = map_info(obj.fd)
            if (info.type != BPF_MAP_TYPE_ARRAY or info.key_size != 4 or info.max_entries != 1
                    or not info.btf_value_type_id or b".rodata" not in info.name):
                continue
            from bpfinspect.kernel.maps import MapReader

            value = MapReader(obj.fd, info).lookup(b"\0\0\0\0")
            if isinstance(value, int):
                return ()
        return _metadata_vars(info, value)
    return ()


def _metadata_vars(info, value):
    from bpfinspect.btf import Btf, parser
    from bpfinspect.btf.values import format_value
    from bpfinspect.kernel.code import btf_data

    btf = Btf(btf_data(info.btf_id))
    sec = btf.type(info.btf_value_type_id)
    if sec.kind != parser.DATASEC:
        return ()
    out = []
    for var_type, offset, _size in sec.variables():
        var = btf.type(var_type)
        if not var.name.startswith(METADATA_PREFIX):
            continue
        data = value[offset:]
        try:
            out.append((var.name[len(METADATA_PREFIX):], format_value(btf, var.type, data, True),
                        format_value(btf, var.type, data, False)))
        except BpfError:
            break  # bpftool: "btf dump failed", and no more variables
    return tuple(out)


def describe_prog(fd, deco):
    info, map_ids, orphaned = prog_info(fd)
    lb = lib()
    memlock = _int_or_none(procfs.fdinfo(fd).get("memlock"))
    return model.Program(
        id=info.id,
        type=info.type,
        type_name=_type_name(lb.libbpf_bpf_prog_type_str, info.type),
        name=prog_full_name(fd, info) if info.name else "",
        tag=bytes(info.tag).hex(),
        gpl_compatible=bool(info.gpl_compatible),
        run_time_ns=info.run_time_ns,
        run_cnt=info.run_cnt,
        recursion_misses=info.recursion_misses,
        device=_device(info.ifindex, info.netns_dev, info.netns_ino),
        loaded_at=(procfs.load_time_to_epoch(info.load_time, deco.clock)
                   if info.load_time else None),
        uid=info.created_by_uid,
        orphaned=orphaned,
        bytes_xlated=info.xlated_prog_len,
        bytes_jited=info.jited_prog_len,
        bytes_memlock=memlock,
        map_ids=map_ids,
        btf_id=info.btf_id,
        pinned=deco.pins_of(info.id),
        pids=deco.owners_of(info.id),
        metadata=prog_metadata(map_ids) if map_ids and deco.metadata else (),
    )


def map_info(fd):
    info = uapi.bpf_map_info()
    ret = get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get map info")
    return info


def describe_map(fd, deco, info=None):
    if info is None:
        info = map_info(fd)
    lb = lib()
    fields = procfs.fdinfo(fd)
    owner_type = owner_jited = None
    if info.type == uapi.BPF_MAP_TYPE_PROG_ARRAY:
        owner_type = _int_or_none(fields.get("owner_prog_type"))
        jited = _int_or_none(fields.get("owner_jited"))
        owner_jited = None if jited is None else bool(jited)
    return model.Map(
        id=info.id,
        type=info.type,
        type_name=_type_name(lb.libbpf_bpf_map_type_str, info.type),
        name=uapi.cstr(info.name),
        flags=info.map_flags,
        device=_device(info.ifindex, info.netns_dev, info.netns_ino),
        bytes_key=info.key_size,
        bytes_value=info.value_size,
        max_entries=info.max_entries,
        bytes_memlock=_int_or_none(fields.get("memlock")),
        owner_prog_type=owner_type,
        owner_prog_type_name=(None if owner_type is None
                              else _type_name(lb.libbpf_bpf_prog_type_str, owner_type)),
        owner_jited=owner_jited,
        frozen=_int_or_none(fields.get("frozen")) or 0,
        btf_id=info.btf_id,
        pinned=deco.pins_of(info.id),
        pids=deco.owners_of(info.id),
    )


def btf_users():
    """(programs by BTF id, maps by BTF id) as IdTables, as `btf show` lists them."""
    progs, maps = IdTable(), IdTable()
    for kind, table in (("prog", progs), ("map", maps)):
        for obj in walk(kind):
            with obj:
                if kind == "prog":
                    info = uapi.bpf_prog_info()
                else:
                    info = uapi.bpf_map_info()
                ret = get_info(obj.fd, info)
                if ret != 0:
                    raise from_errno(-ret, "can't get %s info" % kind)
                if info.btf_id:
                    table.append(info.btf_id, info.id)
    return progs, maps


def describe_btf(fd, deco):
    info = uapi.bpf_btf_info()
    name = ctypes.create_string_buffer(64)
    info.name = ctypes.addressof(name)
    info.name_len = ctypes.sizeof(name)
    ret = get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get BTF object info")
    progs, maps = deco.users
    return model.Btf(
        id=info.id,
        size=info.btf_size,
        name=uapi.cstr(name.raw),
        kernel=bool(info.kernel_btf),
        prog_ids=tuple(progs.get(info.id)),
        map_ids=tuple(maps.get(info.id)),
        pids=deco.owners_of(info.id),
    )


def btf_is_module(btf_id):
    """True for the BTF of a kernel module (split BTF over vmlinux)."""
    try:
        obj = open_by_id("btf", btf_id)
    except BpfError:
        return False
    with obj:
        info = uapi.bpf_btf_info()
        name = ctypes.create_string_buffer(64)
        info.name = ctypes.addressof(name)
        info.name_len = ctypes.sizeof(name)
        if get_info(obj.fd, info) != 0:
            return False
        return bool(info.kernel_btf) and name.value != b"vmlinux"


# --- selectors ---------------------------------------------------------------------------------

_BY_ID_MESSAGES = {
    "prog": "get by id (%u)",
    "map": "get map by id (%u)",
    "btf": "can't get BTF object by id (%u)",
    "link": "get by id (%u)",
}
def _matches(kind, obj, selector):
    if kind == "prog":
        info, _ids, _orphaned = prog_info(obj.fd)
        if selector.by == "tag":
            return bytes(info.tag) == selector.value
        return prog_full_name(obj.fd, info) == selector.value
    return uapi.cstr(map_info(obj.fd).name) == selector.value


def select(kind, selector):
    """ObjectFds of the objects `selector` (cli.selectors.Selector) names; the caller closes
    them. Tags and names may match several objects; matching none is an error."""
    if selector.by == "id":
        return [open_by_id(kind, selector.value, _BY_ID_MESSAGES[kind] % selector.value)]
    if selector.by == "pinned":
        return [open_pinned(selector.value, kind)]
    found = []
    try:
        for obj in walk(kind):
            try:
                keep = _matches(kind, obj, selector)
            except BaseException:
                obj.close()
                raise
            if keep:
                found.append(obj)
            else:
                obj.close()
    except BaseException:
        close_all(found)
        raise
    if not found:
        raise NoSuchObject("no %s with %s" % (_NOUNS[kind], selector.describe()), errno.ENOENT)
    return found
