"""The table-driven BTF paths against the per-type ones they replace: the section walk, the
raw text dump and the `format c` order (no kernel needed)."""

import os
import struct

from bpfinspect.btfparse import sort, sortkeys, table
from bpfinspect.btfparse.parser import Btf
from bpfinspect.views import btf as btf_view
from bpfinspect.views import btfraw
from tests.unit.test_btf import Builder, sample

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "small.btf")


def ties():
    """Types that tie on rank and names, so that the shape hash and the id decide."""
    b = Builder()
    b.add(1, "int", 4, extra=struct.pack("<I", (1 << 24) | 32))                    # 1
    member = struct.pack("<III", b.name("a"), 1, 0)
    b.add(4, "", 4, vlen=1, extra=member)                                           # 2 anon
    b.add(4, "", 4, vlen=1, extra=struct.pack("<III", b.name("b"), 1, 0))           # 3 anon
    b.add(4, "", 4, vlen=1, extra=member)                                           # 4 = 2
    b.add(2, word=2)                                                                # 5 ptr
    b.add(2, word=3)                                                                # 6 ptr
    b.add(10, word=2)                                                               # 7 const
    b.add(2, word=7)                                                                # 8 ptr
    b.add(4, "dup", 4, vlen=1, extra=struct.pack("<III", b.name("x"), 1, 0))        # 9
    b.add(4, "dup", 4, vlen=1, extra=struct.pack("<III", b.name("y"), 1, 0))        # 10
    b.add(8, "dup_t", 9)                                                            # 11
    b.add(2, word=11)                                                               # 12
    b.add(2, word=9)                                                                # 13
    b.add(2, word=10)                                                               # 14
    b.add(3, extra=struct.pack("<III", 5, 1, 3))                                    # 15 arr
    b.add(3, extra=struct.pack("<III", 6, 1, 3))                                    # 16 arr
    b.add(6, "", 4, vlen=1, extra=struct.pack("<Ii", b.name("E1"), 1))              # 17 enum
    b.add(6, "", 4, vlen=1, extra=struct.pack("<Ii", b.name("E0"), 1))              # 18 enum
    b.add(6, "", 4, vlen=0)                                                         # 19 enum
    b.add(13, word=1, vlen=0)                                                       # 20 proto
    b.add(13, word=1, vlen=0)                                                       # 21 proto
    b.add(12, "f", 20)                                                              # 22 func
    b.add(8, "int_t", 1)                                                            # 23
    b.add(8, "int_u", 23)                                                           # 24
    b.add(2, word=24)                                                               # 25
    b.add(19, "", 8, vlen=1, extra=struct.pack("<III", b.name("V"), 1, 0x80000000))  # 26
    b.add(4, "bits", 4, vlen=2, kflag=1, extra=struct.pack(                          # 27
        "<IIIIII", b.name("lo"), 1, 3 << 24, b.name("hi"), 1, (5 << 24) | 3))
    b.add(6, "signed", 4, vlen=2, kflag=1, extra=struct.pack(                       # 28
        "<IiIi", b.name("NEG"), -5, b.name("POS"), 7))
    return b.blob()


def long_chain(links):
    b = Builder()
    b.add(1, "int", 4, extra=struct.pack("<I", 32))
    for i in range(links):
        b.add(8, "t%d" % i, i + 1)
    b.add(2, word=links + 1)
    b.add(2, word=links + 1)
    return b.blob()


def blobs():
    return [ties(), long_chain(3), long_chain(40), open(GOLDEN, "rb").read()]


def test_walk_finds_the_records_the_parser_finds():
    for blob in blobs() + [sample()]:
        btf = Btf(blob)
        walked = table.walk(btf.types_data)
        assert walked is not None
        assert [start * 4 for start in walked[1]] == btf._index_slowly()


def test_walk_leaves_a_malformed_section_to_the_parser():
    btf = Btf(ties())
    assert table.walk(btf.types_data[:-4]) is None  # cut short
    assert table.walk(btf.types_data[:-2]) is None  # not whole words
    assert table.walk(struct.pack("<III", 0, 31 << 24, 0)) is None  # no such kind


def test_table_order_is_the_walking_order():
    for blob in (ties(), long_chain(3), long_chain(sortkeys._LONGEST_CHAIN - 1),
                 open(GOLDEN, "rb").read()):
        btf = Btf(blob)
        walked = sort._order_walking(btf)[0]
        assert sortkeys.order(btf) == walked
        kinds = {i: btf.type(i).kind for i in walked}
        for without in ((12,), (2, 10), (4, 1)):
            assert sortkeys.order(btf, without) == [i for i in walked if kinds[i] not in without]


def test_long_chains_and_loops_are_left_to_the_walks():
    for blob in (long_chain(40), sample()):
        btf = Btf(blob)
        assert sortkeys.order(btf) is None
        assert sort.order(btf) == sort._order_walking(btf)[0]


def test_order_without_kinds():
    btf = Btf(ties())
    ids = sort.order(btf, without=(12,))
    assert 22 not in ids and sorted(ids) == [i for i in range(1, btf.count) if i != 22]


def test_raw_text_by_table_is_the_per_type_text():
    for blob in blobs() + [sample()]:
        btf = Btf(blob)
        btf.check()
        ids = range(btf.start_id, btf.count)
        assert "".join(btfraw.raw_text_all(btf)) == "".join(btf_view.raw_text(btf, ids))


def test_only_sysfs_btf_is_trusted(tmp_path):
    from bpfinspect.api import btfdump

    path = tmp_path / "x.btf"
    path.write_bytes(ties())
    sneaky = "/sys/kernel/btf/" + "../" * 8 + str(path).lstrip("/")
    assert not btfdump.file_source(sneaky).trusted
    assert not btfdump.file_source(str(path)).trusted
    if os.path.exists("/sys/kernel/btf/vmlinux"):
        assert btfdump.file_source("/sys/kernel/btf/vmlinux").trusted
