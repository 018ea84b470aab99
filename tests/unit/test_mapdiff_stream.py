"""`map diff` without holding the differences or the FILE whole: the records that spill to
a temporary file and come back sorted (api/prefixsort.py, api/diffruns.py), the batch
rendering of the views against the per-difference one, and the streaming reader of a saved `-j map dump`
(api/savedmap.py), with the limits forced low so that every path runs."""

import io
import json
import random
import struct

import pytest

from bpfinspect.api import diffruns, mapdiff, savedmap
from bpfinspect.errors import BpfError
from bpfinspect.views import mapdiff as view
from bpfinspect.views.jsonw import JsonStream, encode
from tests.unit.records import layout


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(mapdiff, "_BATCH", 7)
    monkeypatch.setattr(view, "_RENDER_BYTES", 300)  # a batch rendered a few lines at a time


def test_merged_in_order():
    """Sorted streams of blocks of any lengths (some empty streams) merge into the sorted
    whole, equal records kept in the order of their streams."""
    rnd = random.Random(1)
    every = [rnd.randbytes(2) + struct.pack(">Q", i % 50) for i in range(2000)]
    streams = [sorted(every[i::5]) for i in range(5)] + [[]]

    def blocks(records):
        at = 0
        while at < len(records):
            n = rnd.randint(1, 40)
            yield records[at:at + n]
            at += n

    out = [r for block in diffruns.merged([blocks(s) for s in streams]) for r in block]
    assert out == sorted(every)
    assert [r for b in diffruns.merged([blocks(streams[0])]) for r in b] == streams[0]


def _differences(lay, rnd, count, flagged=()):
    """A Differences (held_bytes small: many runs) of `count` random keys and the list
    (sign, key, old, new) it should read back as, in key order."""
    diffs = mapdiff.Differences(lay.key_size, lay.value_bytes, held_bytes=3 * 10 * 80)
    vb = lay.value_bytes
    keys = rnd.sample(range(1 << 16), count)
    expected = []
    for n, k in enumerate(keys):
        key = struct.pack("<I", k)
        sign = "+-~"[n % 3] if n < count // 2 else "~"
        old, new = rnd.randbytes(vb), rnd.randbytes(vb)
        flags = None
        if sign == "+":
            diffs.add("+", key, new, None, 1)
            expected.append((key, n, ("+", key, None, new)))
            continue
        if n in flagged:
            flags, old = b"\1", None
        diffs.add(sign, key, old or b"\0" * vb, new if sign == "~" else None, 1, flags)
        expected.append((key, n, (sign, key, old, new if sign == "~" else None)))
    assert diffs._signs["~"].spills > 3
    return diffs, [e[2] for e in sorted(expected)]


class _Result:
    def __init__(self, lay, diffs, changed=False):
        self.layout, self.differences = lay, diffs
        self.same, self.changed_during_read, self.maps = 5, changed, "map 1"


@pytest.mark.parametrize("lay", [layout(), layout("per_cpu", 4, 12, ncpus=3)],
                         ids=["plain", "per_cpu"])
@pytest.mark.parametrize("flagged", [(), (4,)], ids=["exact", "changed_while_read"])
def test_batches_render_as_each_difference(small, lay, flagged):
    diffs, expected = _differences(lay, random.Random(2), 300, flagged)
    assert list(diffs) == expected
    out = io.StringIO()
    view.write_text(out, _Result(lay, diffs, bool(flagged)))
    counts = {s: sum(e[0] == s for e in expected) for s in "+-~"}
    want = "".join(view.line(lay, *e) for e in expected)
    want += "%u added, %u removed, %u changed, 5 same\n" % (counts["+"], counts["-"],
                                                           counts["~"])
    if flagged:
        want += "Note: map 1 changed while it was read; the differences may not be exact\n"
        assert "<changed while read>" in want
    assert out.getvalue() == want
    for pretty in (False, True):
        out = io.StringIO()
        view.write_json(JsonStream(out, pretty), _Result(lay, diffs, bool(flagged)))
        assert out.getvalue() == encode(view.json_value(_Result(lay, diffs, bool(flagged))),
                                        pretty)
    diffs.close()


# --- a saved -j map dump, read a part at a time -----------------------------------------

def _entries(n):
    return [(struct.pack("<I", i), struct.pack("<Q", i * 7919)) for i in range(n)]


def _saved(entries, indent=None):
    return json.dumps([{"key": ["0x%02x" % b for b in k], "value": ["0x%02x" % b for b in v]}
                       for k, v in entries], indent=indent, separators=(",", ":")
                      if indent is None else None)


def _read(tmp_path, text, lay=None):
    path = tmp_path / "saved.json"
    path.write_text(text)
    lay = lay or layout()
    out = []
    for chunk in savedmap.chunks(str(path), lay, size=10):
        if isinstance(chunk, tuple):
            keys, values, n = chunk
            out.extend((keys[i * 4:i * 4 + 4], values[i * 8:i * 8 + 8]) for i in range(n))
        else:
            out.extend(chunk)
    return out


@pytest.fixture
def tiny_reads(monkeypatch):
    monkeypatch.setattr(savedmap, "CHUNK", 37)  # elements cut across reads
    monkeypatch.setattr(savedmap, "_RUN", 16)


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "pretty"])
def test_saved_dump_read_in_parts(tmp_path, tiny_reads, indent):
    entries = _entries(200)
    assert _read(tmp_path, _saved(entries, indent)) == entries
    # irregular elements among regular ones: an error entry, an extra member, spaces
    text = _saved(entries)
    odd = ('{"key":["0x01","0x02","0x03","0x04"],"value":{"error":"No such file"}},'
           '{"key":["0x05","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00",'
           '"0x00","0x00","0x00","0x00"],"formatted":{"key":5}}, ')
    text = text[:1] + odd + text[1:]
    assert _read(tmp_path, text) == [(b"\5\0\0\0", b"\1" + b"\0" * 7)] + entries
    assert _read(tmp_path, " [ ] ") == []


@pytest.mark.parametrize("text, message", [
    ("", "not JSON"),
    ("not json", "not JSON"),
    ('{"key": []}', "not a JSON array"),
    ('"a string"', "not a JSON array"),
    ("[1, 2]", "not an entry"),
    ("[] []", "not JSON"),
    (_saved(_entries(100))[:-700], "not JSON"),  # truncated
    (_saved(_entries(100))[:-1], "not JSON"),
    (_saved(_entries(100)).replace(",", ";", 150), "not JSON"),
    (_saved(_entries(3)).replace('"0x00"', '"zz"', 1), "not hex"),
    (_saved([(b"\1\0\0\0", b"\1")]), "a value is not 8 bytes"),
])
def test_saved_dump_errors(tmp_path, tiny_reads, text, message):
    with pytest.raises(BpfError) as exc:
        _read(tmp_path, text)
    assert message in str(exc.value)
    assert "is not a saved 'map dump'" in str(exc.value)
