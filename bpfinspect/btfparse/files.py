"""BTF read from a file: raw BTF (/sys/kernel/btf/*, `bpftool btf dump file`'s input) or the
.BTF section of an ELF object (a compiled BPF program), as libbpf's btf__parse reads them.

Only regular files are read (a FIFO or a device would block or never end), and no more than
MAX_BYTES: a hostile path costs no more memory than that."""

import errno
import mmap
import os
import stat
import struct

from bpfinspect.constants import SYSFS_BTF_DIR
from bpfinspect.errors import BpfError, status_of_errno

MAX_BYTES = 1 << 30
ELF_MAGIC = b"\x7fELF"


def _fail(path, why, err=errno.EINVAL):
    return BpfError("failed to load BTF from %s: %s" % (path, why), err,
                    exit_status=status_of_errno(err))


def read(path):
    """The raw BTF in the file at `path`: the whole file, or an ELF object's .BTF section."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _fail(path, exc.strerror, exc.errno) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _fail(path, "not a regular file")
        if st.st_size > MAX_BYTES:
            raise _fail(path, "larger than %d bytes" % MAX_BYTES, errno.EFBIG)
        data = _mapped(fd, st.st_size, path)
        if data is None:
            chunks, left = [], st.st_size
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 24))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            data = b"".join(chunks)
    except OSError as exc:
        raise _fail(path, exc.strerror, exc.errno) from None
    finally:
        os.close(fd)
    if data[:4] == ELF_MAGIC:
        return elf_section(data, ".BTF", path)
    return data


def _mapped(fd, size, path):
    """The kernel's BTF under /sys/kernel/btf copied from a private mapping (newer kernels
    allow it; sysfs gives a read() one page), or None. Only there: a file that someone
    truncates while it is copied would kill us with SIGBUS; the kernel's BTF never changes."""
    if not size or not os.path.realpath(path).startswith(SYSFS_BTF_DIR):
        return None
    try:
        with mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ) as mapping:
            return mapping[:]
    except (OSError, ValueError):
        return None


def elf_section(data, name, path):
    """The bytes of section `name` of the ELF image `data` (32 or 64 bits, either byte
    order); an error naming `path` when it has none or the headers do not fit."""
    if len(data) < 16 or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise _fail(path, "not a valid ELF file")
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    try:
        if wide:
            shoff, = struct.unpack_from(order + "Q", data, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x3A)
            sh = struct.Struct(order + "IIQQQQ")  # name, type, flags, addr, offset, size
        else:
            shoff, = struct.unpack_from(order + "I", data, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x2E)
            sh = struct.Struct(order + "IIIIII")
        if shentsize < sh.size or shstrndx >= shnum:
            raise _fail(path, "invalid ELF section headers")
        headers = [sh.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        _n, _t, _f, _a, str_off, str_size = headers[shstrndx]
        names = data[str_off:str_off + str_size]
        wanted = name.encode() + b"\0"
        for name_off, sh_type, _flags, _addr, offset, size in headers:
            if names[name_off:name_off + len(wanted)] == wanted and sh_type != 8:  # not NOBITS
                if offset + size > len(data):
                    raise _fail(path, "ELF section %s is out of bounds" % name)
                return data[offset:offset + size]
    except struct.error:
        raise _fail(path, "invalid ELF section headers") from None
    raise _fail(path, "no %s section in the ELF file" % name, errno.ENOENT)
