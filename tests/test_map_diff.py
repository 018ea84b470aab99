"""`map diff MAP MAP` and `map diff MAP FILE` on maps of our own, selected by pin."""

import contextlib
import ctypes
import io
import json
import os
import struct

import pytest

from tests import loader
from tests.kernel import bpfinspect, bpftool

A = {1: 10, 2: 20, 3: 30, 4: 40}
B = {2: 20, 3: 33, 4: 40, 5: 50}


def _hash_map(path, entries, name):
    fd = loader.create_map(loader.HASH, 4, 8, 64, name)
    try:
        keys = b"".join(struct.pack("<I", k) for k in entries)
        values = b"".join(struct.pack("<Q", v) for v in entries.values())
        loader.update_batch(fd, keys, values, len(entries))
        loader.pin_fd(fd, path)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _two_maps(bpffs, folder, first, second, names):
    """Two hash maps holding `first` and `second`, pinned as FOLDER/a and FOLDER/b in the
    test's bpffs, and unpinned (with the folder) however the block ends."""
    root = os.path.join(bpffs, folder)
    os.makedirs(root, exist_ok=True)
    a, b = os.path.join(root, "a"), os.path.join(root, "b")
    try:
        _hash_map(a, first, names[0])
        _hash_map(b, second, names[1])
        yield a, b
    finally:
        for p in (a, b):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(root)


@pytest.fixture(scope="module")
def pins(bpffs):
    with _two_maps(bpffs, "mapdiff", A, B, ("md_a", "md_b")) as paths:
        yield paths


def _hx(data):
    return ["0x%02x" % b for b in data]


TEXT = ("- key: 01 00 00 00  value: 0a 00 00 00 00 00 00 00\n"
        "~ key: 03 00 00 00  value: 1e 00 00 00 00 00 00 00 -> 21 00 00 00 00 00 00 00\n"
        "+ key: 05 00 00 00  value: 32 00 00 00 00 00 00 00\n"
        "1 added, 1 removed, 1 changed, 2 same\n")


def test_text(pins):
    a, b = pins
    proc = bpfinspect("map", "diff", "pinned", a, "pinned", b, check=1)
    assert proc.stdout == TEXT and proc.stderr == ""


def test_json(pins):
    a, b = pins
    proc = bpfinspect("-j", "map", "diff", "pinned", a, "pinned", b, check=1)
    k = lambda n: _hx(struct.pack("<I", n))  # noqa: E731
    v = lambda n: _hx(struct.pack("<Q", n))  # noqa: E731
    assert json.loads(proc.stdout) == {
        "added": [{"key": k(5), "value": v(50)}],
        "removed": [{"key": k(1), "value": v(10)}],
        "changed": [{"key": k(3), "old": {"key": k(3), "value": v(30)},
                     "new": {"key": k(3), "value": v(33)}}],
        "same": 2, "changed_during_read": False}


def test_same_file(pins, tmp_path):
    a, b = pins
    saved = tmp_path / "b.json"
    saved.write_text(bpfinspect("-j", "map", "dump", "pinned", b, check=0).stdout)
    proc = bpfinspect("map", "diff", "pinned", b, str(saved), check=0)
    assert proc.stdout == "0 added, 0 removed, 0 changed, 4 same\n"
    # the first MAP is the old side, FILE the new one
    assert bpfinspect("map", "diff", "pinned", a, str(saved), check=1).stdout == TEXT


def test_bpftool_file(pins, tmp_path):
    a, b = pins
    proc = bpftool("-j", "map", "dump", "pinned", b)
    assert proc.returncode == 0
    saved = tmp_path / "bt.json"
    saved.write_text(proc.stdout)
    assert bpfinspect("map", "diff", "pinned", a, str(saved), check=1).stdout == TEXT


