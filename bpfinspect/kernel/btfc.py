"""`btf dump ... format c` through libbpf's btf_dump API.

libbpf prints each C fragment through a vprintf-style callback. Its signature is that of
libc's vfprintf(FILE *, const char *, va_list), so vfprintf itself is the callback and a
FILE on the output its context: the whole header is written by C, with no call back into
Python per fragment.
"""

import ctypes
import errno
import itertools
import operator
import os
from ctypes import c_bool, c_char_p, c_int, c_size_t, c_void_p

from bpfinspect.constants import btf_info_kind
from bpfinspect.errors import BpfError, from_errno
from bpfinspect.kernel import syscalls
from bpfinspect.kernel.libbpf import lib


class _emit_type_decl_opts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("field_name", c_char_p), ("indent_level", c_int),
                ("strip_mods", c_bool)]


def _libc():
    libc = syscalls.libc()
    libc.fdopen.restype = c_void_p
    libc.fdopen.argtypes = [c_int, c_char_p]
    libc.fputs.argtypes = [c_char_p, c_void_p]
    libc.fflush.argtypes = [c_void_p]
    libc.fclose.argtypes = [c_void_p]
    return libc


class CDump:
    """A libbpf btf and btf_dump over the BTF blob `data` (split over `base`, a CDump's
    btf, when given), writing to our stdout. Use as a context manager."""

    def __init__(self, data, base=None):
        self.lb = lib()
        self.libc = _libc()
        self.base = base
        if base is not None:
            self.btf = self._parse_split(data, base)
        else:
            self.btf = self.lb.btf__new(data, len(data))
        if not self.btf or self.lb.libbpf_get_error(self.btf):
            err = -self.lb.libbpf_get_error(self.btf) if self.btf else errno.EINVAL
            self.btf = None
            raise from_errno(err or errno.EINVAL, "failed to load BTF")
        self.file = None
        self.dump = None

    def _parse_split(self, data, base):
        """libbpf's btf over `data` split over `base`: btf__new_split is newer than the
        oldest libbpf 1.x, btf__parse_raw_split is in every one, so `data` goes through a
        memfd that it reads."""
        fd = os.memfd_create("bpfinspect-split-btf")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            return self.lb.btf__parse_raw_split(b"/proc/self/fd/%d" % fd, base.btf)
        finally:
            os.close(fd)

    def open(self, fd):
        """Start a btf_dump that writes to file descriptor `fd` (kept open: a dup is used)."""
        fd = os.dup(fd)
        self.file = self.libc.fdopen(fd, b"w")
        if not self.file:
            os.close(fd)
            raise BpfError("can't write the C header")
        vfprintf = ctypes.cast(self.libc.vfprintf, c_void_p)
        self.dump = self.lb.btf_dump__new(self.btf, vfprintf, self.file, None)
        if not self.dump or self.lb.libbpf_get_error(self.dump):
            self.dump = None
            raise BpfError("can't create libbpf's btf_dump")

    def count(self):
        return self.lb.btf__type_cnt(self.btf)

    def type_parts(self, type_id):
        """(kind, name, referenced type) of a type, read through libbpf."""
        t = self.lb.btf__type_by_id(self.btf, type_id)
        if not t:
            raise BpfError("no BTF type %d" % type_id)
        t = t.contents
        name = self.lb.btf__name_by_offset(self.btf, t.name_off) or b""
        return btf_info_kind(t.info), name.decode("utf-8", "surrogateescape"), t.size_or_type

    def write(self, text):
        self.libc.fputs(text.encode("utf-8", "surrogateescape"), self.file)

    def dump_type(self, type_id):
        err = self.lb.btf_dump__dump_type(self.dump, type_id)
        if err:
            raise from_errno(-err, "can't dump type %d" % type_id)

    def dump_types(self, ids):
        """dump_type() of each id of the sequence `ids` in turn, stopping at the first that
        fails: the calls are made by map() through a function pointer with no argument
        conversion declared (an id is a C int, the btf_dump a c_void_p) that keeps the GIL
        (nothing else runs meanwhile), with no Python frame per type: about half the
        overhead of a declared call from a loop."""
        if not ids:
            return
        func = ctypes.PYFUNCTYPE(c_int)(ctypes.cast(self.lb.btf_dump__dump_type, c_void_p).value)
        left = iter(ids)
        err = next(filter(None, map(func, itertools.repeat(c_void_p(self.dump)), left)), 0)
        if err:
            type_id = ids[len(ids) - operator.length_hint(left) - 1]
            raise from_errno(-err, "can't dump type %d" % type_id)

    def emit_decl(self, type_id, field_name):
        opts = _emit_type_decl_opts(sz=ctypes.sizeof(_emit_type_decl_opts),
                                    field_name=field_name.encode())
        err = self.lb.btf_dump__emit_type_decl(self.dump, type_id, ctypes.byref(opts))
        if err:
            raise from_errno(-err, "can't dump type %d" % type_id)

    def close(self):
        if self.dump:
            self.lb.btf_dump__free(self.dump)
            self.dump = None
        if self.file:
            self.libc.fflush(self.file)
            self.libc.fclose(self.file)
            self.file = None
        if self.btf:
            self.lb.btf__free(self.btf)
            self.btf = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
