"""Load raw instruction arrays with bpf(2) (through libbpf's bpf_prog_load) and pin them.

Test and bench helper only: bpfinspect itself loads nothing but its feature probes and the
pids iterator, so these declarations are kept out of its kernel layer."""

import ctypes
import errno
import os

from bpfinspect.isa.insn import encode
from bpfinspect.kernel.libbpf import lib

SOCKET_FILTER = 1

_LOG_SIZE = 1 << 20


class _load_opts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("attempts", ctypes.c_int),
                ("expected_attach_type", ctypes.c_int), ("prog_btf_fd", ctypes.c_uint32),
                ("prog_flags", ctypes.c_uint32), ("prog_ifindex", ctypes.c_uint32),
                ("kern_version", ctypes.c_uint32), ("attach_btf_id", ctypes.c_uint32),
                ("attach_prog_fd", ctypes.c_uint32), ("attach_btf_obj_fd", ctypes.c_uint32),
                ("fd_array", ctypes.c_void_p), ("func_info", ctypes.c_void_p),
                ("func_info_cnt", ctypes.c_uint32), ("func_info_rec_size", ctypes.c_uint32),
                ("line_info", ctypes.c_void_p), ("line_info_cnt", ctypes.c_uint32),
                ("line_info_rec_size", ctypes.c_uint32), ("log_level", ctypes.c_uint32),
                ("log_size", ctypes.c_uint32), ("log_buf", ctypes.c_char_p),
                ("log_true_size", ctypes.c_uint32)]


def _libbpf():
    handle = ctypes.CDLL(lib().path)
    handle.bpf_prog_load.restype = ctypes.c_int
    handle.bpf_prog_load.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    handle.bpf_obj_pin.restype = ctypes.c_int
    handle.bpf_obj_pin.argtypes = [ctypes.c_int, ctypes.c_char_p]
    return handle


def assemble(slots):
    """Bytes of instruction slots given as (code, dst, src, off, imm) tuples."""
    return b"".join(encode(*s) for s in slots)


def return_zero():
    """The smallest program: r0 = 0; exit."""
    return assemble([(0xB7, 0, 0, 0, 0), (0x95, 0, 0, 0, 0)])


def load(image, name="raw", prog_type=SOCKET_FILTER):
    """The fd of the program whose instructions are `image`; OSError with the verifier's
    log on failure."""
    lb = _libbpf()
    fd = lb.bpf_prog_load(prog_type, name.encode(), b"GPL", image, len(image) // 8, None)
    if fd >= 0:
        return fd
    # again with the verifier's log, for the error message
    log = ctypes.create_string_buffer(_LOG_SIZE)
    opts = _load_opts(sz=ctypes.sizeof(_load_opts), log_level=1, log_size=_LOG_SIZE,
                      log_buf=ctypes.cast(log, ctypes.c_char_p))
    fd = lb.bpf_prog_load(prog_type, name.encode(), b"GPL", image, len(image) // 8,
                          ctypes.byref(opts))
    if fd < 0:
        text = log.value.decode(errors="replace").strip().splitlines()[-3:]
        raise OSError(-fd, "%s: %s" % (os.strerror(-fd), " | ".join(text)))
    return fd


def load_and_pin(image, path, name="raw", prog_type=SOCKET_FILTER):
    fd = load(image, name, prog_type)
    try:
        if _libbpf().bpf_obj_pin(fd, path.encode()) != 0:
            raise OSError(ctypes.get_errno() or errno.EIO, "can't pin at " + path)
    finally:
        os.close(fd)


HASH = 1


def create_map(map_type, key_size, value_size, max_entries, name="m"):
    """The fd of a new map (no BTF)."""
    lb = _libbpf()
    lb.bpf_map_create.restype = ctypes.c_int
    lb.bpf_map_create.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32,
                                  ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p]
    fd = lb.bpf_map_create(map_type, name.encode(), key_size, value_size, max_entries, None)
    if fd < 0:
        raise OSError(-fd, "can't create map: " + os.strerror(-fd))
    return fd


def update_batch(fd, keys, values, count):
    """Write `count` entries whose keys and values are packed in `keys` and `values`."""
    lb = _libbpf()
    lb.bpf_map_update_batch.restype = ctypes.c_int
    lb.bpf_map_update_batch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                                        ctypes.POINTER(ctypes.c_uint32), ctypes.c_void_p]
    n = ctypes.c_uint32(count)
    ret = lb.bpf_map_update_batch(fd, keys, values, ctypes.byref(n), None)
    if ret < 0:
        raise OSError(-ret, "can't update map: " + os.strerror(-ret))


def pin_fd(fd, path):
    if _libbpf().bpf_obj_pin(fd, path.encode()) != 0:
        raise OSError(errno.EIO, "can't pin at " + path)


def big_hash_map(path, entries, name="big_hash"):
    """A hash map of `entries` 4-byte keys and 8-byte values, pinned at `path`."""
    import struct

    fd = create_map(HASH, 4, 8, entries, name)
    try:
        step = 65536
        for start in range(0, entries, step):
            n = min(step, entries - start)
            keys = struct.pack("<%dI" % n, *range(start, start + n))
            values = struct.pack("<%dQ" % n, *(i * 2654435761 & (2**64 - 1)
                                              for i in range(start, start + n)))
            update_batch(fd, keys, values, n)
        pin_fd(fd, path)
    finally:
        os.close(fd)