def test_btf(loaded, tmp_path):
    """Values decoded by the map's BTF (counts: __u32 -> __u64), against an edited dump."""
    pin = loaded.map_pin("counts")
    for key, value in ((900, 7), (901, 8)):
        proc = bpftool("map", "update", "pinned", pin, "key", *map(str, struct.pack("<I", key)),
                       "value", *map(str, struct.pack("<Q", value)))
        assert proc.returncode == 0, proc.stderr
    try:
        dump = json.loads(bpfinspect("-j", "map", "dump", "pinned", pin, check=0).stdout)
        assert all("formatted" in e for e in dump)
        edited = [e for e in dump if e["formatted"]["key"] != 900]
        for e in edited:
            if e["formatted"]["key"] == 901:
                e["value"] = _hx(struct.pack("<Q", 9))
        edited.append({"key": _hx(struct.pack("<I", 902)), "value": _hx(struct.pack("<Q", 3))})
        saved = tmp_path / "counts.json"
        saved.write_text(json.dumps(edited))
        proc = bpfinspect("map", "diff", "pinned", pin, str(saved), check=1)
        assert proc.stdout == ("- key: 900  value: 7\n"
                               "~ key: 901  value: 8 -> 9\n"
                               "+ key: 902  value: 3\n"
                               "1 added, 1 removed, 1 changed, %u same\n" % (len(dump) - 2))
        out = json.loads(bpfinspect("-j", "map", "diff", "pinned", pin, str(saved),
                                    check=1).stdout)
        assert out["removed"][0]["formatted"] == {"key": 900, "value": 7}
        assert out["changed"][0]["new"]["formatted"] == {"key": 901, "value": 9}
    finally:
        for key in (900, 901):
            bpftool("map", "delete", "pinned", pin, "key", *map(str, struct.pack("<I", key)))


def _fails(*args, message):
    proc = bpfinspect(*args, check=255)
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: ") and message in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ('{"key": []}', "not a JSON array"),
    ('[1, 2]', "not an entry"),
    ('[{"key": ["0x01"], "value": []}]', "a key is not 4 bytes"),
    ('[{"key": ["0x01", "0x00", "0x00", "zz"], "value": []}]', "not hex"),
    ('[{"key": ["0x01", "0x00", "0x00", "0x00"]}]', 'no "value"'),
    ('[{"key": ["0x01", "0x00", "0x00", "0x00"], "value": ["0x01"]}]', "a value is not 8"),
])
def test_bad_file(pins, tmp_path, content, message):
    saved = tmp_path / "bad.json"
    saved.write_text(content)
    _fails("map", "diff", "pinned", pins[0], str(saved), message=message)


def test_bad_selectors(pins, tmp_path):
    a, _ = pins
    _fails("map", "diff", "pinned", a, str(tmp_path / "missing.json"),
           message="No such file")
    _fails("map", "diff", "name", "md_no_such_map", "pinned", a, message="no map with name")
    _fails("map", "diff", "pinned", a, "pinned", a, message="nothing to compare")
    _fails("map", "diff", "pinned", a, "id", "4294967295", message="")
    proc = bpfinspect("map", "diff", "pinned", a, check=255)
    assert "map diff       MAP { MAP | FILE }" in proc.stderr


def test_changed_during_read(pins, bpffs, monkeypatch):
    """A map written between reading it and reading it again: the result says so."""
    from bpfinspect.api import listing, mapdiff
    from bpfinspect.cli import selectors
    from bpfinspect.views.mapdiff import json_value, write_text

    a, b = pins
    c = os.path.join(bpffs, "mapdiff", "c")
    _hash_map(c, A, "md_c")
    try:
        chunks = mapdiff._map_chunks
        writes = []

        def writing(obj, *args):
            yield from chunks(obj, *args)
            if not writes:  # the first map was read: change it
                lb = loader._libbpf()
                lb.bpf_obj_get.argtypes = [ctypes.c_char_p]
                fd = lb.bpf_obj_get(c.encode())
                assert fd >= 0
                try:
                    loader.update_batch(fd, struct.pack("<I", 1), struct.pack("<Q", 11), 1)
                finally:
                    os.close(fd)
                writes.append(1)

        monkeypatch.setattr(mapdiff, "_map_chunks", writing)
        left = listing.opened_one("map", selectors.parse("map", ["pinned", c]), "")
        right = listing.opened_one("map", selectors.parse("map", ["pinned", b]), "")
        with left, right:
            result = mapdiff.diff(left, right)
        assert result.changed_during_read
        out = io.StringIO()
        write_text(out, result)
        assert "changed while it was read" in out.getvalue()
        assert json_value(result)["changed_during_read"] is True
    finally:
        os.unlink(c)


def _all_different_expected(old, new):
    """The exact text of `map diff` for maps of 4-byte keys and 8-byte values where every
    key's value differs, in the order of the keys' bytes."""
    lines = []
    for key in sorted(old, key=lambda k: struct.pack("<I", k)):
        lines.append("~ key: %s  value: %s -> %s\n" % (
            struct.pack("<I", key).hex(" "), struct.pack("<Q", old[key]).hex(" "),
            struct.pack("<Q", new[key]).hex(" ")))
    return "".join(lines) + "0 added, 0 removed, %u changed, 0 same\n" % len(old)


