"""struct_ops maps: the kernel's BPF-implemented structures (tcp_congestion_ops, sched_ext_ops,
...), as bpftool's struct_ops.c finds and reads them. Maps are opened read-only."""

import ctypes
import errno
from ctypes import byref, c_uint32

from bpfinspect import constants as C
from bpfinspect.btfparse import files
from bpfinspect.btfparse.parser import Btf
from bpfinspect.errors import BpfError, from_errno
from bpfinspect.kernel import info as kinfo
from bpfinspect.kernel import objects, uapi
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.vmlinux import VmlinuxBtf
from bpfinspect.model import StructOps

_NO_BTF = "struct_ops requires kernel CONFIG_DEBUG_INFO_BTF=y"


class Vmlinux(VmlinuxBtf):
    """The running kernel's BTF, through libbpf (names, lookups) and parsed (for formatting
    values), loaded once per command. A context manager."""

    def __init__(self):
        try:
            super().__init__()
        except OSError:
            raise BpfError(_NO_BTF) from None
        self._parsed = None

    def type_name(self, type_id, errors="replace"):
        return super().type_name(type_id, errors) or ""

    def struct_ops_name(self, info):
        """bpftool's get_kern_struct_ops_name: the value type's name past `bpf_struct_ops_`."""
        return self.type_name(info.btf_vmlinux_value_type_id)[len(C.STRUCT_OPS_VALUE_PREFIX):]

    def map_info_type(self):
        """(type id, size) of the kernel's struct bpf_map_info."""
        try:
            type_id = self.find("bpf_map_info", C.BTF_KIND_STRUCT)
        except LookupError:
            raise BpfError("can't find bpf_map_info from btf_vmlinux") from None
        return type_id, self._type(type_id)[2]

    def parsed(self):
        if self._parsed is None:
            try:
                self._parsed = Btf(files.read(C.VMLINUX_BTF))
            except BpfError:
                raise BpfError(_NO_BTF) from None
        return self._parsed


def map_info_bytes(fd, size):
    """bpf_map_info of `fd` as raw bytes, `size` of them (the kernel's BTF size of the struct,
    or bpfinspect's if larger), and the same as a uapi.bpf_map_info."""
    size = max(size, ctypes.sizeof(uapi.bpf_map_info))
    buf = (ctypes.c_uint8 * size)()
    length = c_uint32(size)
    ret = lib().bpf_obj_get_info_by_fd(fd, buf, byref(length))
    if ret != 0:
        raise from_errno(-ret, "can't get map info")
    return bytes(buf), uapi.bpf_map_info.from_buffer_copy(bytes(buf))


def _record(vm, info):
    return StructOps(id=info.id, name=uapi.cstr(info.name),
                     kernel_struct_ops=vm.struct_ops_name(info))


def walk(vm, name=None, size=0):
    """(ObjectFd, raw bpf_map_info, info) of every struct_ops map, or of those named `name`
    (exactly), in id order; the caller closes each fd. bpftool's get_next_struct_ops_map:
    a map that vanishes is skipped, any other failure ends the walk with an error."""
    map_id = c_uint32(0)
    lb = lib()
    while True:
        ret = lb.bpf_map_get_next_id(map_id.value, byref(map_id))
        if ret != 0:
            if -ret == errno.ENOENT:
                return
            raise from_errno(-ret, "can't get next map")
        try:
            obj = objects.open_by_id("map", map_id.value,
                                     "can't get map by id (%u)" % map_id.value)
        except BpfError as exc:
            if exc.errno == errno.ENOENT:
                continue
            raise
        try:
            raw, info = map_info_bytes(obj.fd, size)
        except BpfError:
            obj.close()
            raise
        if info.type == C.BPF_MAP_TYPE_STRUCT_OPS and (name is None or
                                                        uapi.cstr(info.name) == name):
            yield obj, raw, info
        else:
            obj.close()


def records(vm, name=None):
    """model.StructOps of every struct_ops map (or those named `name`), read as walked."""
    for obj, _raw, info in walk(vm, name):
        with obj:
            yield _record(vm, info)


def open_one(map_id, size=0):
    """(ObjectFd, raw bpf_map_info, info) of the struct_ops map `map_id` (bpftool's
    do_one_id)."""
    obj = objects.open_by_id("map", map_id, "can't get map by id (%u)" % map_id)
    try:
        raw, info = map_info_bytes(obj.fd, size)
        if info.type != C.BPF_MAP_TYPE_STRUCT_OPS:
            raise BpfError("%s id %u is not a struct_ops map" % (uapi.cstr(info.name), info.id))
    except BpfError:
        obj.close()
        raise
    return obj, raw, info


def record(vm, info):
    return _record(vm, info)


def value(fd, info):
    """The struct_ops value (key 0): the kernel's value struct, with program ids where the
    function pointers are."""
    key = c_uint32(0)
    buf = (ctypes.c_uint8 * max(info.value_size, 1))()
    ret = lib().bpf_map_lookup_elem(fd, byref(key), buf)
    if ret != 0:
        raise BpfError("can't lookup struct_ops map %s id %u" % (uapi.cstr(info.name), info.id))
    return bytes(buf)[:info.value_size]


def prog_func_name(prog_id):
    """The name of the program's first BTF function (bpftool's dump_prog_id_as_func_ptr), or
    None when the program is gone or has no BTF."""
    try:
        obj = objects.open_by_id("prog", prog_id)
    except BpfError:
        return None
    with obj:
        try:
            info, _ids, _orphaned = kinfo.prog_info(obj.fd)
        except BpfError:
            return None
        if not info.btf_id or not info.nr_func_info:
            return None
        finfo = uapi.bpf_func_info()
        one = uapi.bpf_prog_info()
        one.nr_func_info = 1
        one.func_info_rec_size = info.func_info_rec_size
        one.func_info = ctypes.addressof(finfo)
        if info.func_info_rec_size > ctypes.sizeof(finfo):
            big = (ctypes.c_uint8 * info.func_info_rec_size)()
            one.func_info = ctypes.addressof(big)
        if objects.get_info(obj.fd, one) != 0:
            return None
        if info.func_info_rec_size > ctypes.sizeof(finfo):
            ctypes.memmove(byref(finfo), big, ctypes.sizeof(finfo))
        lb = lib()
        btf = lb.btf__load_from_kernel_by_id(one.btf_id)
        if not btf or lb.libbpf_get_error(btf):
            return None
        try:
            t = lb.btf__type_by_id(btf, finfo.type_id)
            if not t or C.btf_info_kind(t.contents.info) != C.BTF_KIND_FUNC:
                return None
            name = lb.btf__name_by_offset(btf, t.contents.name_off)
            return name.decode("utf-8", "surrogateescape") if name else None
        finally:
            lb.btf__free(btf)

