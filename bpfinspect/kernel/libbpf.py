"""The system's libbpf (libbpf.so.1), loaded on first use.

Every foreign function is declared once, in PROTOTYPES. The library is found by an ordered
search: $BPFINSPECT_LIBBPF, then the dynamic linker's path, then the usual directories.
Nothing here runs at import time, so `--help` and shell completion work without libbpf.
"""

import ctypes
import os
from ctypes import POINTER, c_char_p, c_int, c_long, c_uint32, c_void_p

from bpfinspect.kernel import uapi
from bpfinspect.errors import LibraryMissing
from bpfinspect.kernel.libbpf_search import SONAME, candidates

_u32p = POINTER(c_uint32)

# name: (restype, argtypes)
PROTOTYPES = {
    "libbpf_major_version": (c_uint32, []),
    "libbpf_minor_version": (c_uint32, []),
    "libbpf_version_string": (c_char_p, []),
    "libbpf_bpf_prog_type_str": (c_char_p, [c_int]),
    "libbpf_bpf_map_type_str": (c_char_p, [c_int]),
    "libbpf_bpf_link_type_str": (c_char_p, [c_int]),
    "libbpf_bpf_attach_type_str": (c_char_p, [c_int]),
    "libbpf_num_possible_cpus": (c_int, []),
    "bpf_prog_get_next_id": (c_int, [c_uint32, _u32p]),
    "bpf_enable_stats": (c_int, [c_int]),
    "bpf_map_get_next_id": (c_int, [c_uint32, _u32p]),
    "bpf_btf_get_next_id": (c_int, [c_uint32, _u32p]),
    "bpf_prog_get_fd_by_id": (c_int, [c_uint32]),
    "bpf_map_get_fd_by_id_opts": (c_int, [c_uint32, POINTER(uapi.bpf_get_fd_by_id_opts)]),
    "bpf_btf_get_fd_by_id": (c_int, [c_uint32]),
    "bpf_link_get_next_id": (c_int, [c_uint32, _u32p]),
    "bpf_link_get_fd_by_id": (c_int, [c_uint32]),
    "bpf_obj_get_opts": (c_int, [c_char_p, POINTER(uapi.bpf_obj_get_opts)]),
    "bpf_obj_get_info_by_fd": (c_int, [c_int, c_void_p, _u32p]),
    "btf__load_from_kernel_by_id": (c_void_p, [c_uint32]),
    "btf__type_by_id": (POINTER(uapi.btf_type), [c_void_p, c_uint32]),
    "btf__name_by_offset": (c_char_p, [c_void_p, c_uint32]),
    "btf__free": (None, [c_void_p]),
    "btf__load_vmlinux_btf": (c_void_p, []),
    "btf__new": (c_void_p, [c_char_p, c_uint32]),
    "btf__parse_raw_split": (c_void_p, [c_char_p, c_void_p]),
    "libbpf_set_print": (c_void_p, [c_void_p]),
    "btf__type_cnt": (c_uint32, [c_void_p]),
    "btf_dump__new": (c_void_p, [c_void_p, c_void_p, c_void_p, c_void_p]),
    "btf_dump__dump_type": (c_int, [c_void_p, c_uint32]),
    "btf_dump__emit_type_decl": (c_int, [c_void_p, c_uint32, c_void_p]),
    "btf_dump__free": (None, [c_void_p]),
    "bpf_map_lookup_elem": (c_int, [c_int, c_void_p, c_void_p]),
    "bpf_map_get_next_key": (c_int, [c_int, c_void_p, c_void_p]),
    "bpf_map_lookup_batch": (c_int, [c_int, c_void_p, c_void_p, c_void_p, c_void_p, _u32p,
                                     c_void_p]),
    "btf__find_by_name_kind": (c_int, [c_void_p, c_char_p, c_uint32]),
    "libbpf_get_error": (c_long, [c_void_p]),
    "bpf_prog_query_opts": (c_int, [c_int, c_int, POINTER(uapi.bpf_prog_query_opts)]),
    "bpf_task_fd_query": (c_int, [c_int, c_int, c_uint32, c_char_p, _u32p, _u32p, _u32p,
                                  POINTER(ctypes.c_uint64), POINTER(ctypes.c_uint64)]),
}

MIN_VERSION = (1, 0)


class Libbpf:
    """Typed access to libbpf's functions: `lib().bpf_prog_get_next_id(...)`."""

    def __init__(self, handle, path):
        self.path = path
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                func = getattr(handle, name)
            except AttributeError:
                continue  # an older libbpf: callers check has()
            func.restype = restype
            func.argtypes = argtypes
            setattr(self, name, func)

    def has(self, name):
        return name in self.__dict__

    def version(self):
        return (self.libbpf_major_version(), self.libbpf_minor_version())


_lib = None
_messages = False  # libbpf's own messages on stderr (only with -d)


def lib():
    global _lib
    if _lib is None:
        _lib = _load()
        _lib.default_print = _lib.libbpf_set_print(None)
        show_messages(_messages)
    return _lib


def show_messages(on):
    """Let libbpf print its messages (`libbpf: ...`) on stderr, or keep them quiet (the
    default: bpfinspect says what went wrong in its own one line)."""
    global _messages
    _messages = on
    if _lib is not None:
        _lib.libbpf_set_print(_lib.default_print if on else None)


def _load():
    tried = []
    for path in candidates():
        try:
            handle = ctypes.CDLL(path)
        except OSError as exc:
            tried.append(str(exc))
            continue
        loaded = Libbpf(handle, path)
        if not loaded.has("libbpf_major_version") or loaded.version() < MIN_VERSION:
            tried.append("%s: libbpf older than %d.%d" % ((path,) + MIN_VERSION))
            continue
        return loaded
    where = os.environ.get("BPFINSPECT_LIBBPF") or SONAME
    raise LibraryMissing(
        "can't load %s (%s); install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)"
        % (where, tried[0] if tried else "not found"))