def test_all_different_spilled(bpffs, monkeypatch):
    """Every value different, the differences held in memory forced low: they go to many
    spills to the temporary file and come back sorted, in the exact order and form."""
    from bpfinspect.api import listing, mapdiff
    from bpfinspect.cli import selectors
    from bpfinspect.views.jsonw import JsonStream
    from bpfinspect.views.mapdiff import write_json, write_text

    old = {k * 2654435761 % 100003: k for k in range(60)}
    new = {k: v + 1000 for k, v in old.items()}
    with _two_maps(bpffs, "mapdiff_all", old, new, ("md_all_a", "md_all_b")) as (a, b):
        want = _all_different_expected(old, new)
        proc = bpfinspect("map", "diff", "pinned", a, "pinned", b, check=1)
        assert proc.stdout == want
        chunks = mapdiff._map_chunks

        def fives(*args):  # read 5 entries at a time: many small runs
            for keys, values, pk, pv in chunks(*args):
                for i in range(0, len(keys), 5):
                    yield keys[i:i + 5], values and values[i:i + 5], pk[i * 4:i * 4 + 20], \
                        pv[i * 8:i * 8 + 40]

        monkeypatch.setattr(mapdiff, "_map_chunks", fives)
        left = listing.opened_one("map", selectors.parse("map", ["pinned", a]), "")
        right = listing.opened_one("map", selectors.parse("map", ["pinned", b]), "")
        with left, right:
            result = mapdiff.diff(left, right, held_bytes=8 * 80)
        assert result.differences._signs["~"].spills >= 6  # spilled, at most 8 at a time
        out = io.StringIO()
        write_text(out, result)
        assert out.getvalue() == want
        out = io.StringIO()
        write_json(JsonStream(out), result)
        assert out.getvalue() == json.dumps(json.loads(
            bpfinspect("-j", "map", "diff", "pinned", a, "pinned", b, check=1).stdout),
            separators=(",", ":"))
        changed = json.loads(out.getvalue())["changed"]
        assert [bytes(int(x, 16) for x in c["key"]) for c in changed] == \
            sorted(struct.pack("<I", k) for k in old)
        result.differences.close()


def test_same_keys_some_values_differ(bpffs):
    """Every key on both sides, a third of the values changed: the differences are picked
    from the old and new values compared packed."""
    old = {k * 2654435761 % 100003: k << 40 for k in range(60)}
    new = {k: v + (1 if i % 3 == 0 else 0) for i, (k, v) in enumerate(old.items())}
    with _two_maps(bpffs, "mapdiff_some", old, new, ("md_some_a", "md_some_b")) as (a, b):
        changed = {k: v for k, v in old.items() if new[k] != v}
        want = _all_different_expected(changed, new).replace(
            " 0 same\n", " %u same\n" % (len(old) - len(changed)))
        assert bpfinspect("map", "diff", "pinned", a, "pinned", b, check=1).stdout == want


def test_file_read_in_parts(pins, tmp_path):
    """A saved dump read as a stream: in bpftool's pretty form too; cut short, or a saved
    document of another kind, is not a saved map dump."""
    a, b = pins
    proc = bpftool("-p", "map", "dump", "pinned", b)
    saved = tmp_path / "pretty.json"
    saved.write_text(proc.stdout)
    assert bpfinspect("map", "diff", "pinned", a, str(saved), check=1).stdout == TEXT
    dump = bpfinspect("-j", "map", "dump", "pinned", b, check=0).stdout
    cut = tmp_path / "cut.json"
    cut.write_text(dump[:len(dump) // 2])
    _fails("map", "diff", "pinned", a, str(cut), message="not JSON")
    other = tmp_path / "diff.json"
    other.write_text(bpfinspect("-j", "map", "diff", "pinned", a, "pinned", b, check=1).stdout)
    _fails("map", "diff", "pinned", a, str(other), message="not a JSON array of entries")
    other.write_text(bpfinspect("-j", "map", "show", "pinned", b, check=0).stdout)
    _fails("map", "diff", "pinned", a, str(other), message="not a JSON array of entries")
    other.write_text("[%s]" % bpfinspect("-j", "map", "show", "pinned", b, check=0).stdout)
    _fails("map", "diff", "pinned", a, str(other), message="an element is not an entry")
