"""The BTF parser and the prototype printer on hand-built blobs (no kernel needed)."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpfinspect.btfparse.parser import Btf
from bpfinspect.errors import BtfError
from bpfinspect.btfparse.signature import type_only


class Builder:
    """A BTF blob built type by type (ids from 1)."""

    def __init__(self):
        self.types = b""
        self.strings = b"\0"

    def name(self, text):
        off = len(self.strings)
        self.strings += text.encode() + b"\0"
        return off

    def add(self, kind, name="", word=0, vlen=0, kflag=0, extra=b""):
        info = (kflag << 31) | (kind << 24) | vlen
        self.types += struct.pack("<III", self.name(name) if name else 0, info, word) + extra
        return self.types.count  # unused: ids are tracked by the caller

    def blob(self):
        header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(self.types),
                             len(self.types), len(self.strings))
        return header + self.types + self.strings


def sample():
    b = Builder()
    b.add(1, "int", 4, extra=struct.pack("<I", (1 << 24) | 32))          # 1 int
    b.add(1, "unsigned int", 4, extra=struct.pack("<I", 32))             # 2
    b.add(8, "__u32", 2)                                                 # 3 typedef
    b.add(4, "pt_regs", 8, vlen=1, extra=struct.pack("<III", b.name("ip"), 2, 0))  # 4
    b.add(2, word=4)                                                     # 5 struct pt_regs *
    b.add(2, word=0)                                                     # 6 void *
    b.add(13, word=1, vlen=2, extra=struct.pack("<IIII", b.name("ctx"), 5, b.name("key"), 3))
    b.add(12, "trace", 7, vlen=1)                                        # 8 func
    b.add(10, word=1)                                                    # 9 const int
    b.add(3, extra=struct.pack("<III", 9, 1, 16))                        # 10 const int[16]
    b.add(13, word=0, vlen=3, extra=struct.pack("<IIIIII", 0, 6, 0, 10, 0, 0))  # 11 proto
    b.add(12, "vfunc", 11)                                               # 12 void vfunc(...)
    b.add(7, "later", kflag=1)                                           # 13 fwd union
    b.add(8, "loop_a", 15)                                               # 14 typedef -> 15
    b.add(8, "loop_b", 14)                                               # 15 typedef -> 14
    b.add(2, word=14)                                                    # 16 ptr to cycle
    b.add(13, word=16, vlen=0)                                           # 17
    b.add(12, "cyclic", 17)                                              # 18
    b.add(10, word=19)                                                   # 19 const -> itself
    b.add(13, word=19, vlen=0)                                           # 20
    b.add(12, "endless", 20)                                             # 21
    return b.blob()


def test_types_and_names():
    btf = Btf(sample())
    assert btf.count == 22
    assert [t.kind_name for t in btf.types()][:8] == [
        "INT", "INT", "TYPEDEF", "STRUCT", "PTR", "PTR", "FUNC_PROTO", "FUNC"]
    assert btf.type(1).int_encoding() == (1, 0, 32)
    assert btf.type(4).members() == [("ip", 2, 0, 0)]
    assert btf.type(10).array() == (9, 1, 16)
    assert btf.type(3).name == "__u32" and btf.type(3).type == 2


def test_prototypes():
    btf = Btf(sample())
    assert type_only(btf, 8) == "int trace(struct pt_regs * ctx, __u32 key)"
    assert type_only(btf, 12) == "void vfunc(void *, const int [16], ...)"
    assert type_only(btf, 13) == "union later "
    assert type_only(btf, 18) == "loop_a * cyclic()"  # a typedef prints its name only
    assert type_only(btf, 21) == ""  # a reference cycle: nothing, as for any unprintable type
    assert type_only(btf, 99) == ""


@pytest.mark.parametrize("blob,message", [
    (b"", "BTF is too short (0 bytes)"),
    (b"\x00" * 24, "invalid BTF magic 0x0000 (expected 0xeb9f)"),
    (struct.pack("<HBBIIIII", 0xEB9F, 2, 0, 24, 0, 0, 0, 1) + b"\0",
     "unsupported BTF version 2"),
    (struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 0x7FFFFFFF, 0, 1) + b"\0",
     "BTF type section (offset 0, length 2147483647) is out of bounds"),
    (struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 12, 12, 1) + struct.pack("<III", 0, 31 << 24,
                                                                          0) + b"\0",
     "BTF type 1 has unknown kind 31"),
    (struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 12, 12, 1) + struct.pack("<III", 0,
                                                                          4 << 24 | 9, 0)
     + b"\0", "BTF type 1 is truncated"),
])
def test_corrupt(blob, message):
    with pytest.raises(BtfError) as exc:
        Btf(blob).check()
    assert exc.value.message == message


def test_references_out_of_range():
    btf = Btf(sample())
    with pytest.raises(BtfError):
        btf.type(10**6)
    with pytest.raises(BtfError):
        btf.string(10**6)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_blobs_fail_cleanly(data):
    blob = bytearray(sample())
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    try:
        btf = Btf(bytes(blob))
        btf.check()
    except BtfError:
        return
    for type_id in range(btf.count + 2):
        type_only(btf, type_id)  # never raises
