"""Raw bytes formatted by their BTF type, as bpftool's BTF dumper does (btf_dumper.c).

format_value() returns what the JSON encoder writes: ints, bools, str, lists, dicts in member
order, and Encoded tokens for what bpftool prints raw (hex numbers in its plain-text mode,
`\\u00XX` characters). `plain` is bpftool's is_plain_text: the layout `map dump` uses without
-j. Where bpftool would write invalid JSON (a `"` or `\\` char), the text is escaped.
"""

import struct

from bpfinspect.btfparse import parser as P
from bpfinspect.btfparse.signature import type_only
from bpfinspect.constants import METADATA_PREFIX
from bpfinspect.errors import BtfError, FormatError
from bpfinspect.model import Encoded

INT_SIGNED, INT_CHAR, INT_BOOL = 1, 2, 4
ZERO_SIZE_SHOWN = 16  # elements of a zero-size type shown before the count of the rest
VALUES_PER_BYTE, VALUES_MIN = 8, 4096  # the most values a value of n bytes may format into
_MODIFIERS = (P.TYPEDEF, P.VOLATILE, P.CONST, P.RESTRICT, P.TYPE_TAG, P.VAR)
_MAX_DEPTH = 64


def resolve(btf, type_id, depth=0):
    """libbpf's btf__resolve_type: the type under typedefs, modifiers and vars."""
    while True:
        t = btf.type(type_id)
        if t.kind not in _MODIFIERS:
            return type_id
        type_id = t.type
        depth += 1
        if depth > _MAX_DEPTH:
            raise FormatError("BTF type %d: reference loop" % type_id)


def resolve_size(btf, type_id, depth=0):
    """libbpf's btf__resolve_size."""
    for _ in range(_MAX_DEPTH):
        t = btf.type(type_id)
        if t.kind in (P.INT, P.STRUCT, P.UNION, P.ENUM, P.ENUM64, P.DATASEC, P.FLOAT):
            return t.size
        if t.kind == P.PTR:
            return 8
        if t.kind == P.ARRAY:
            elem, _index, nelems = t.array()
            return nelems * resolve_size(btf, elem, depth + 1)
        if t.kind in _MODIFIERS or t.kind == P.DECL_TAG:
            type_id = t.type
            continue
        raise FormatError("BTF type %d has no size" % type_id)
    raise FormatError("BTF type %d: reference loop" % type_id)


def format_value(btf, type_id, data, plain=False, prog_name=None):
    """`data` (bytes) as BTF type `type_id`; FormatError when it cannot be.

    `prog_name` (bpftool's prog_id_as_func_ptr, for struct_ops values): a function pointer
    holding a program id prints as `<prototype> <name>/prog_id:<id>` (` 0` when null), the
    name being prog_name(id), or `<unknown_prog_name>` when that returns None.

    The work is bounded by the bytes formatted, not by what the type declares: elements
    are sliced as views (no copies), an array of zero-size elements shows ZERO_SIZE_SHOWN
    of them and a string saying how many more there are, and a value that would need more
    than VALUES_PER_BYTE values per byte of data is a FormatError."""
    try:
        return _Formatter(btf, plain, len(data), prog_name).do(type_id, 0, memoryview(data), 0)
    except (struct.error, IndexError, RecursionError) as exc:
        raise FormatError("BTF type %d does not fit the data: %s" % (type_id, exc)) from None


def metadata_variables(btf, datasec_id, data):
    """(name without the prefix, plain value, JSON value) of each `bpf_metadata_*` variable
    of the DATASEC `datasec_id` whose bytes are `data`, as bpftool's show_prog_metadata
    formats them; empty when the type is no DATASEC. A variable that cannot be formatted
    ends the list (bpftool: "btf dump failed", and no more variables)."""
    sec = btf.type(datasec_id)
    if sec.kind != P.DATASEC:
        return ()
    out = []
    for var_type, offset, _size in sec.variables():
        var = btf.type(var_type)
        if not var.name.startswith(METADATA_PREFIX):
            continue
        part = data[offset:]
        try:
            out.append((var.name[len(METADATA_PREFIX):], format_value(btf, var.type, part, True),
                        format_value(btf, var.type, part, False)))
        except BtfError:
            break
    return tuple(out)


def _hex128(value, plain):
    text = "0x%x" % value
    return Encoded(text) if plain else text


def _bits(data, bit_offset, nr_bits):
    """btf_dumper_bitfield: nr_bits at bit_offset (little-endian), as an unsigned number."""
    nbytes = (bit_offset + nr_bits + 7) // 8
    raw = int.from_bytes(bytes(data[:min(nbytes, 16)]).ljust(min(nbytes, 16), b"\0"), "little")
    return (raw >> bit_offset) & ((1 << nr_bits) - 1)


