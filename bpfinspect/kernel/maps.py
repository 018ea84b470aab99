"""Reading what is in a map: lookups, next keys, and whole maps in batches.

The fd must have been opened read-only (objects.open_by_id does); nothing here writes. A map is
read with BPF_MAP_LOOKUP_BATCH where its type supports it (thousands of entries per system
call), otherwise key by key with get_next_key + lookup, as bpftool does.
"""

import ctypes
import errno
from ctypes import byref, c_uint32

from bpfinspect import constants as C
from bpfinspect.btfparse import files
from bpfinspect.btfparse.parser import Btf
from bpfinspect.errors import BpfError, from_errno
from bpfinspect.kernel.info import btf_data
from bpfinspect.kernel.libbpf import lib
from bpfinspect.model import MapLayout

# Map types whose entries cannot be listed key by key, and why (bpftool hangs on some and
# prints nothing useful for others).
UNDUMPABLE = {
    C.BPF_MAP_TYPE_PERF_EVENT_ARRAY: "its values are perf event file descriptors, not data; its events "
                      "are read from perf buffers",
    C.BPF_MAP_TYPE_QUEUE: "a queue has no keys; 'map peek' shows its head",
    C.BPF_MAP_TYPE_STACK: "a stack has no keys; 'map peek' shows its top",
    C.BPF_MAP_TYPE_RINGBUF: "a ring buffer holds a stream of records for its consumer, not keys and values",
    C.BPF_MAP_TYPE_USER_RINGBUF: "a ring buffer holds a stream of records for its consumer, not keys and "
                  "values",
    C.BPF_MAP_TYPE_BLOOM_FILTER: "a bloom filter can only be asked whether it may hold a value",
    C.BPF_MAP_TYPE_ARENA: "an arena is memory for BPF programs, mapped by user space, not keys and values",
}

_NO_BATCH = (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, C.ENOTSUPP)
BATCH = 16384


def possible_cpus():
    n = lib().libbpf_num_possible_cpus()
    if n <= 0:
        raise from_errno(-n or errno.EINVAL, "can't get possible CPUs")
    return n


class MapReader:
    """Reads the map `fd` (bpf_map_info `info`). Values of per-CPU maps hold every CPU's
    value, each padded to 8 bytes (value_stride)."""

    def __init__(self, fd, info):
        self.fd = fd
        self.type = info.type
        self.key_size = info.key_size
        self.value_size = info.value_size
        self.per_cpu = info.type in C.PER_CPU_MAP_TYPES
        self.ncpus = possible_cpus() if self.per_cpu else 1
        self.value_stride = (info.value_size + 7) & ~7 if self.per_cpu else info.value_size
        self.value_bytes = self.value_stride * self.ncpus
        self._key = ctypes.create_string_buffer(max(self.key_size, 1))
        self._next = ctypes.create_string_buffer(max(self.key_size, 1))
        self._value = ctypes.create_string_buffer(max(self.value_bytes, 1))

    def lookup(self, key):
        """The value at `key` (None: no key, as for queues), or the errno when it fails."""
        lb = lib()
        if key is None:
            ret = lb.bpf_map_lookup_elem(self.fd, None, self._value)
        else:
            self._key.raw = key.ljust(len(self._key), b"\0")
            ret = lb.bpf_map_lookup_elem(self.fd, self._key, self._value)
        if ret < 0:
            return -ret
        return self._value.raw[:self.value_bytes]

    def next_key(self, key):
        """The key after `key` (None: the first key), or None at the end."""
        lb = lib()
        if key is None:
            ret = lb.bpf_map_get_next_key(self.fd, None, self._next)
        else:
            self._key.raw = key.ljust(len(self._key), b"\0")
            ret = lb.bpf_map_get_next_key(self.fd, self._key, self._next)
        if ret == -errno.ENOENT:
            return None
        if ret < 0:
            raise from_errno(-ret, "can't get next key")
        return self._next.raw[:self.key_size]

    def one_by_one(self):
        """(key, value or errno) for every key, by get_next_key and lookup."""
        key = self.next_key(None)
        while key is not None:
            yield key, self.lookup(key)
            key = self.next_key(key)

    def batches(self, count=BATCH):
        """(keys, values, n): up to `count` entries per system call, packed; raises
        NoBatch when the map type has no batch lookup."""
        lb = lib()
        keys = ctypes.create_string_buffer(max(self.key_size, 1) * count)
        values = ctypes.create_string_buffer(max(self.value_bytes, 1) * count)
        token = ctypes.create_string_buffer(max(self.key_size, 8))
        next_token = ctypes.create_string_buffer(max(self.key_size, 8))
        first = True
        while True:
            n = c_uint32(count)
            ret = lb.bpf_map_lookup_batch(self.fd, None if first else token, next_token, keys,
                                          values, byref(n), None)
            err = -ret if ret < 0 else 0
            if err and first and n.value == 0 and err in _NO_BATCH:
                raise NoBatch()
            if err == errno.ENOSPC and n.value == 0:  # a bucket larger than the batch
                count *= 4
                keys = ctypes.create_string_buffer(max(self.key_size, 1) * count)
                values = ctypes.create_string_buffer(max(self.value_bytes, 1) * count)
                continue
            if err and err != errno.ENOENT:
                raise from_errno(err, "can't read map")
            if n.value:
                yield (keys.raw[:n.value * self.key_size],
                       values.raw[:n.value * self.value_bytes], n.value)
            if err == errno.ENOENT:
                return
            ctypes.memmove(token, next_token, len(token))
            first = False


class NoBatch(Exception):
    """The map type has no BPF_MAP_LOOKUP_BATCH."""


def check_dumpable(info, name):
    why = UNDUMPABLE.get(info.type)
    if why is not None:
        raise BpfError("can't dump map %s: %s" % (name, why))


def layout(fd, info, map_model):
    """model.MapLayout of the map `fd`, with its BTF parsed when it has value types."""
    if info.type in C.PER_CPU_MAP_TYPES:
        kind, ncpus = "per_cpu", possible_cpus()
    else:
        kind, ncpus = "plain", 1
        if info.type in C.MAP_OF_MAPS_TYPES:
            kind = "map_of_maps"
        elif info.type == C.BPF_MAP_TYPE_PROG_ARRAY:
            kind = "prog_array"
    btf, key_type, value_type = None, 0, 0
    if info.btf_vmlinux_value_type_id:
        btf = Btf(files.read(C.VMLINUX_BTF))
        value_type = info.btf_vmlinux_value_type_id
    elif info.btf_value_type_id:
        btf = Btf(btf_data(info.btf_id))
        key_type, value_type = info.btf_key_type_id, info.btf_value_type_id
    stride = (info.value_size + 7) & ~7 if kind == "per_cpu" else info.value_size
    return MapLayout(map=map_model, key_size=info.key_size, value_size=info.value_size,
                     kind=kind, ncpus=ncpus, value_stride=stride, btf=btf,
                     key_type_id=key_type, value_type_id=value_type)


_ONE_BY_ONE_CHUNK = 4096


def chunks(reader, lay):
    """Every entry of the map, in chunks (see model.MapDump), batched where the kernel can."""
    if lay.kind == "plain" or lay.kind == "per_cpu":
        try:
            yield from reader.batches()
            return
        except NoBatch:
            pass
    pending = []
    for entry in reader.one_by_one():
        pending.append(entry)
        if len(pending) >= _ONE_BY_ONE_CHUNK:
            yield pending
            pending = []
    if pending:
        yield pending
