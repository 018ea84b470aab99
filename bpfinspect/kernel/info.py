"""What the kernel tells about one object: bpf_{prog,map,btf}_info, a program's full name,
and a BTF object's raw blob."""

import ctypes
import errno
from ctypes import c_uint8, c_uint32

from bpfinspect.constants import BPF_OBJ_NAME_LEN, BTF_KIND_FUNC, MAX_PROG_FULL_NAME, btf_info_kind
from bpfinspect.errors import BpfError, from_errno
from bpfinspect.kernel import uapi
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.objects import get_info, open_by_id

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
    if len(name) < BPF_OBJ_NAME_LEN - 1 or not info.btf_id or not info.nr_func_info:
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
        if not t or btf_info_kind(t.contents.info) != BTF_KIND_FUNC:
            return name
        full = lb.btf__name_by_offset(btf, t.contents.name_off)
        return full.decode("utf-8", "surrogateescape")[:MAX_PROG_FULL_NAME - 1] if full else name
    finally:
        lb.btf__free(btf)


def map_info(fd):
    info = uapi.bpf_map_info()
    ret = get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get map info")
    return info


def btf_info(fd):
    """(bpf_btf_info, name) of a BTF object fd."""
    info = uapi.bpf_btf_info()
    name = ctypes.create_string_buffer(64)
    info.name = ctypes.addressof(name)
    info.name_len = ctypes.sizeof(name)
    ret = get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get BTF object info")
    return info, uapi.cstr(name.raw)


def btf_is_module(btf_id):
    """True for the BTF of a kernel module (split BTF over vmlinux)."""
    try:
        obj = open_by_id("btf", btf_id)
    except BpfError:
        return False
    with obj:
        try:
            info, name = btf_info(obj.fd)
        except BpfError:
            return False
        return bool(info.kernel_btf) and name != "vmlinux"


def btf_data(btf_id):
    """The raw BTF blob of the BTF object `btf_id`."""
    with open_by_id("btf", btf_id, "can't get BTF object by id (%u)" % btf_id) as obj:
        info = uapi.bpf_btf_info()
        ret = get_info(obj.fd, info)
        if ret != 0:
            raise from_errno(-ret, "can't get BTF object info")
        size = info.btf_size
        buf = (c_uint8 * size)()
        info = uapi.bpf_btf_info()
        info.btf = ctypes.addressof(buf)
        info.btf_size = size
        ret = get_info(obj.fd, info)
        if ret != 0:
            raise from_errno(-ret, "can't get BTF object info")
        return bytes(buf)[:info.btf_size]
