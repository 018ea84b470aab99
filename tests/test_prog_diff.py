"""`prog diff`: programs loaded from raw instructions that differ in one instruction, only
in which map (of the same name) they use, and by a function; against a saved dump; bad
input."""

import json
import os
import shutil

import pytest

from tests import loader
from tests.kernel import bpfinspect

EXIT = (0x95, 0, 0, 0, 0)
PSEUDO_MAP_FD = 1
PSEUDO_CALL = 1


def ld_map(fd):
    return [(0x18, 1, PSEUDO_MAP_FD, 0, fd), (0, 0, 0, 0, 0)]


def mov_r0(value):
    return (0xB7, 0, 0, 0, value)


@pytest.fixture(scope="module")
def progs(bpffs):
    """{key: (pin, id)} of this module's programs, pinned under <bpffs>/pdiff."""
    root = os.path.join(bpffs, "pdiff")
    os.makedirs(root)
    maps = [loader.create_map(loader.HASH, 4, 8, 4, "pdiff_map") for _ in range(3)]
    try:
        programs = {
            "one_a": ("pdiff_one", ld_map(maps[0]) + [mov_r0(0), EXIT]),
            "one_b": ("pdiff_one", ld_map(maps[0]) + [mov_r0(1), EXIT]),
            "map_a": ("pdiff_map_a", ld_map(maps[1]) + [mov_r0(2), EXIT]),
            "map_b": ("pdiff_map_b", ld_map(maps[2]) + [mov_r0(2), EXIT]),
            "fn_a": ("pdiff_fn_a", [mov_r0(0), EXIT]),
            "fn_b": ("pdiff_fn_b", [(0x85, 0, PSEUDO_CALL, 0, 1), EXIT, mov_r0(0), EXIT]),
        }
        out = {}
        for key, (name, slots) in programs.items():
            pin = os.path.join(root, key)
            loader.load_and_pin(loader.assemble(slots), pin, name)
            shown = json.loads(bpfinspect("-j", "prog", "show", "pinned", pin, check=0).stdout)
            out[key] = (pin, shown["id"])
        yield out
    finally:
        for fd in maps:
            os.close(fd)
        shutil.rmtree(root, ignore_errors=True)


def diff(*args, **kwargs):
    return bpfinspect("prog", "diff", *args, **kwargs)


def test_one_instruction(progs):
    (a, a_id), (b, b_id) = progs["one_a"], progs["one_b"]
    proc = diff("pinned", a, "pinned", b, check=1)
    assert proc.stdout == (
        "--- id %d (name pdiff_one) func func_0\n"
        "+++ id %d (name pdiff_one) func func_0\n"
        "@@ -1,3 +1,3 @@\n"
        " (18) r1 = map[pdiff_map]\n"
        "-(b7) r0 = 0\n"
        "+(b7) r0 = 1\n"
        " (95) exit\n" % (a_id, b_id))
    assert proc.stderr == ""
    doc = json.loads(diff("-j", "id", str(a_id), "id", str(b_id), check=1).stdout)
    assert doc["same"] is False and doc["by_tag"] is False
    assert doc["functions"] == [{
        "name": "func_0", "old_name": "func_0", "status": "changed",
        "hunks": [{"old_start": 1, "old_lines": 3, "new_start": 1, "new_lines": 3,
                   "lines": [" (18) r1 = map[pdiff_map]", "-(b7) r0 = 0", "+(b7) r0 = 1",
                             " (95) exit"]}]}]
    # itself: the same, by tag
    assert diff("pinned", a, "pinned", a, check=0).stdout == ""


def test_colour(progs):
    (a, _), (b, _) = progs["one_a"], progs["one_b"]
    proc = diff("--color", "always", "pinned", a, "pinned", b, check=1)
    assert "\x1b[31m-(b7) r0 = 0\x1b[0m" in proc.stdout
    assert "\x1b[32m+(b7) r0 = 1\x1b[0m" in proc.stdout
    assert "\x1b[36m@@ -1,3 +1,3 @@\x1b[0m" in proc.stdout
    plain = diff("pinned", a, "pinned", b, check=1).stdout  # piped: no colour
    assert "\x1b" not in plain


