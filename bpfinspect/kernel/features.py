"""`feature probe`: what this kernel's BPF can do, found by trying (bpftool's feature.c, with
libbpf's probes).

One of the two places bpfinspect loads anything (the other is the `pids` iterator,
kernel/pid_iter.py): each probe loads a two-instruction program or creates a one-entry map
and closes its fd at once, so nothing stays in the kernel (nothing is pinned or attached;
the kernel frees an object when its last fd closes). Probes run
through bpf(2) directly; the log the verifier writes for a helper's probe says whether the
program type may call that helper.
"""

import ctypes
import errno
import gzip
import os
import re
import struct
from ctypes import byref, c_uint32

from bpfinspect import constants as C
from bpfinspect.isa.asm import call as _call, exit_insn, mov64_imm as _mov64_imm
from bpfinspect.isa.insn import encode as _insn
from bpfinspect.kernel import syscalls, uapi
from bpfinspect.model import FeatureProbe, HelperProbe, SystemConfig

BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_BTF_LOAD = 0, 5, 18
_LOG_SIZE = 4096  # libbpf's probe log buffer
_UNAVAILABLE = (b"invalid func ", b"unknown func ", b"program of this type cannot use helper ")
# --- instructions -----------------------------------------------------------------------

_EXIT = exit_insn()


# --- the prober -------------------------------------------------------------------------

