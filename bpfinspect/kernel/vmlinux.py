"""Facts about the running kernel's own types, from its BTF (/sys/kernel/btf/vmlinux): where
a field lies in a struct, a function's id and parameters. libbpf parses and searches it in
C (3 to 10 ms here), where a Python parse of the whole of it costs ten times that; only
the few types asked for are read from Python."""

import ctypes

from bpfinspect import constants as C
from bpfinspect.btfparse import files
from bpfinspect.errors import BpfError
from bpfinspect.kernel import uapi
from bpfinspect.kernel.libbpf import lib

_MODIFIERS = (C.BTF_KIND_TYPEDEF, C.BTF_KIND_VOLATILE, C.BTF_KIND_CONST, C.BTF_KIND_RESTRICT,
              C.BTF_KIND_TYPE_TAG)
_TYPE_SIZE = 12  # struct btf_type; its members or parameters follow it


class VmlinuxBtf:
    """The kernel's BTF, loaded by libbpf (the one loader of it: `pids`, helper names,
    struct_ops and cgroup attach names all ask here); LookupError when a name or field is
    missing, OSError when there is no BTF. A context manager."""

    def __init__(self):
        self.lb = lib()
        self._ids = {}  # (name, kind): type id
        self.btf = self._parsed() or (self.lb.btf__load_vmlinux_btf()
                                      if self.lb.has("btf__load_vmlinux_btf") else None)
        if not self.btf or self.lb.libbpf_get_error(self.btf):
            self.btf = None
            raise OSError("no vmlinux BTF")

    def _parsed(self):
        """libbpf's btf over the bytes of /sys/kernel/btf/vmlinux as btfparse.files reads
        them (copied from a mapping where the kernel allows one), or None.
        btf__load_vmlinux_btf reads the file itself, which sysfs hands out a page per read:
        1,300 reads, more than half of its ~9 ms here; the parse takes ~3 ms."""
        try:
            data = files.read(C.VMLINUX_BTF)
        except BpfError:
            return None
        btf = self.lb.btf__new(data, len(data))
        if not btf or self.lb.libbpf_get_error(btf):
            return None
        return btf

    def close(self):
        if self.btf:
            self.lb.btf__free(self.btf)
            self.btf = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def find(self, name, kind):
        if (name, kind) in self._ids:
            return self._ids[name, kind]
        type_id = self.lb.btf__find_by_name_kind(self.btf, name.encode(), kind)
        if type_id <= 0:
            raise LookupError("no %s %s in vmlinux BTF" % (C.BTF_KIND_NAMES[kind], name))
        self._ids[name, kind] = type_id
        return type_id

    def _type(self, type_id):
        """(kind, vlen, size_or_type, address of what follows) of a type."""
        t = self.lb.btf__type_by_id(self.btf, type_id)
        if not t:
            raise LookupError("no BTF type %d" % type_id)
        info = t.contents.info
        return ((info >> 24) & 0x1F, info & 0xFFFF, t.contents.size_or_type,
                ctypes.addressof(t.contents) + _TYPE_SIZE, info >> 31)

    def _name(self, name_off, errors="replace"):
        return (self.lb.btf__name_by_offset(self.btf, name_off) or b"").decode("utf-8", errors)

    def count(self):
        """How many types there are, void included."""
        return self.lb.btf__type_cnt(self.btf)

    def type_name(self, type_id, errors="replace"):
        """The name of type `type_id` ("" when it has none), or None when there is no such
        type."""
        t = self.lb.btf__type_by_id(self.btf, type_id)
        if not t:
            return None
        return self._name(t.contents.name_off, errors)

    def enum_values(self, name):
        """[(enumerator name, value)] of the 32-bit enum `name`, in order."""
        _kind, vlen, _size, extra, _kflag = self._type(self.find(name, C.BTF_KIND_ENUM))
        enums = (uapi.btf_enum * vlen).from_address(extra)
        return [(self._name(e.name_off), e.val) for e in enums]

    def _resolve(self, type_id):
        """The type under typedefs and qualifiers."""
        while True:
            kind, _vlen, next_id, _extra, _kflag = self._type(type_id)
            if kind not in _MODIFIERS:
                return type_id, kind
            type_id = next_id

    def _member(self, type_id, name):
        """(byte offset, type id) of member `name` of a struct or union, looking into its
        anonymous members as C does; None when it has no such member. Names are read
        only up to the one asked for (reading all of task_struct's costs more)."""
        type_id, kind = self._resolve(type_id)
        if kind not in (C.BTF_KIND_STRUCT, C.BTF_KIND_UNION):
            return None
        _kind, vlen, _size, extra, kflag = self._type(type_id)
        members = (ctypes.c_uint32 * (3 * vlen)).from_address(extra)
        anonymous = []
        for i in range(vlen):
            name_off, member_type, offset = members[3 * i:3 * i + 3]
            bits = offset & 0xFFFFFF if kflag else offset
            if name_off == 0:
                anonymous.append((bits, member_type))
            elif self._name(name_off) == name:
                if bits % 8:
                    raise LookupError("%s is a bit field" % name)
                return bits // 8, member_type
        for bits, member_type in anonymous:
            found = self._member(member_type, name)
            if found is not None:
                return bits // 8 + found[0], found[1]
        return None

    def offset(self, struct_name, path):
        """Byte offset of `path` ('f_path.dentry') in struct `struct_name`."""
        type_id = self.find(struct_name, C.BTF_KIND_STRUCT)
        total = 0
        for name in path.split("."):
            found = self._member(type_id, name)
            if found is None:
                raise LookupError("struct %s has no %s" % (struct_name, path))
            total += found[0]
            type_id = found[1]
        return total

    def func(self, name):
        """(type id, parameter names) of the kernel function `name`."""
        func_id = self.find(name, C.BTF_KIND_FUNC)
        _kind, _vlen, proto_id, _extra, _kflag = self._type(func_id)
        kind, vlen, _ret, extra, _kflag = self._type(proto_id)
        if kind != C.BTF_KIND_FUNC_PROTO:
            raise LookupError("%s has no prototype" % name)
        params = (ctypes.c_uint32 * (2 * vlen)).from_address(extra)
        return func_id, [self._name(params[2 * i]) for i in range(vlen)]
