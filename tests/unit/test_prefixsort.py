"""The external radix sort of `map diff`'s difference records (api/prefixsort.py): what
it reads back is exactly sorted() of what went in, held, spilled, or split again by later
bytes when a bucket holds more than may be sorted at once."""

import random

import pytest

from bpfinspect.api import diffruns, prefixsort


def _records(rnd, n, size, lead=b""):
    """n distinct random records of `size` bytes, all beginning with `lead`."""
    out = set()
    while len(out) < n:
        out.add(lead + rnd.randbytes(size - len(lead)))
    out = list(out)
    rnd.shuffle(out)
    return out


def _fill(records, size, spill_every=None, adds=7):
    spill = diffruns.SpillFile()
    buckets = prefixsort.PrefixBuckets(size, spill)
    for at in range(0, len(records), adds):
        part = records[at:at + adds]
        buckets.add(part, b"".join(part) if at % 2 else None)
        if spill_every and buckets.held >= spill_every:
            buckets.spill()
    return buckets, spill


def _read(buckets, limit):
    blocks = list(buckets.sorted_blocks(limit))
    assert all(len(b) <= max(limit, 1) for b in blocks)
    return [r for b in blocks for r in b]


@pytest.mark.parametrize("spill_every", [None, 1, 50], ids=["held", "spill-each", "spill-50"])
def test_reads_back_sorted(spill_every):
    rnd = random.Random(3)
    records = _records(rnd, 3000, 13)
    buckets, spill = _fill(records, 13, spill_every)
    assert buckets.count == 3000
    if spill_every:
        assert buckets.spills > 1
    for _ in range(2):  # read twice: the records stay
        assert _read(buckets, 10 ** 6) == sorted(records)
    spill.close()


@pytest.mark.parametrize("spill_every", [None, 40], ids=["held", "spilled"])
def test_crowded_bucket_split_again(spill_every):
    """Records that share their first bytes (as keys in network byte order do) land in
    one bucket, more than may be sorted at once: it is split again, by the byte after the
    bytes they all share."""
    rnd = random.Random(4)
    records = _records(rnd, 1500, 12, b"\x0a\x00") + _records(rnd, 500, 12, b"\x0a\x01\x02")
    records += _records(rnd, 300, 12)
    rnd.shuffle(records)
    buckets, spill = _fill(records, 12, spill_every)
    for _ in range(2):
        assert _read(buckets, 25) == sorted(records)
        crowded = buckets._split[0x0a]
        assert crowded.depth == 1
        assert crowded._split[0].depth == 2 and crowded._split[1].depth == 3
    spill.close()


def test_common_leading_bytes_skipped():
    """Keys whose first bytes are the same in every record (an interface index, padding):
    the crowded bucket is split again once, by the first byte that differs."""
    rnd = random.Random(5)
    records = _records(rnd, 2000, 12, b"\x01\x00\x00\x00\x07\x07")
    buckets, spill = _fill(records, 12, 300)
    assert _read(buckets, 25) == sorted(records)
    assert buckets._split[1].depth == 6
    spill.close()


def test_equal_records_past_the_last_byte():
    """Records alike in every byte cannot be told apart: they come back together, as
    many as there are, no more than the limit at a time."""
    records = [b"\1\2\3"] * 40 + [b"\1\2\4"] * 3 + [b"\0\0\0"]
    buckets, spill = _fill(records, 3, 5)
    assert _read(buckets, 4) == sorted(records)
    spill.close()


@pytest.mark.parametrize("n", [0, 1, 2, 16383, 16384, 16385, 40000])
def test_split(n):
    rnd = random.Random(n)
    data = rnd.randbytes(9 * n)
    assert prefixsort.split(data, 9) == [data[i:i + 9] for i in range(0, len(data), 9)]