class Prober:
    """bpf(2) probes. `errno` is the last failed call's errno, as C's errno stays set after
    a later success (bpftool's unprivileged check reads it)."""

    def __init__(self, ifindex=0):
        self.ifindex = ifindex
        self.errno = 0
        self.log = ctypes.create_string_buffer(_LOG_SIZE)
        self._gpl = ctypes.create_string_buffer(b"GPL")
        self._license = ctypes.addressof(self._gpl)
        self._code = {}  # instructions -> their buffer, kept while probing
        self.kern_version = _kernel_version()

    def _bpf(self, cmd, attr):
        ret = syscalls.bpf(cmd, attr)
        if ret < 0:
            self.errno = -ret
        return ret

    def _load(self, attr):
        for _ in range(5):  # libbpf retries a load that fails with EAGAIN
            fd = self._bpf(BPF_PROG_LOAD, attr)
            if fd != -errno.EAGAIN:
                break
        if fd >= 0:
            os.close(fd)
        return fd

    def prog_load(self, prog_type, code, log=False, ifindex=0, **fields):
        """Load and close at once: the fd or a negated errno. With `log`, the verifier's
        log (level 1) is in self.log."""
        insns = self._code.get(code)
        if insns is None:
            insns = self._code[code] = ctypes.create_string_buffer(code, len(code))
        attr = uapi.bpf_attr_prog_load(
            prog_type=prog_type, insn_cnt=len(code) // 8, insns=ctypes.addressof(insns),
            license=self._license, prog_ifindex=ifindex, **fields)
        if log:
            self.log[0] = b"\0"
            attr.log_level, attr.log_size = 1, _LOG_SIZE
            attr.log_buf = ctypes.addressof(self.log)
        return self._load(attr)

    def syscall_available(self):
        attr = uapi.bpf_attr_prog_load()
        fd = self._bpf(BPF_PROG_LOAD, attr)
        if fd >= 0:
            os.close(fd)
        return self.errno != errno.ENOSYS

    # libbpf's probe_prog_load: the attach type, flags and expected failure per type
    def _prog_probe(self, prog_type, code, log):
        fields = {}
        expect, message = 0, None
        if prog_type == C.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
            fields["expected_attach_type"] = C.BPF_CGROUP_INET4_CONNECT
        elif prog_type == C.BPF_PROG_TYPE_CGROUP_SOCKOPT:
            fields["expected_attach_type"] = C.BPF_CGROUP_GETSOCKOPT
        elif prog_type == C.BPF_PROG_TYPE_SK_LOOKUP:
            fields["expected_attach_type"] = C.BPF_SK_LOOKUP
        elif prog_type == C.BPF_PROG_TYPE_KPROBE:
            fields["kern_version"] = self.kern_version
        elif prog_type == C.BPF_PROG_TYPE_LIRC_MODE2:
            fields["expected_attach_type"] = C.BPF_LIRC_MODE2
        elif prog_type in (C.BPF_PROG_TYPE_TRACING, C.BPF_PROG_TYPE_LSM):
            fields["expected_attach_type"] = (C.BPF_TRACE_FENTRY if prog_type ==
                                              C.BPF_PROG_TYPE_TRACING else C.BPF_MODIFY_RETURN)
            fields["attach_btf_id"] = 1
            expect, message, log = -errno.EINVAL, b"attach_btf_id 1 is not a function", True
        elif prog_type == C.BPF_PROG_TYPE_EXT:
            fields["attach_btf_id"] = 1
            expect, message, log = -errno.EINVAL, b"Cannot replace kernel functions", True
        elif prog_type == C.BPF_PROG_TYPE_SYSCALL:
            fields["prog_flags"] = C.BPF_F_SLEEPABLE
        elif prog_type == C.BPF_PROG_TYPE_STRUCT_OPS:
            expect = -C.ENOTSUPP
        elif prog_type == C.BPF_PROG_TYPE_NETFILTER:
            fields["expected_attach_type"] = C.BPF_NETFILTER
        elif prog_type > C.BPF_PROG_TYPE_NETFILTER:
            return None  # a type libbpf 1.8 does not know how to probe
        fd = self.prog_load(prog_type, code, log=log, **fields)
        if expect:
            if fd >= 0 or fd != expect:
                return False
            return message is None or message in self.log.value
        return fd >= 0

    def prog_type(self, prog_type):
        if self.ifindex:
            # bpftool's probe_prog_type_ifindex (nfp refuses exit(0) with TC offload)
            self.errno = 0
            fd = self.prog_load(prog_type, _mov64_imm(0, 2) + _EXIT, ifindex=self.ifindex)
            return fd >= 0 and self.errno not in (errno.EINVAL, errno.EOPNOTSUPP)
        return bool(self._prog_probe(prog_type, _mov64_imm(0, 0) + _EXIT, False))

    def helper(self, prog_type, helper_id):
        code = _call(helper_id) + _EXIT
        if self.ifindex:
            self.log[0] = b"\0"
            self.errno = 0
            self.prog_load(prog_type, code, log=True, ifindex=self.ifindex)
            log = self.log.value
            ok = not any(m in log for m in _UNAVAILABLE)
            if _vendor_id(self.ifindex) == 0x19EE:  # Netronome
                ok = ok and b"not supported by FW" not in log and \
                    b"unsupported function id" not in log
            return ok
        if prog_type in (C.BPF_PROG_TYPE_TRACING, C.BPF_PROG_TYPE_EXT, C.BPF_PROG_TYPE_LSM,
                         C.BPF_PROG_TYPE_STRUCT_OPS):
            return False  # libbpf cannot load these to probe helpers
        self.log[0] = b"\0"
        ret = self._prog_probe(prog_type, code, True)
        if ret is None:
            return False
        if not ret and any(m in self.log.value for m in _UNAVAILABLE):
            return False
        return True  # loaded, or refused for another reason: assumed available

    def map_type(self, map_type):
        attr = uapi.bpf_attr_map_create(map_type=map_type, key_size=4, value_size=4,
                                        max_entries=1)
        if self.ifindex:
            attr.map_ifindex = self.ifindex
            return self._map_create(attr) >= 0
        names = C.MAP_TYPE_NAMES
        name = names[map_type] if map_type < len(names) else None
        expect = 0
        btf_fd = inner_fd = -1
        if name == "stack_trace":
            attr.value_size = 8
        elif name == "lpm_trie":
            attr.key_size, attr.value_size, attr.map_flags = 8, 8, C.BPF_F_NO_PREALLOC
        elif name == "rhash":
            attr.map_flags = C.BPF_F_NO_PREALLOC
        elif name in ("cgroup_storage", "percpu_cgroup_storage"):
            attr.key_size, attr.value_size, attr.max_entries = 16, 8, 0  # bpf_cgroup_storage_key
        elif name in ("queue", "stack"):
            attr.key_size = 0
        elif name in ("sk_storage", "inode_storage", "task_storage", "cgrp_storage"):
            btf_fd = self._local_storage_btf()
            if btf_fd < 0:
                return False
            attr.btf_fd, attr.btf_key_type_id, attr.btf_value_type_id = btf_fd, 1, 3
            attr.value_size, attr.max_entries, attr.map_flags = 8, 0, C.BPF_F_NO_PREALLOC
        elif name in ("ringbuf", "user_ringbuf"):
            attr.key_size, attr.value_size = 0, 0
            attr.max_entries = os.sysconf("SC_PAGE_SIZE")
        elif name == "struct_ops":
            attr.btf_vmlinux_value_type_id = 1
            attr.value_type_btf_obj_fd = -1
            expect = -C.ENOTSUPP
        elif name == "bloom_filter":
            attr.key_size = 0
        elif name == "arena":
            attr.key_size, attr.value_size, attr.map_flags = 0, 0, C.BPF_F_MMAPABLE
        elif name == "insn_array":
            attr.value_size = 16  # struct bpf_insn_array_value
        elif name in ("array_of_maps", "hash_of_maps"):
            inner = uapi.bpf_attr_map_create(map_type=C.BPF_MAP_TYPE_HASH, key_size=4,
                                             value_size=4, max_entries=1)
            inner_fd = self._bpf(BPF_MAP_CREATE, inner)
            if inner_fd < 0:
                return False
            attr.inner_map_fd = inner_fd
        elif name is None or name == "unspec":
            return False
        try:
            fd = self._map_create(attr)
        finally:
            for extra in (inner_fd, btf_fd):
                if extra >= 0:
                    os.close(extra)
        return fd == expect if expect else fd >= 0

    def _map_create(self, attr):
        fd = self._bpf(BPF_MAP_CREATE, attr)
        if fd >= 0:
            os.close(fd)
        return fd

    def _local_storage_btf(self):
        """libbpf's load_local_storage_btf: struct val { int cnt; struct bpf_spin_lock l; }"""
        strs = b"\0bpf_spin_lock\0val\0cnt\0l\0"

        def info(kind, vlen):
            return (kind << 24) | vlen

        types = struct.pack("<IIII", 0, info(1, 0), 4, (1 << 24) | 32)  # [1] int
        types += struct.pack("<III", 1, info(4, 1), 4) + struct.pack("<III", 15, 1, 0)
        types += struct.pack("<III", 15, info(4, 2), 8) + struct.pack("<III", 19, 1, 0) \
            + struct.pack("<III", 23, 2, 32)
        header = struct.pack("<HBBIIIII", C.BTF_MAGIC, 1, 0, 24, 0, len(types), len(types),
                             len(strs))
        blob = ctypes.create_string_buffer(header + types + strs)
        attr = uapi.bpf_attr_btf_load(btf=ctypes.addressof(blob), btf_size=len(blob.raw) - 1)
        return self._bpf(BPF_BTF_LOAD, attr)

    def misc(self, code):
        """bpftool's probe_misc_feature: a socket filter that loads, or fails with no errno."""
        self.errno = 0
        fd = self.prog_load(C.BPF_PROG_TYPE_SOCKET_FILTER, code, ifindex=self.ifindex)
        return fd >= 0 or not self.errno


