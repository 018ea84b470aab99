"""Names the kernel gives to addresses and ids: /proc/kallsyms and the helper table.

/proc/kallsyms is read only when a call needs it, and only as far as needed: the kernel
lists symbols by increasing address, so reading stops past the highest address asked for.
Lookups bisect its lines and fall back to a full table when that misses (an unsorted tail).
"""

import bisect
import os

from bpfinspect.constants import KALLSYMS

_U64 = (1 << 64) - 1
_CHUNK = 1 << 18
_BASE = b" __bpf_call_base\n"


def _call_base(data):
    """The address on __bpf_call_base's line, 0 if there is none."""
    pos = data.find(_BASE)
    if pos < 0:
        return 0
    start = data.rfind(b"\n", 0, pos) + 1
    try:
        return int(data[start:pos].split(b" ")[0], 16)
    except ValueError:
        return 0


class Kallsyms:
    """/proc/kallsyms as read by one bpfinspect run. call_base is the address of
    `__bpf_call_base`, 0 when the file is unreadable or kptr_restrict hides addresses
    (then nothing resolves, as in bpftool)."""

    def __init__(self, data):
        self.lines = data.split(b"\n") if data else []
        self.width = self.lines[0].find(b" ") if self.lines and self.lines[0] else 16
        self._table = None
        self.call_base = _call_base(data) if data else 0

    def name(self, address):
        """The symbol at exactly `address`, or None."""
        if not self.call_base or not address:
            return None
        key = b"%0*x" % (self.width, address)
        i = bisect.bisect_left(self.lines, key)
        if i < len(self.lines) and self.lines[i][:self.width + 1] == key + b" ":
            return _symbol(self.lines[i])
        if self._table is None:  # not in the sorted part: modules, BPF programs
            self._table = {}
            for line in self.lines:
                self._table.setdefault(line[:self.width], line)
        line = self._table.get(key)
        return _symbol(line) if line is not None else None

    def resolve(self, addresses):
        """{address: name} for the addresses that have a symbol."""
        out = {}
        for a in addresses:
            n = self.name(a)
            if n is not None:
                out[a] = n
        return out


def _symbol(line):
    fields = line.split()
    return fields[2].decode("utf-8", "surrogateescape") if len(fields) >= 3 else None


class _Reader:
    """/proc/kallsyms read chunk by chunk."""

    def __init__(self, fd):
        self.fd = fd
        self.chunks = []
        self.eof = False
        self.has_base = False  # __bpf_call_base's line has been read

    def more(self):
        chunk = os.read(self.fd, _CHUNK)
        if not chunk:
            self.eof = True
            return False
        tail = self.chunks[-1][-len(_BASE):] if self.chunks else b""
        self.has_base = self.has_base or _BASE in tail + chunk
        self.chunks.append(chunk)
        return True

    @property
    def data(self):
        if len(self.chunks) > 1:
            self.chunks = [b"".join(self.chunks)]
        return self.chunks[0] if self.chunks else b""

    def last_address(self):
        """The address on the last complete line read so far, or None."""
        data = b"".join(self.chunks[-2:])  # a chunk holds many lines
        end = data.rfind(b"\n")
        if end <= 0:
            return None
        start = data.rfind(b"\n", 0, end) + 1
        field = data[start:data.find(b" ", start, end)]
        try:
            return int(field, 16)
        except ValueError:
            return None


def resolve(offsets, absolute=()):
    """(address of __bpf_call_base, {address: symbol}) for call_base + each of `offsets` and
    for each `absolute` address; (0, {}) when kallsyms is unreadable or hides addresses
    (kptr_restrict), as bpftool then names nothing."""
    try:
        fd = os.open(KALLSYMS, os.O_RDONLY)
    except OSError:
        return 0, {}
    try:
        reader = _Reader(fd)
        while not reader.has_base and reader.more():
            pass
        base = _call_base(reader.data)
        if not base:
            return 0, {}
        targets = set((base + o) & _U64 for o in offsets) | set(absolute)
        highest = max(targets) if targets else 0
        while (reader.last_address() or 0) <= highest and reader.more():
            pass
        kallsyms = Kallsyms(reader.data)
        names = kallsyms.resolve(targets)
        if len(names) < len(targets) and not reader.eof:
            while reader.more():
                pass
            names = Kallsyms(reader.data).resolve(targets)
        return base, names
    finally:
        os.close(fd)


_PREFIX = "BPF_FUNC_"


def helper_names():
    """{helper id: `bpf_<name>`} from the running kernel's `enum bpf_func_id` (vmlinux BTF);
    None when the kernel has no BTF."""
    from bpfinspect.kernel.vmlinux import VmlinuxBtf

    try:
        with VmlinuxBtf() as btf:
            values = btf.enum_values("bpf_func_id")
    except (OSError, LookupError):
        return None
    return {value: "bpf_" + name[len(_PREFIX):] for name, value in values
            if name.startswith(_PREFIX)}
