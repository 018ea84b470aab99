"""Every map and link, read cheaply for the exporter: one open, one bpf_*_info (and, for a
map, one fdinfo read for memlock) and one close per object, reusing one buffer; type names
are resolved once per type."""

import ctypes
import errno
import os
import struct

from bpfinspect import model
from bpfinspect.constants import BPF_F_RDONLY
from bpfinspect.errors import from_errno
from bpfinspect.kernel import objects, procfs, syscalls, uapi
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.links import link_type_name


def _type_name(cache, name_of, number):
    name = cache.get(number)
    if name is None:
        raw = name_of(number)
        name = cache[number] = raw.decode() if raw else number
    return name


# struct bpf_map_info: type, id, key_size, value_size, max_entries, map_flags, name at 0
_MAP_HEAD = struct.Struct("=IIIIII16s")


class MapReader:
    """MapSummary of every map, in id order; maps that vanish while read are left out. Raw
    bpf(2) calls into one reused buffer (syscalls.HotBpf), as a refresh of `prog top`."""

    def __init__(self, memlock=True):
        self._memlock = memlock
        self._size = ctypes.sizeof(uapi.bpf_map_info)
        self._buf = ctypes.create_string_buffer(self._size)
        self._addr = ctypes.addressof(self._buf)
        self._calls = syscalls.HotBpf()
        self._types = {}
        self._names = {}

    def read(self):
        lb = lib()
        buf, addr, size = self._buf, self._addr, self._size
        info, memset, close, head = self._calls.info, ctypes.memset, os.close, _MAP_HEAD.unpack_from
        types, names, summary = self._types, self._names, model.MapSummary
        out = []
        try:
            for _, fd in self._calls.ids("map", open_flags=BPF_F_RDONLY):
                memset(addr, 0, size)
                ret = info(fd, addr, size)
                memlock = None
                if ret == 0 and self._memlock:
                    value = procfs.fdinfo_field(fd, "memlock")
                    memlock = int(value) if value and value.isdigit() else None
                close(fd)
                if ret != 0:
                    continue
                type_number, map_id, key, value_size, max_entries, _, raw = head(buf)
                name = names.get(raw)
                if name is None:
                    name = names[raw] = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                out.append(summary(map_id, _type_name(types, lb.libbpf_bpf_map_type_str,
                                                      type_number),
                                   name, max_entries, key, value_size, memlock))
        except OSError as exc:
            raise from_errno(exc.errno, "can't get next map") from None
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