def _misc_programs():
    """bpftool's misc probes: (JSON key, plain name, macro name, instructions)."""
    large = _mov64_imm(0, 1) * C.BPF_MAXINSNS + _EXIT
    loop = _mov64_imm(0, 10) + _insn(0x17, 0, 0, 0, 1) + _insn(0x55, 0, 0, -2, 0) + _EXIT
    v2 = _mov64_imm(0, 0) + _insn(0xA5, 0, 0, 1, 0) + _mov64_imm(0, 1) + _EXIT
    v3 = _mov64_imm(0, 0) + _insn(0xA6, 0, 0, 1, 0) + _mov64_imm(0, 1) + _EXIT
    v4 = _mov64_imm(0, 0) + _insn(0x16, 0, 0, 1, 1) + _insn(0x06, 0, 0, 0, 1) \
        + _mov64_imm(0, 1) + _EXIT
    return (("have_large_insn_limit", "Large program size limit", "LARGE_INSN_LIMIT", large),
            ("have_bounded_loops", "Bounded loop support", "BOUNDED_LOOPS", loop),
            ("have_v2_isa_extension", "ISA extension v2", "V2_ISA_EXTENSION", v2),
            ("have_v3_isa_extension", "ISA extension v3", "V3_ISA_EXTENSION", v3),
            ("have_v4_isa_extension", "ISA extension v4", "V4_ISA_EXTENSION", v4))


