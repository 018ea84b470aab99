"""A program's bpf_prog_info read into one reused buffer and unpacked in one call: what
`prog show` lists for every program, and what `prog top` and the exporter read on every
refresh. No ctypes structure and no libbpf wrapper per program (syscalls.HotBpf); the
layout is uapi.bpf_prog_info's, read off its ctypes fields once."""

import ctypes
import errno
import struct

from bpfinspect.kernel import syscalls, uapi

# what one read unpacks, in this order (gpl_compatible is bit 0 of the word it sits in)
FIELDS = ("type", "id", "tag", "jited_prog_len", "xlated_prog_len", "load_time",
          "created_by_uid", "nr_map_ids", "name", "ifindex", "gpl_compatible", "netns_dev",
          "netns_ino", "btf_id", "nr_func_info", "run_time_ns", "run_cnt", "recursion_misses")
_CODES = {1: "B", 4: "I", 8: "Q"}


def _layout(fields):
    """A struct.Struct that unpacks `fields` of bpf_prog_info (in offset order) at once."""
    fmt, at = ["="], 0
    for name in fields:
        field = getattr(uapi.bpf_prog_info, name)
        if field.offset > at:
            fmt.append("%dx" % (field.offset - at))
        size = field.size
        if size >> 16:  # a bitfield: the whole storage word
            size = 4
            code = "I"
        elif name in ("tag", "name"):
            code = "%ds" % size
        else:
            code = _CODES[size]
        fmt.append(code)
        at = field.offset + size
    return struct.Struct("".join(fmt))


LAYOUT = _layout(FIELDS)
_MAP_IDS = struct.Struct("=IQ")  # nr_map_ids, map_ids
_MAP_IDS_AT = uapi.bpf_prog_info.nr_map_ids.offset
_MAP_IDS_GUESS = 64


class ProgInfoReader:
    """Reads programs' bpf_prog_info, one after another, through one buffer."""

    def __init__(self, calls=None):
        self.calls = calls or syscalls.HotBpf()
        self._size = ctypes.sizeof(uapi.bpf_prog_info)
        self._buf = ctypes.create_string_buffer(self._size)
        self._addr = ctypes.addressof(self._buf)
        self._ids = (ctypes.c_uint32 * _MAP_IDS_GUESS)()

    def read(self, fd, map_ids=True):
        """(fields as FIELDS names them, map ids, orphaned) of the program `fd`, or None when
        its info cannot be read; orphaned: the kernel answered ENODEV (an offloaded program
        whose device is gone), and the fields are what it filled in."""
        buf, addr, size = self._buf, self._addr, self._size
        ctypes.memset(addr, 0, size)
        if map_ids:
            _MAP_IDS.pack_into(buf, _MAP_IDS_AT, len(self._ids), ctypes.addressof(self._ids))
        ret = self.calls.info(fd, addr, size)
        if ret != 0 and ret != -errno.ENODEV:
            return None
        fields = LAYOUT.unpack_from(buf)
        ids = ()
        if map_ids:
            count = fields[7]
            if count > len(self._ids):
                self._ids = (ctypes.c_uint32 * count)()
                return self.read(fd, map_ids)
            if count:
                ids = tuple(self._ids[:count]) if ret == 0 else ()
        return fields, ids, ret == -errno.ENODEV