class _Formatter:
    def __init__(self, btf, plain, nbytes, prog_name=None):
        self.btf = btf
        self.plain = plain
        self.prog_name = prog_name
        self.budget = VALUES_PER_BYTE * nbytes + VALUES_MIN

    def do(self, type_id, bit_offset, data, depth):
        if depth > _MAX_DEPTH:
            raise FormatError("BTF type %d: nested too deep" % type_id)
        self.budget -= 1
        if self.budget < 0:
            raise FormatError("BTF type %d: too many values for the data's size" % type_id)
        t = self.btf.type(type_id)
        k = t.kind
        if k == P.INT:
            return self.int(t, bit_offset, data)
        if k in (P.STRUCT, P.UNION):
            return self.struct(t, data, depth)
        if k == P.ARRAY:
            return self.array(t, data, depth)
        if k == P.ENUM:
            return self.enum(t, data)
        if k == P.ENUM64:
            return self.enum64(t, data)
        if k == P.PTR:
            value = int.from_bytes(bytes(data[:8]).ljust(8, b"\0"), "little")
            if self.prog_name is not None and value <= 0xFFFFFFFF:
                text = self.func_ptr(t, value)
                if text is not None:
                    return text
            if self.plain:
                return "0x%x" % value if value else "(nil)"
            return value
        if k == P.UNKN:
            return Encoded("(unknown)")
        if k == P.FWD:
            raise FormatError("(fwd-kind-invalid)")
        if k in (P.TYPEDEF, P.VOLATILE, P.CONST, P.RESTRICT):
            return self.do(resolve(self.btf, type_id), bit_offset, data, depth + 1)
        if k == P.VAR:
            return {t.name: self.do(t.type, bit_offset, data, depth + 1)}
        if k == P.DATASEC:
            return {t.name: [self.do(var, 0, data[off:], depth + 1)
                             for var, off, _size in t.variables()]}
        raise FormatError("(unsupported-kind)")

    def func_ptr(self, t, prog_id):
        """btf_dumper's dump_prog_id_as_func_ptr, or None for a pointer that is not one."""
        proto_id = resolve(self.btf, t.type) if t.type else 0
        if not proto_id or self.btf.type(proto_id).kind != P.FUNC_PROTO:
            return None
        sig = type_only(self.btf, proto_id)
        if not sig:
            return None
        if not prog_id:
            return sig + " 0"
        name = self.prog_name(prog_id)
        return "%s %s/prog_id:%u" % (sig, name if name is not None else "<unknown_prog_name>",
                                     prog_id)

    def int(self, t, bit_offset, data):
        encoding, int_offset, nr_bits = t.int_encoding()
        if bit_offset or int_offset or nr_bits % 8:
            total = bit_offset + int_offset
            return _hex128(_bits(data[total // 8:], total % 8, nr_bits), self.plain)
        if nr_bits == 128:
            return _hex128(int.from_bytes(data[:16], "little"), self.plain)
        if encoding == INT_CHAR:
            c = data[0]
            if 0x20 <= c < 0x7F:
                return chr(c)
            return Encoded("0x%x" % c) if self.plain else Encoded('"\\u00%02x"' % c)
        if encoding == INT_BOOL:
            return data[0] != 0
        if encoding not in (0, INT_SIGNED) or nr_bits not in (8, 16, 32, 64):
            if encoding in (0, INT_SIGNED):
                return _hex128(_bits(data, 0, nr_bits), self.plain)
            raise FormatError("BTF int encoding %d" % encoding)
        n = nr_bits // 8
        return int.from_bytes(data[:n], "little", signed=encoding == INT_SIGNED) \
            if len(data) >= n else _short(n, data)

    def struct(self, t, data, depth):
        out = {}
        for name, member_type, offset, bitfield in t.members():
            part = data[offset // 8:]
            if bitfield:
                out[name] = _hex128(_bits(part, offset % 8, bitfield), self.plain)
            else:
                out[name] = self.do(member_type, offset % 8, part, depth + 1)
        return out

    def array(self, t, data, depth):
        elem, _index, nelems = t.array()
        if nelems and self.is_string(elem, data, nelems):
            text = bytes(data[:nelems])
            return text[:text.index(b"\0")].decode("ascii")
        size = resolve_size(self.btf, elem)
        if size == 0 and nelems > ZERO_SIZE_SHOWN:
            out = [self.do(elem, 0, data, depth + 1) for _ in range(ZERO_SIZE_SHOWN)]
            out.append("... %d more elements of size 0" % (nelems - ZERO_SIZE_SHOWN))
            return out
        return [self.do(elem, 0, data[i * size:], depth + 1) for i in range(nelems)]

    def is_string(self, elem, data, nelems):
        e = self.btf.type(elem)
        for _ in range(_MAX_DEPTH):
            if e.kind not in (P.VOLATILE, P.CONST, P.RESTRICT, P.TYPE_TAG):
                break
            e = self.btf.type(e.type)
        if e.kind != P.INT or e.size != 1:
            return False
        if e.int_encoding()[0] != INT_CHAR and e.name != "char":
            return False
        for c in data[:nelems]:
            if c == 0:
                return True
            if c <= 0x1F or c >= 0x7F:
                return False
        return False

    def enum(self, t, data):
        size = t.size
        if size not in (1, 2, 4, 8):
            raise FormatError("enum of %d bytes" % size)
        value = int.from_bytes(data[:size], "little", signed=True)
        for name, v in t.enumerators():
            if (v & 0xFFFFFFFF) == (value & 0xFFFFFFFF) if size <= 4 else v == value:
                return name
        return value

    def enum64(self, t, data):
        value = int.from_bytes(data[:8], "little")
        for name, v in t.enumerators():
            if v & (2**64 - 1) == value:
                return name
        return value if value < 2**63 else value - 2**64


def _short(n, data):
    raise FormatError("%d bytes expected, %d left" % (n, len(data)))