# --- what the system says -----------------------------------------------------------------

def _kernel_version():
    """libbpf's get_kernel_version: Ubuntu's signature, Debian's version, else the release."""
    try:
        with open("/proc/version_signature") as f:
            m = re.match(r"\S+ \S+ (\d+)\.(\d+)\.(\d+)", f.read())
            if m:
                return _kv(*m.groups())
    except OSError:
        pass
    u = os.uname()
    m = re.search(r"Debian (\d+)\.(\d+)\.(\d+)", u.version)
    if m:
        return _kv(*m.groups())
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", u.release)
    return _kv(*m.groups()) if m else 0


def _kv(major, minor, patch):
    return (int(major) << 16) + (int(minor) << 8) + min(int(patch), 255)


def _vendor_id(ifindex):
    try:
        name = if_name(ifindex)
        with open("/sys/class/net/%s/device/vendor" % name) as f:
            return int(f.read(8).strip(), 0)
    except (OSError, ValueError):
        return -1


def if_name(ifindex):
    import socket

    return socket.if_indextoname(ifindex)


def if_index(name):
    """(ifindex, 0) or (0, errno): if_nametoindex."""
    index = syscalls.libc().if_nametoindex(os.fsencode(name))
    return (index, 0) if index else (0, ctypes.get_errno() or errno.ENODEV)


def procfs_mounted():
    return syscalls.fs_magic("/proc") == C.PROC_SUPER_MAGIC


def read_procfs(path):
    """bpftool's read_procfs: the first line as a decimal number, or -1."""
    try:
        with open(path, "rb") as f:
            line = f.readline()
    except OSError:
        return -1
    m = re.fullmatch(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)\n", line)
    return int(m.group(1)) if m else -1


_PROCFS = ("/proc/sys/kernel/unprivileged_bpf_disabled", "/proc/sys/net/core/bpf_jit_enable",
           "/proc/sys/net/core/bpf_jit_harden", "/proc/sys/net/core/bpf_jit_kallsyms",
           "/proc/sys/net/core/bpf_jit_limit")


def kernel_config(macros):
    """{option: value} of bpftool's options from /boot/config-$(uname -r) or /proc/config.gz,
    or None when neither can be read (bpftool then prints no option lines)."""
    wanted = C.KERNEL_CONFIG_MACROS if macros else C.KERNEL_CONFIG_OPTIONS
    f = None
    for path in (C.KERNEL_CONFIG_PATHS[0] % os.uname().release, C.KERNEL_CONFIG_PATHS[1]):
        try:
            f = _open_config(path)
            break
        except OSError:
            continue
    if f is None:
        return None
    values = {}
    with f:
        try:
            f.readline()
            if f.readline() != C.KERNEL_CONFIG_HEADER.encode():
                return None
            for line in f:
                if not line.startswith(b"CONFIG_") or b"=" not in line:
                    continue
                if line.endswith(b"\n"):
                    line = line[:-1]
                name, _, value = line.partition(b"=")
                if not value:
                    continue
                name = name.decode("ascii", "replace")
                if name in wanted and name not in values:
                    values[name] = value.decode("utf-8", "replace")
        except (OSError, EOFError, gzip.BadGzipFile):
            return None
    return values


