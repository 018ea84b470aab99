"""What `btf dump` dumps: a BTF blob from the kernel or a file, with its base for split BTF,
loaded and checked; and the C header, written by libbpf in the newest bpftool's frame."""

import os

from bpfinspect import model
from bpfinspect.btfparse import files
from bpfinspect.btfparse import parser as P
from bpfinspect.btfparse import sort as btf_sort
from bpfinspect.btfparse.parser import Btf, check_names, check_references
from bpfinspect.constants import SYSFS_BTF_DIR, VMLINUX_BTF
from bpfinspect.errors import EXIT_INVALID, BpfError, BtfError
from bpfinspect.views import btf as btf_view


class BtfSource(model.Record):
    """A BTF blob to dump: `label` names it in errors ("id 5", a path); `trusted` when the
    kernel loaded it (so checked it); `base_path` the base of split BTF; `roots` the type ids
    asked for (none: every type)."""

    __slots__ = ("data", "base_path", "roots", "label", "trusted")
    _defaults = {"base_path": None, "roots": (), "label": "", "trusted": False}

    def with_roots(self, roots):
        return BtfSource(self.data, self.base_path, tuple(roots), self.label, self.trusted)


def file_source(path, base_path=None):
    """A BTF file; one under /sys/kernel/btf other than vmlinux is a module's, split over
    vmlinux."""
    if base_path is None and path.startswith(SYSFS_BTF_DIR) and path != VMLINUX_BTF:
        base_path = VMLINUX_BTF
    # trusted (the kernel checked it) only where it really is under /sys/kernel/btf: not
    # /sys/kernel/btf/../../tmp/x
    return BtfSource(files.read(path), base_path, label=path,
                     trusted=os.path.realpath(path).startswith(SYSFS_BTF_DIR))


def kernel_source(btf_id, roots=(), base_path=None):
    """The BTF object `btf_id`; a module's is split over vmlinux."""
    from bpfinspect.kernel.info import btf_data, btf_is_module  # not for files

    data = btf_data(btf_id)
    if base_path is None and btf_is_module(btf_id):
        base_path = VMLINUX_BTF
    return BtfSource(data, base_path, tuple(roots), label="id %u" % btf_id, trusted=True)


def load(source, for_c=False, sort=True):
    """The source's BTF parsed (over its base), checked as far as the dump needs."""
    try:
        base = Btf(files.read(source.base_path)) if source.base_path else None
        btf = Btf(source.data, base)
        if not for_c or sort or source.roots or not source.trusted:
            btf.check()
        if for_c and not source.trusted:
            check_references(btf)
            check_names(btf)
    except BtfError as exc:
        raise BpfError("failed to load BTF from %s: %s" % (source.label, exc.message),
                       exit_status=EXIT_INVALID) from None
    for root in source.roots:
        if root >= btf.count:
            raise BpfError("invalid root ID: %u" % root, exit_status=EXIT_INVALID)
    return btf


_UNREFERRED = (P.FUNC, P.VAR, P.DATASEC, P.DECL_TAG)


def write_c_header(source, btf, fd, sort=True):
    """The C header of parsed `btf` (from `source`) onto file descriptor `fd`, written by
    libbpf's btf_dump in bpftool 7.8's frame; with root ids, only those types and what they
    need, and no kfuncs."""
    from bpfinspect.kernel.btfc import CDump  # ctypes and libbpf: for C headers only

    base = None
    try:
        if source.base_path:
            base = CDump(files.read(source.base_path))
        with CDump(source.data, base) as dump:
            dump.open(fd)
            dump.write(btf_view.HEADER)
            if source.roots:
                for root in source.roots:
                    dump.dump_type(root)
            else:
                if sort:
                    # the kernel lets no type refer to these, so dumping them orders and
                    # prints nothing: not asked for (a file's BTF may do what it likes)
                    without = _UNREFERRED if source.trusted else ()
                    dump.dump_types(btf_sort.order(btf, without))
                else:
                    dump.dump_types(range(1, dump.count()))
                dump.write(btf_view.KFUNCS_BEGIN)
                for func_id, name, fastcall in btf_sort.kfuncs(
                        btf, lambda i: dump.type_parts(i)[:2]):
                    dump.write(btf_view.kfunc_prefix(fastcall))
                    dump.emit_decl(dump.type_parts(func_id)[2], name)
                    dump.write(btf_view.KFUNC_SUFFIX)
                dump.write(btf_view.KFUNCS_END)
            dump.write(btf_view.FOOTER)
    finally:
        if base is not None:
            base.close()


def c_header_bytes(source, btf=None, sort=True):
    """The C header as bytes, generated whole before anything is printed (so that Ctrl-C
    during libbpf's work leaves no half line behind); `btf` as load() gives it."""
    if btf is None:
        btf = load(source, for_c=True, sort=sort)
    fd = os.memfd_create("bpfinspect-c-header")
    with open(fd, "rb") as f:
        write_c_header(source, btf, fd, sort)
        f.seek(0)
        return f.read()


def c_header_text(source, btf=None, sort=True):
    """c_header_bytes() as a string."""
    return c_header_bytes(source, btf, sort).decode("utf-8", "surrogateescape")
