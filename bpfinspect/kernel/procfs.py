"""What procfs and the mount table tell about BPF objects: fdinfo, bpffs pins, owners, clocks."""

import os
import re
import stat
import time

SELF_FDINFO = "/proc/self/fdinfo/%d"
_FDINFO_LINE = re.compile(r"(?m)^([^:\n]+):[ \t]*(.*?)[ \t]*$")

# readlink(/proc/PID/fd/N) of each kind of BPF file, and the fdinfo key holding its id. A
# link has two names: `bpf_link` when it is made (bpf_link_prime), `bpf-link` for an fd
# opened later from a pin or an id (bpf_link_new_fd).
ANON_INODES = {
    "prog": (("anon_inode:bpf-prog",), "prog_id"),
    "map": (("anon_inode:bpf-map",), "map_id"),
    "link": (("anon_inode:bpf_link", "anon_inode:bpf-link"), "link_id"),
    "btf": (("anon_inode:btf",), "btf_id"),
}


_SELF_FDINFO_DIR = []  # the fd of /proc/self/fdinfo, opened once (a list: set on first use)


def _self_fdinfo_dir():
    """/proc/self/fdinfo's fd, or None: opening each fdinfo file relative to it saves the
    walk through /proc/self for every object of a listing."""
    if not _SELF_FDINFO_DIR:
        try:
            _SELF_FDINFO_DIR.append(os.open("/proc/self/fdinfo", os.O_RDONLY | os.O_DIRECTORY))
        except OSError:
            _SELF_FDINFO_DIR.append(None)
    return _SELF_FDINFO_DIR[0]


def _forget_fdinfo_dir():
    """In a forked child: the folder opened is the parent's (/proc/PID, not /proc/self)."""
    if _SELF_FDINFO_DIR and _SELF_FDINFO_DIR[0] is not None:
        try:
            os.close(_SELF_FDINFO_DIR[0])
        except OSError:
            pass
    _SELF_FDINFO_DIR.clear()


os.register_at_fork(after_in_child=_forget_fdinfo_dir)


def _fdinfo_bytes(fd, path=None):
    """/proc/self/fdinfo/FD (or `path`, another process's fdinfo), or None. os.open/os.read:
    a buffered file object costs more than the read, once per object."""
    try:
        if path is None:
            folder = _self_fdinfo_dir()
            info_fd = (os.open(SELF_FDINFO % fd, os.O_RDONLY) if folder is None
                       else os.open(str(fd), os.O_RDONLY, dir_fd=folder))
        else:
            info_fd = os.open(path, os.O_RDONLY)
        try:
            return os.read(info_fd, 8192)
        finally:
            os.close(info_fd)
    except OSError:
        return None


def fdinfo(fd):
    """/proc/self/fdinfo/FD as a dict of raw string values."""
    data = _fdinfo_bytes(fd)
    if data is None:
        return {}
    return dict(_FDINFO_LINE.findall(data.decode("utf-8", "replace")))


def fdinfo_field(fd, key):
    """One field of /proc/self/fdinfo/FD (raw string), or None: what `prog show` reads for
    every program, without splitting all the lines."""
    data = _fdinfo_bytes(fd)
    if data is None:
        return None
    tag = key.encode() + b":"
    at = 0 if data.startswith(tag) else data.find(b"\n" + tag) + 1
    if at <= 0 and not data.startswith(tag):
        return None
    end = data.find(b"\n", at)
    return data[at + len(tag):end if end >= 0 else len(data)].strip(b" \t").decode(
        "utf-8", "replace")


def fd_kind(fd):
    """'prog', 'map', 'link', 'btf' or None: what kind of BPF object an fd refers to."""
    try:
        target = os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        return None
    for kind, (inodes, _key) in ANON_INODES.items():
        if target in inodes:
            return kind
    if "bpf-map" in target:
        return "map"
    if "bpf-prog" in target:
        return "prog"
    if "bpf-link" in target or "bpf_link" in target:
        return "link"
    return None


def bpffs_mounts():
    """Mount points of every bpf filesystem, in /proc/mounts order."""
    mounts = []
    try:
        with open("/proc/mounts", "rb") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[2].startswith(b"bpf"):
                    mounts.append(_unescape_mount(fields[1]))
    except OSError:
        pass
    return mounts


def _unescape_mount(raw):
    # /proc/mounts escapes space, tab, newline and backslash as \ooo
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and raw[i + 1:i + 4].isdigit():
            out.append(int(raw[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return os.fsdecode(bytes(out))


def walk_files(top):
    """Regular files below `top`, depth first in directory order, symlinks not followed
    (the order nftw(FTW_PHYS) gives)."""
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from walk_files(entry.path)
        elif stat.S_ISREG(st.st_mode):
            yield entry.path


def owners(kind):
    """{object id: [(pid, comm), ...]} for every process holding an fd of `kind`,
    in pid order, one entry per process, bpfinspect itself left out."""
    inodes, key = ANON_INODES[kind]
    key_tag = b"\n" + key.encode() + b":"  # fdinfo's "pos:" line comes first
    me = os.getpid()
    table = {}
    try:
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:
        return table
    for pid in pids:
        if pid == me:
            continue
        fd_dir = "/proc/%d/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        comm = None
        for fd in fds:
            try:
                if os.readlink("%s/%s" % (fd_dir, fd)) not in inodes:
                    continue
            except OSError:
                continue  # the fd or the process went away
            info = _fdinfo_bytes(None, "/proc/%d/fdinfo/%s" % (pid, fd))
            if info is None:
                continue
            at = info.find(key_tag)
            if at < 0:
                continue
            end = info.find(b"\n", at + 1)
            try:
                obj_id = int(info[at + len(key_tag):end if end >= 0 else len(info)])
            except ValueError:
                continue
            if comm is None:
                comm = _comm(pid)
            refs = table.setdefault(obj_id, [])
            if not refs or refs[-1][0] != pid:
                refs.append((pid, comm))
    return table


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid, "rb") as f:
            comm = f.read()
    except OSError:
        return "?"
    # the kernel ends the name with one newline; a name may end with its own
    return (comm[:-1] if comm.endswith(b"\n") else comm).decode("utf-8", "surrogateescape")


def boot_to_epoch_ns():
    """Nanoseconds to add to a CLOCK_BOOTTIME stamp to get wall-clock time, as the
    pair (seconds, nanoseconds) bpftool subtracts separately."""
    real = time.clock_gettime_ns(time.CLOCK_REALTIME)
    boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    return (real // 1_000_000_000 - boot // 1_000_000_000,
            real % 1_000_000_000 - boot % 1_000_000_000)


def load_time_to_epoch(load_time_ns, offset):
    secs, nsecs = offset
    frac = nsecs + load_time_ns
    # C division truncates toward zero
    q = abs(frac) // 1_000_000_000
    return secs + (q if frac >= 0 else -q)


def ifindex_to_name(ifindex, ns_dev, ns_ino):
    """The interface name, when the device lives in bpfinspect's own network namespace."""
    try:
        st = os.stat("/proc/self/ns/net")
    except OSError:
        return None
    if st.st_dev != ns_dev or st.st_ino != ns_ino:
        return None
    try:
        import socket

        return socket.if_indextoname(ifindex)
    except OSError:
        return None


def comm(pid):
    """The process's comm, "?" when it is gone."""
    return _comm(pid)