def _open_config(path):
    """gzopen: a gzip file, or a plain one."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


# --- capabilities -----------------------------------------------------------------------

class _cap_header(ctypes.Structure):
    _fields_ = [("version", c_uint32), ("pid", ctypes.c_int)]


class _cap_data(ctypes.Structure):
    _fields_ = [("effective", c_uint32), ("permitted", c_uint32), ("inheritable", c_uint32)]


_CAP_V3 = 0x20080522


def _capget():
    hdr = _cap_header(_CAP_V3, 0)
    data = (_cap_data * 2)()
    if syscalls.libc().capget(byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return hdr, data


def effective_caps():
    _hdr, data = _capget()
    return data[0].effective | (data[1].effective << 32)


def cap_bpf_supported():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read()) >= C.CAP_BPF
    except (OSError, ValueError):
        return False


def set_effective(caps):
    """capset(2) on this thread: the effective set becomes `caps` (the permitted set stays,
    so what is dropped can be raised again)."""
    hdr, data = _capget()
    data[0].effective = caps & 0xFFFFFFFF
    data[1].effective = caps >> 32
    if syscalls.libc().capset(byref(hdr), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


# --- the whole probe ----------------------------------------------------------------------

def probe(target="unspec", ifindex=0, full=False, prefix=None, unprivileged=False,
          helper_names=None):
    """model.FeatureProbe: every section bpftool's `feature probe` prints, probed in its
    order. `prefix`: the macros' prefix (None: no macros). `helper_names`: {id: name}
    (bpf_ prefixed), ids 1 up probed."""
    macros = prefix is not None
    prober = Prober(ifindex)
    system = None
    if target != "dev":
        procfs = tuple(read_procfs(p) for p in _PROCFS) if procfs_mounted() else None
        system = SystemConfig(procfs=procfs, config=kernel_config(macros))
    if not prober.syscall_available():
        return FeatureProbe(target=target, ifindex=ifindex, prefix=prefix, system=system,
                            syscall=False)
    prog_types, supported = [], {}
    for number, name in enumerate(C.PROG_TYPE_NAMES):
        if not number:
            continue
        if ifindex and number not in (C.BPF_PROG_TYPE_SCHED_CLS, C.BPF_PROG_TYPE_XDP):
            continue
        res = prober.prog_type(number)
        if unprivileged and prober.errno == errno.EPERM:
            res = False
        supported[number] = res
        prog_types.append((name, res))
    map_types = []
    for number, name in enumerate(C.MAP_TYPE_NAMES):
        if not number:
            continue
        if ifindex and number not in (C.BPF_MAP_TYPE_HASH, 2):
            continue
        map_types.append((name, prober.map_type(number)))
    names = dict(helper_names or {})
    ids = sorted(i for i in names if i > 0)
    helpers = []
    for number, name in enumerate(C.PROG_TYPE_NAMES):
        if not number or (ifindex and number not in (C.BPF_PROG_TYPE_SCHED_CLS,
                                                    C.BPF_PROG_TYPE_XDP)):
            continue
        results = []
        for helper_id in ids:
            hname = names[helper_id]
            if not full and hname[4:] in C.NOISY_HELPERS:
                continue
            res = False
            if supported.get(number):
                res = prober.helper(number, helper_id)
                if unprivileged and prober.errno == errno.EPERM:
                    res = False
            results.append((hname, res))
        helpers.append(HelperProbe(prog_type=name, supported=bool(supported.get(number)),
                                   helpers=tuple(results)))
    misc = tuple((key, plain, define, prober.misc(code))
                 for key, plain, define, code in _misc_programs())
    return FeatureProbe(target=target, ifindex=ifindex, prefix=prefix, system=system, syscall=True,
                        prog_types=tuple(prog_types), map_types=tuple(map_types),
                        helpers=tuple(helpers), misc=misc)