def test_map_reference_only(progs, tmp_path):
    (a, a_id), (b, b_id) = progs["map_a"], progs["map_b"]
    proc = diff("pinned", a, "pinned", b, check=0)
    assert proc.stdout == "" and proc.stderr == ""
    doc = json.loads(diff("-j", "pinned", a, "pinned", b, check=0).stdout)
    assert doc == {"same": True, "by_tag": True, "old": "id %d (name pdiff_map_a)" % a_id,
                   "new": "id %d (name pdiff_map_b)" % b_id, "functions": []}
    # against a saved dump of the other: map ids are numbered there, not named
    saved = tmp_path / "map_a.json"
    saved.write_text(bpfinspect("-j", "prog", "dump", "xlated", "pinned", a, check=0).stdout)
    assert diff("pinned", b, str(saved), check=0).stdout == ""
    doc = json.loads(diff("-j", "pinned", b, str(saved), check=0).stdout)
    assert doc["same"] is True and doc["by_tag"] is False
    assert [f["status"] for f in doc["functions"]] == ["same"]


def test_against_saved_dump(progs, tmp_path):
    (a, a_id), (b, _) = progs["one_a"], progs["one_b"]
    saved = tmp_path / "one_b.json"
    saved.write_text(bpfinspect("-j", "-p", "prog", "dump", "xlated", "pinned", b,
                                check=0).stdout)
    assert diff("pinned", b, str(saved), check=0).stdout == ""
    proc = diff("pinned", a, str(saved), check=1)
    assert proc.stdout == (
        "--- id %d (name pdiff_one) func func_0\n"
        "+++ %s func func_0\n"
        "@@ -1,3 +1,3 @@\n"
        " (18) r1 = map[#1]\n"
        "-(b7) r0 = 0\n"
        "+(b7) r0 = 1\n"
        " (95) exit\n" % (a_id, saved))


def test_function_added(progs):
    (a, a_id), (b, b_id) = progs["fn_a"], progs["fn_b"]
    proc = diff("pinned", a, "pinned", b, check=1)
    assert proc.stdout == (
        "--- id %d (name pdiff_fn_a) func func_0\n"
        "+++ id %d (name pdiff_fn_b) func func_0\n"
        "@@ -1,2 +1,2 @@\n"
        "-(b7) r0 = 0\n"
        "+(85) call func_1\n"
        " (95) exit\n"
        "--- /dev/null\n"
        "+++ id %d (name pdiff_fn_b) func func_1\n"
        "@@ -0,0 +1,2 @@\n"
        "+(b7) r0 = 0\n"
        "+(95) exit\n" % (a_id, b_id, b_id))
    doc = json.loads(diff("-j", "pinned", b, "pinned", a, check=1).stdout)
    assert [(f["name"], f["status"]) for f in doc["functions"]] == [
        ("func_0", "changed"), ("func_1", "removed")]


def _error(proc):
    assert proc.returncode == 255, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


def test_bad_input(progs, tmp_path):
    a, _ = progs["one_a"]
    assert "no" in _error(diff("pinned", a, "name", "pdiff_nosuch")).lower()
    assert "matches 2 programs" in _error(diff("name", "pdiff_one", "pinned", a))
    assert "can't read" in _error(diff("pinned", a, str(tmp_path / "missing.json")))
    not_json = tmp_path / "not.json"
    not_json.write_text("(b7) r0 = 0\n")
    assert "is not JSON" in _error(diff("pinned", a, str(not_json)))
    wrong = tmp_path / "map.json"
    wrong.write_text('[{"key": ["0x00"], "value": ["0x01"]}]\n')
    assert "is not a saved '-j prog dump xlated'" in _error(diff("pinned", a, str(wrong)))
    shown = tmp_path / "show.json"
    shown.write_text(bpfinspect("-j", "prog", "show", "pinned", a, check=0).stdout)
    assert "is not a saved" in _error(diff("pinned", a, str(shown)))


def test_usage(progs):
    a, _ = progs["one_a"]
    proc = diff("pinned", a)
    assert proc.returncode == 255 and "prog diff PROG" in proc.stderr
    proc = diff("-j", "pinned", a)
    assert proc.returncode == 255 and proc.stdout.strip() == "null"
