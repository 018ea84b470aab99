"""Programs attached to cgroups, queried as bpftool 7.8's cgroup.c queries them.

BPF_PROG_QUERY per attach type in bpftool's order (constants.CGROUP_QUERY_ORDER); a type
the kernel cannot query (EINVAL) is skipped; the walk of a tree is nftw(FTW_MOUNT)'s:
pre-order, in readdir order, not crossing mount points."""

import ctypes
import errno
import os
from ctypes import c_uint32

from bpfinspect import constants as C
from bpfinspect import model
from bpfinspect.errors import BpfError
from bpfinspect.kernel import info as kinfo
from bpfinspect.kernel import uapi
from bpfinspect.kernel.libbpf import lib
from bpfinspect.kernel.links import attach_type_name
from bpfinspect.kernel.objects import open_by_id
from bpfinspect.kernel.vmlinux import VmlinuxBtf


def cgroup2_root():
    """The first cgroup2 mount in /proc/mounts (bpftool's find_cgroup_root), or None."""
    try:
        with open("/proc/mounts", "rb") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[2] == b"cgroup2":
                    return _unescape(fields[1]).decode("utf-8", "surrogateescape")
    except OSError:
        return None
    return None


def _unescape(path):
    """getmntent's octal escapes (\\040 for a space)."""
    if b"\\" not in path:
        return path
    out = bytearray()
    i = 0
    while i < len(path):
        if path[i:i + 1] == b"\\" and path[i + 1:i + 4].isdigit() and len(path[i + 1:i + 4]) == 3:
            out.append(int(path[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(path[i])
            i += 1
    return bytes(out)


def open_cgroup(path):
    """A read-only fd of the cgroup directory `path`, or None (the caller says why)."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


class Querier:
    """Queries one run's cgroups; keeps bpftool's per-run state: the vmlinux BTF (loaded on
    the first program shown) and the id bpftool guesses for it from the first program's
    attach_btf_obj_id."""

    def __init__(self, effective):
        self.flags = C.BPF_F_QUERY_EFFECTIVE if effective else 0
        self.effective = effective
        self._lib = lib()
        self._btf = None
        self._btf_loaded = False
        self._vmlinux_id = 0
        self._ids = (c_uint32 * C.CGROUP_QUERY_MAX)()
        self._flags = (c_uint32 * C.CGROUP_QUERY_MAX)()
        size = ctypes.sizeof(uapi.bpf_prog_query_opts)
        # filled once: a query sets only the count (tens of thousands of queries in a tree)
        self._opts = uapi.bpf_prog_query_opts(sz=size, query_flags=self.flags)
        self._opts.prog_ids = self._ids
        if not effective:
            self._opts.prog_attach_flags = self._flags
        self._count_opts = uapi.bpf_prog_query_opts(sz=size, query_flags=self.flags)
        self._opts_ptr = ctypes.pointer(self._opts)
        self._count_ptr = ctypes.pointer(self._count_opts)
        self._types = [(t, ctypes.c_int(t)) for t in C.CGROUP_QUERY_ORDER]

    def close(self):
        if self._btf:
            self._btf.close()
            self._btf = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has_programs(self, fd):
        """bpftool's cgroup_has_attached_progs: True, False, or -errno of a failed query."""
        opts = self._count_opts
        ptr = self._count_ptr
        query = self._lib.bpf_prog_query_opts
        cfd = ctypes.c_int(fd)
        for _t, ctype in self._types:
            opts.prog_cnt = 0
            ret = query(cfd, ctype, ptr)
            if ret:
                if ret != -errno.EINVAL:
                    return ret
                continue
            if opts.prog_cnt:
                return True
        return False

    def _query(self, fd):
        """(attach type, prog ids, per-prog flags or None with effective, the type's flags)
        per attach type with programs, in bpftool's order."""
        opts = self._opts
        ptr = self._opts_ptr
        query = self._lib.bpf_prog_query_opts
        cfd = ctypes.c_int(fd)
        for attach_type, ctype in self._types:
            opts.prog_cnt = C.CGROUP_QUERY_MAX
            opts.attach_flags = 0
            if query(cfd, ctype, ptr) != 0 or opts.prog_cnt == 0:
                continue
            count = opts.prog_cnt
            flags = None if self.effective else self._flags[:count]
            yield attach_type, self._ids[:count], flags, opts.attach_flags

    def programs(self, fd, level=0):
        """model.CgroupProg per program, in bpftool's order."""
        out = []
        for attach_type, ids, flags, type_flags in self._query(fd):
            for k, prog_id in enumerate(ids):
                flag_text = None
                if flags is not None:
                    flag_text = _flags_text(flags[k] or type_flags)
                row = self._program(prog_id, attach_type, flag_text, level)
                if row is not None:
                    out.append(row)
        return out

    def attached(self, fd):
        """model.CgroupProg per program, in bpftool's order, from the query alone: id,
        attach type and flags (None with effective); name None (no program is opened)."""
        out = []
        for attach_type, ids, flags, type_flags in self._query(fd):
            name = attach_type_name(attach_type)
            for k, prog_id in enumerate(ids):
                flag_text = _flags_text(flags[k] or type_flags) if flags is not None else None
                out.append(model.CgroupProg(id=prog_id, attach_type=name,
                                            attach_flags=flag_text, name=None))
        return out

    def _program(self, prog_id, attach_type, flag_text, level):
        try:
            obj = open_by_id("prog", prog_id)
        except BpfError:
            return None  # went away: bpftool skips the row
        with obj:
            try:
                info, _maps, _orphaned = kinfo.prog_info(obj.fd)
            except BpfError:
                return None
            name = kinfo.prog_full_name(obj.fd, info)
        return model.CgroupProg(
            id=info.id, attach_type=attach_type_name(attach_type), attach_flags=flag_text,
            name=name, attach_btf_name=self._btf_name(info),
            attach_btf_obj_id=info.attach_btf_obj_id, attach_btf_id=info.attach_btf_id,
            level=level)

    def _btf_name(self, info):
        """bpftool's attach_btf_name: the vmlinux type's name when the program's
        attach_btf_obj_id is vmlinux's id, as bpftool guesses that id (from the first
        program whose attach BTF object is vmlinux; until then 0, which matches every
        program without an attach BTF object and names it "", type 0's name)."""
        if not self._btf_loaded:
            self._btf_loaded = True
            try:
                self._btf = VmlinuxBtf()
            except OSError:
                self._btf = None
        if not self._btf:
            return None
        if not self._vmlinux_id:
            self._guess_vmlinux_id(info.attach_btf_obj_id)
        if (self._vmlinux_id == info.attach_btf_obj_id
                and info.attach_btf_id < self._btf.count()):
            return self._btf.type_name(info.attach_btf_id, "surrogateescape")
        return None

    def _guess_vmlinux_id(self, btf_obj_id):
        try:
            obj = open_by_id("btf", btf_obj_id)
        except BpfError:
            return
        with obj:
            try:
                info, name = kinfo.btf_info(obj.fd)
            except BpfError:
                return
            if info.kernel_btf and name[:15] == "vmlinux":
                self._vmlinux_id = info.id


def _flags_text(flags):
    if flags == C.BPF_F_ALLOW_MULTI:
        return "multi"
    if flags == C.BPF_F_ALLOW_OVERRIDE:
        return "override"
    if flags == 0:
        return ""
    return "unknown(%x)" % flags


def walk(root):
    """(path, level) of every directory under `root`, `root` first, as nftw(root, fn, 1024,
    FTW_MOUNT) reports them with FTW_D: pre-order, readdir order, same filesystem only.
    Raises OSError where nftw fails (the root cannot be read)."""
    st = os.stat(root)
    import stat as _stat

    if not _stat.S_ISDIR(st.st_mode):
        return
    dev = st.st_dev
    root = root.rstrip("/") or "/"  # as glibc's nftw names it
    yield root, 0
    prefix = root if root == "/" else root + "/"
    yield from _below(prefix, dev, 1)


def _below(prefix, dev, level):
    try:
        entries = list(os.scandir(prefix))
    except FileNotFoundError:
        return  # removed while it was walked
    for entry in entries:
        try:
            if not entry.is_dir():
                continue
            st = entry.stat()
        except OSError:
            continue  # gone: nftw reports FTW_NS, which bpftool skips
        if st.st_dev != dev:
            continue
        path = prefix + entry.name
        yield path, level
        yield from _below(path + "/", dev, level + 1)
