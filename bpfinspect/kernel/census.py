"""Every map and link, read cheaply for the exporter: one open, one bpf_*_info (and, for a
map, one fdinfo read for memlock) and one close per object, reusing one buffer; type names
are resolved once per type."""

import ctypes
import errno
import os

from bpfinspect import model
from bpfinspect.constants import BPF_F_RDONLY
from bpfinspect.errors import from_errno
from bpfinspect.kernel import objects, procfs, uapi
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.links import link_type_name


def _type_name(cache, name_of, number):
    name = cache.get(number)
    if name is None:
        raw = name_of(number)
        name = cache[number] = raw.decode() if raw else number
    return name


class MapReader:
    """MapSummary of every map, in id order; maps that vanish while read are left out."""

    def __init__(self, memlock=True):
        self._memlock = memlock
        self._info = uapi.bpf_map_info()
        self._size = ctypes.c_uint32()
        self._opts = uapi.bpf_get_fd_by_id_opts(sz=ctypes.sizeof(uapi.bpf_get_fd_by_id_opts),
                                                open_flags=BPF_F_RDONLY)
        self._types = {}

    def read(self):
        lb = lib()
        info, size, opts = self._info, self._size, ctypes.byref(self._opts)
        out = []
        for map_id in objects.object_ids("map"):
            fd = lb.bpf_map_get_fd_by_id_opts(map_id, opts)
            if fd < 0:
                if -fd == errno.ENOENT:
                    continue
                raise from_errno(-fd, "can't get map by id (%u)" % map_id)
            try:
                ctypes.memset(ctypes.addressof(info), 0, ctypes.sizeof(info))
                size.value = ctypes.sizeof(info)
                ret = lb.bpf_obj_get_info_by_fd(fd, ctypes.byref(info), ctypes.byref(size))
                if ret != 0:
                    continue
                memlock = None
                if self._memlock:
                    value = procfs.fdinfo_field(fd, "memlock")
                    memlock = int(value) if value and value.isdigit() else None
            finally:
                os.close(fd)
            out.append(model.MapSummary(
                id=info.id, type=_type_name(self._types, lb.libbpf_bpf_map_type_str, info.type),
                name=uapi.cstr(info.name), max_entries=info.max_entries,
                bytes_key=info.key_size, bytes_value=info.value_size, bytes_memlock=memlock))
        return out


class LinkReader:
    """model.Link of every link, in id order, with id, type and prog_id only (no detail)."""

    def __init__(self):
        self._info = uapi.bpf_link_info()
        self._size = ctypes.c_uint32()
        self._types = {}

    def read(self):
        lb = lib()
        info, size = self._info, self._size
        out = []
        for link_id in objects.object_ids("link"):
            fd = lb.bpf_link_get_fd_by_id(link_id)
            if fd < 0:
                if -fd == errno.ENOENT:
                    continue
                raise from_errno(-fd, "can't get link by id (%u)" % link_id)
            try:
                ctypes.memset(ctypes.addressof(info), 0, ctypes.sizeof(info))
                size.value = ctypes.sizeof(info)
                ret = lb.bpf_obj_get_info_by_fd(fd, ctypes.byref(info), ctypes.byref(size))
            finally:
                os.close(fd)
            if ret != 0:
                continue
            type_name = self._types.get(info.type)
            if type_name is None:
                type_name = self._types[info.type] = link_type_name(info.type)
            out.append(model.Link(id=info.id, type=type_name, type_number=info.type,
                                  prog_id=info.prog_id))
        return out
