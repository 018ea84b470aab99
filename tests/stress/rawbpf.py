"""A raw bpf(2) loader (ctypes syscall, no libbpf) for the stress suite's churn: programs
with BTF func and line info, maps with BTF, bare BTF objects, created and closed as fast as
the kernel takes them. Test helper only: bpfinspect itself never loads anything."""

import ctypes
import os
import struct

from bpfinspect.isa.insn import encode

_NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "s390x": 351, "ppc64le": 361}
MAP_CREATE, PROG_LOAD, BTF_LOAD = 0, 5, 18
SOCKET_FILTER, HASH, ARRAY = 1, 1, 2
_ATTR_SIZE = 160

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    """bpf(cmd, attr) with `attr` the bytes of union bpf_attr; the fd, or OSError."""
    buf = ctypes.create_string_buffer(attr.ljust(_ATTR_SIZE, b"\0"), _ATTR_SIZE)
    ret = _libc.syscall(ctypes.c_long(_NR_BPF[os.uname().machine]), ctypes.c_long(cmd),
                        buf, ctypes.c_long(_ATTR_SIZE))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, "bpf(%d): %s" % (cmd, os.strerror(err)))
    return ret


def _kind(kind, name_off=0, vlen=0, word=0):
    return struct.pack("<III", name_off, kind << 24 | vlen, word)


def btf_blob(strings, types):
    """A BTF blob: header, `types` bytes, `strings` bytes (starting with NUL)."""
    return struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types),
                       len(strings)) + types + strings


# [1] int, [2] void *, [3] int (void *ctx), [4] FUNC churn_f, [5] struct churn_v {int a; int b;}
SOURCE_LINE = b"return 0; /* \x1b[1m bell\x07 c1\xc2\x85 bad\xff \"q\" \\ */"
STRINGS = b"\0int\0ctx\0churn_f\0churn\x1b.c\0" + SOURCE_LINE + b"\0churn_v\0a\0b\0"


def _off(s):
    return STRINGS.index(s + b"\0")


TYPES = (_kind(1, _off(b"int"), 0, 4) + struct.pack("<I", 1 << 24 | 32)
         + _kind(2, 0, 0, 0)
         + _kind(13, 0, 1, 1) + struct.pack("<II", _off(b"ctx"), 2)
         + _kind(12, _off(b"churn_f"), 1, 3)
         + _kind(4, _off(b"churn_v"), 2, 8) + struct.pack("<IIIIII", _off(b"a"), 1, 0,
                                                           _off(b"b"), 1, 32))
BTF = btf_blob(STRINGS, TYPES)
PROG = b"".join((encode(0xB7, 0, 0, 0, 0), encode(0x07, 0, 0, 0, 1), encode(0x95)))
LICENSE = ctypes.create_string_buffer(b"GPL")


def load_btf(blob=BTF):
    buf = ctypes.create_string_buffer(blob, len(blob))
    return bpf(BTF_LOAD, struct.pack("<QQIII", ctypes.addressof(buf), 0, len(blob), 0, 0))


def create_map(map_type=HASH, key_size=4, value_size=8, max_entries=4, name=b"churn_m",
               btf_fd=0, key_type=0, value_type=0):
    attr = struct.pack("<IIIIIII16sIIII", map_type, key_size, value_size, max_entries, 0, 0,
                       0, name, 0, btf_fd, key_type, value_type)
    return bpf(MAP_CREATE, attr)


def load_prog(btf_fd=0, name=b"churn_p", image=PROG):
    insns = ctypes.create_string_buffer(image, len(image))
    finfo = ctypes.create_string_buffer(struct.pack("<II", 0, 4), 8)
    linfo = ctypes.create_string_buffer(struct.pack("<IIII", 0, _off(b"churn\x1b.c"),
                                                    _off(SOURCE_LINE), 7 << 10 | 3), 16)
    attr = struct.pack("<IIQQIIQII16sIIII", SOCKET_FILTER, len(image) // 8,
                       ctypes.addressof(insns), ctypes.addressof(LICENSE), 0, 0, 0, 0, 0,
                       name, 0, 0, btf_fd, 8 if btf_fd else 0)
    attr += struct.pack("<QII", ctypes.addressof(finfo) if btf_fd else 0, 1 if btf_fd else 0,
                        16 if btf_fd else 0)
    attr += struct.pack("<QI", ctypes.addressof(linfo) if btf_fd else 0, 1 if btf_fd else 0)
    return bpf(PROG_LOAD, attr)


def fd_id(fd):
    """The object id of a BPF fd, from /proc/self/fdinfo (prog_id, map_id or btf_id)."""
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("prog_id", "map_id", "btf_id"):
                return int(value)
    return 0


def map_update(fd, key, value):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value, len(value))
    bpf(2, struct.pack("<IIQQQ", fd, 0, ctypes.addressof(k), ctypes.addressof(v), 0))


def pin(fd, path):
    """BPF_OBJ_PIN at `path` (bytes: any name bpffs takes, control bytes included)."""
    p = ctypes.create_string_buffer(path)
    bpf(6, struct.pack("<QII", ctypes.addressof(p), fd, 0))
