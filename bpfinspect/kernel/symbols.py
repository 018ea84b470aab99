"""Names the kernel gives to addresses and ids: /proc/kallsyms and the helper table.

/proc/kallsyms is read only when a call needs it, and whole (the kernel formats it line by
line, so there is no cheaper partial read of the part we need); its core part is sorted by
address, so lookups bisect its lines and fall back to a full table when that misses.
"""

import bisect
import ctypes

from bpfinspect.kernel import uapi
from bpfinspect.kernel.libbpf import lib

KALLSYMS = "/proc/kallsyms"


class Kallsyms:
    """/proc/kallsyms as read by one bpfinspect run. call_base is the address of
    `__bpf_call_base`, 0 when the file is unreadable or kptr_restrict hides addresses
    (then nothing resolves, as in bpftool)."""

    def __init__(self, data):
        self.lines = data.split(b"\n") if data else []
        self.width = self.lines[0].find(b" ") if self.lines and self.lines[0] else 16
        self._table = None
        self.call_base = 0
        pos = data.find(b" __bpf_call_base\n") if data else -1
        if pos < 0 and data and data.endswith(b" __bpf_call_base"):
            pos = len(data) - len(b" __bpf_call_base")
        if pos >= 0:
            start = data.rfind(b"\n", 0, pos) + 1
            self.call_base = int(data[start:start + self.width], 16)

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


def read_kallsyms():
    try:
        with open(KALLSYMS, "rb") as f:
            return Kallsyms(f.read())
    except OSError:
        return Kallsyms(b"")


_PREFIX = "BPF_FUNC_"


def helper_names():
    """{helper id: `bpf_<name>`} from the running kernel's `enum bpf_func_id` (vmlinux BTF);
    None when the kernel has no BTF."""
    lb = lib()
    if not lb.has("btf__load_vmlinux_btf"):
        return None
    btf = lb.btf__load_vmlinux_btf()
    if not btf or lb.libbpf_get_error(btf):
        return None
    try:
        type_id = lb.btf__find_by_name_kind(btf, b"bpf_func_id", uapi.BTF_KIND_ENUM)
        if type_id <= 0:
            return None
        t = lb.btf__type_by_id(btf, type_id)
        vlen = t.contents.info & 0xFFFF
        enums = ctypes.cast(ctypes.addressof(t.contents) + ctypes.sizeof(uapi.btf_type),
                            ctypes.POINTER(uapi.btf_enum * vlen)).contents
        out = {}
        for e in enums:
            name = lb.btf__name_by_offset(btf, e.name_off)
            if name:
                name = name.decode("ascii", "replace")
                if name.startswith(_PREFIX) and not name.startswith("__"):
                    out[e.val] = "bpf_" + name[len(_PREFIX):]
        return out
    finally:
        lb.btf__free(btf)
