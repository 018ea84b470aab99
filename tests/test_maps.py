"""`map dump|lookup|getnext|peek` and program metadata on the live kernel, against bpftool.

The maps are filled here with bpftool's own `map update`/`push`; bpfinspect only reads."""

import json
import os
import re
import struct
import threading

import pytest

from tests import loader
from tests.kernel import bpfinspect, bpftool, bpftool_json


def update(pin, key, value, verb="update"):
    args = ["map", verb, "pinned", pin]
    if key is not None:
        args += ["key", "hex", *("%02x" % b for b in key)]
    args += ["value", "hex", *("%02x" % b for b in value)]
    proc = bpftool(*args)
    assert proc.returncode == 0, (args, proc.stderr)


def rich_value(small, name, color, flag, level, delta, neg, big, wide, arr, ptr, ok, c, un):
    """struct rich of tests/bpf/code.bpf.c, 80 bytes."""
    bits = flag | level << 1 | (delta & 0x1F) << 4
    return (struct.pack("<B12s3xi", small, name, color) + struct.pack("<H", bits)
            + struct.pack("<hQ", neg, big) + wide.to_bytes(16, "little")
            + struct.pack("<3I4xQ?B2xI", *arr, ptr, ok, c, un))


@pytest.fixture(scope="module")
def maps(loaded, code_loaded):
    """name -> pin of every test map, filled."""
    pins = {name: loaded.map_pin(name) for name in loaded.maps}
    code_maps = os.path.join(os.path.dirname(os.path.dirname(code_loaded)), "codemaps")
    for name in os.listdir(code_maps):
        pins[name] = os.path.join(code_maps, name)
    u32, u64 = (lambda v: struct.pack("<I", v)), (lambda v: struct.pack("<Q", v))
    for k in (1, 2, 3):
        update(pins["counts"], u32(k), u64(k * 1000 + 7))
    update(pins["slots"], u32(3), u64(2**64 - 1))
    update(pins["percpu_h"], u32(5), u32(9))
    update(pins["percpu_a"], u32(1), u64(0x0102030405060708))
    update(pins["lru"], u64(0x1122), u64(33))
    update(pins["routes"], struct.pack("<I4B", 24, 10, 1, 2, 0), u32(1))
    update(pins["inner_a"], u32(0), u32(42))
    update(pins["fifo"], None, u32(11), "push")
    update(pins["fifo"], None, u32(12), "push")
    update(pins["lifo"], None, u32(21), "push")
    update(pins["rich"], u32(1), rich_value(
        0x7F, b"hello", -1, 1, 5, -3, -2, 0x1122334455667788,
        0x0102030405060708090A0B0C0D0E0F10, (1, 2, 3), 0xFFFF888012345678, True, ord("A"),
        0x64636261))
    update(pins["rich"], u32(2), rich_value(0, b"x" * 12, 7, 0, 0, 0, 0, 0, 5, (0, 0, 0), 0,
                                            False, 1, 0))
    update(pins["percpu_lru"], u64(77), u32(0xABCDEF))
    proc = bpftool("map", "update", "pinned", pins["jump_table"], "key", "0", "0", "0", "0",
                   "value", "pinned", loaded.prog_pin("tail"))
    assert proc.returncode == 0, proc.stderr
    return pins


def contents(maps):
    return {name: bpftool("-j", "map", "dump", "pinned", pin).stdout
            for name, pin in maps.items() if name not in ("events", "perf_out", "fifo", "lifo")}


def as_71(ours):
    """bpfinspect's plain BTF dump in bpftool 7.1's form: 7.1 prints pointers unquoted (the
    newest quotes them, as "%p")."""
    return re.sub(r'"ptr": "([^"]*)"', r'"ptr": \1', ours)


DUMPABLE = ["counts", "slots", "percpu_h", "percpu_a", "lru", "routes", "inner_a",
            "jump_table", "objects_bss", "objects_data", "objects_rodata", "rich", "percpu_lru",
            "stats", "code_bss", "code_rodata"]


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
def test_dump_same_as_bpftool(maps, fmt):
    for name in DUMPABLE:
        args = (*fmt, "map", "dump", "pinned", maps[name])
        theirs = bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        ours = bpfinspect(*args, check=0).stdout
        assert (ours if fmt else as_71(ours)) == theirs.stdout, name
        if fmt:
            json.loads(ours)
    assert as_71(bpfinspect("map", "dump", "pinned", maps["rich"]).stdout) != \
        bpfinspect("map", "dump", "pinned", maps["rich"]).stdout


def test_btf_formatting(maps):
    """Every way the BTF dumper formats: numbers, strings, enums by name, bitfields and
    128-bit ints in hex, pointers, bools, chars, arrays, unions."""
    out = json.loads(bpfinspect("-j", "map", "lookup", "pinned", maps["rich"], "key", "1", "0",
                                "0", "0", check=0).stdout)
    assert out["formatted"] == {"key": 1, "value": {
        "small": 127, "name": "hello", "color": "DARK", "flag": "0x1", "level": "0x5",
        "delta": "0x1d", "neg": -2, "big": 1234605616436508552,
        "wide": "0x102030405060708090a0b0c0d0e0f10", "arr": [1, 2, 3],
        "ptr": 0xFFFF888012345678, "ok": True, "c": 65,
        "un": {"u": 1684234849, "b": [97, 98, 99, 100]}}}
    text = bpfinspect("map", "lookup", "pinned", maps["rich"], "key", "2", "0", "0", "0",
                      check=0).stdout
    assert '"name": [120,120,120,120,120,120,120,120,120,120,120,120' in text  # no NUL
    assert '"color": 7,' in text and '"ptr": "(nil)",' in text and '"c": 1,' in text
    assert '"wide": 0x5,' in text
    data = json.loads(bpfinspect("-j", "map", "dump", "pinned", maps["objects_data"],
                                 check=0).stdout)
    assert list(data[0]["formatted"]["value"]) == [".data"]


def test_dump_globals_and_per_cpu(maps):
    ours = json.loads(bpfinspect("-j", "map", "dump", "pinned", maps["percpu_a"],
                                 check=0).stdout)
    ncpus = os.cpu_count()
    assert len(ours[1]["values"]) >= ncpus
    assert ours[1]["formatted"]["values"][0] == {"cpu": 0, "value": 0x0102030405060708}


def test_map_of_maps_newest_form(maps):
    inner_id = bpftool_json("map", "show", "pinned", maps["inner_a"])["id"]
    out = bpfinspect("map", "dump", "pinned", maps["outer"], check=0).stdout
    assert out == "key: 00 00 00 00  inner_map_id: %u \nFound 1 element\n" % inner_id
    parsed = json.loads(bpfinspect("-j", "map", "dump", "pinned", maps["outer"],
                                   check=0).stdout)
    assert parsed[0]["inner_map_id"] == inner_id


def test_lookup_getnext_peek_same_as_bpftool(maps):
    cases = [
        ("lookup", "counts", ["key", "1", "0", "0", "0"]),
        ("lookup", "counts", ["key", "hex", "02", "00", "00", "00"]),
        ("lookup", "counts", ["key", "0x03", "0", "0", "00"]),
        ("lookup", "counts", ["key", "9", "0", "0", "0"]),            # not found: 254
        ("lookup", "slots", ["key", "3", "0", "0", "0"]),
        ("lookup", "percpu_h", ["key", "5", "0", "0", "0"]),
        ("lookup", "rich", ["key", "1", "0", "0", "0"]),
        ("lookup", "counts", ["key", "1", "0", "0"]),                 # too few bytes
        ("lookup", "counts", ["key", "1", "0", "0", "0", "5"]),
        ("lookup", "counts", ["key", "1", "0", "zz", "0"]),
        ("lookup", "counts", ["val", "1"]),
        ("lookup", "counts", []),
        ("getnext", "slots", []),
        ("getnext", "slots", ["key", "3", "0", "0", "0"]),
        ("getnext", "slots", ["key", "7", "0", "0", "0"]),            # the end: 254
        ("peek", "fifo", []),
        ("peek", "lifo", []),
        ("peek", "counts", []),
    ]
    for verb, name, rest in cases:
        for fmt in ((), ("-j",)):
            args = (*fmt, "map", verb, "pinned", maps[name], *rest)
            ours, theirs = bpfinspect(*args), bpftool(*args)
            assert (ours.returncode, ours.stdout if fmt else as_71(ours.stdout),
                    ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr), args


def test_reads_change_nothing(maps):
    before = contents(maps)
    fifo = bpftool("-j", "map", "peek", "pinned", maps["fifo"]).stdout
    for name in DUMPABLE:
        bpfinspect("map", "dump", "pinned", maps[name])
        bpfinspect("-j", "map", "dump", "pinned", maps[name])
    bpfinspect("map", "peek", "pinned", maps["fifo"])
    bpfinspect("map", "lookup", "pinned", maps["counts"], "key", "1", "0", "0", "0")
    assert contents(maps) == before
    assert bpftool("-j", "map", "peek", "pinned", maps["fifo"]).stdout == fifo


@pytest.mark.parametrize("name,why", [
    ("events", "a ring buffer holds a stream of records for its consumer, not keys and values"),
    ("perf_out", "its values are perf event file descriptors, not data; its events are read "
                 "from perf buffers"),
    ("fifo", "a queue has no keys; 'map peek' shows its head"),
    ("lifo", "a stack has no keys; 'map peek' shows its top"),
])
def test_undumpable_maps(maps, name, why):
    info = bpftool_json("map", "show", "pinned", maps[name])
    out = bpfinspect("map", "dump", "pinned", maps[name], check=255)
    assert out.stderr == "Error: can't dump map '%s' (id %u, %s): %s\n" % (
        name, info["id"], info["type"], why)


def test_write_commands_refuse(maps):
    out = bpfinspect("map", "update", "pinned", maps["counts"], "key", "1", "0", "0", "0",
                     "value", "0", "0", "0", "0", "0", "0", "0", "0", check=255)
    assert out.stderr == ("Error: 'map update' changes the kernel's state; bpfinspect only "
                          "reads (use bpftool)\n")
    assert bpfinspect("map", "p", "pinned", maps["counts"], check=255).stderr.startswith(
        "Error: 'map pin' changes")


def test_several_maps(maps, loaded):
    """A name matching two maps: each under its header, as bpftool."""
    for fmt in ((), ("-j",), ("-p",)):
        args = (*fmt, "map", "dump", "name", "counts")
        ours, theirs = bpfinspect(*args), bpftool(*args)
        assert ours.stdout == theirs.stdout


@pytest.fixture(scope="module")
def large_map(bpffs):
    path = os.path.join(bpffs, "large_hash")
    loader.big_hash_map(path, 50000, "large_hash")
    return path


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
def test_large_map_same_as_bpftool(large_map, fmt):
    """Batched reads and column-wise rendering give bpftool's bytes."""
    args = (*fmt, "map", "dump", "pinned", large_map)
    ours, theirs = bpfinspect(*args), bpftool(*args)
    assert ours.returncode == 0
    assert ours.stdout == theirs.stdout
    assert len(ours.stdout) > 50000 * 40


def test_dump_while_the_map_changes(large_map):
    """Entries deleted and added during the dump: no crash, valid JSON."""
    stop = threading.Event()

    def churn():
        i = 0
        while not stop.is_set():
            key = ["%d" % b for b in struct.pack("<I", i % 50000)]
            bpftool("map", "delete", "pinned", large_map, "key", *key)
            bpftool("map", "update", "pinned", large_map, "key", *key, "value", *["1"] * 8)
            i += 7919
    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(3):
            out = bpfinspect("-j", "map", "dump", "pinned", large_map)
            assert out.returncode == 0, out.stderr
            assert len(json.loads(out.stdout)) > 40000
    finally:
        stop.set()
        worker.join()


def test_prog_metadata(code_loaded):
    for fmt in ((), ("-j",), ("-p",)):
        args = (*fmt, "prog", "show", "pinned", code_loaded)
        ours, theirs = bpfinspect(*args).stdout, bpftool(*args).stdout
        if fmt:
            ours_j = json.loads(ours)
            assert ours_j.pop("orphaned") is False
            assert ours_j == json.loads(theirs)
            assert ours_j["metadata"] == {"owner": "research", "version": 3}
        else:
            assert ours == theirs
            assert ours.endswith("\tmetadata:\n\t\towner = \"research\"\n\t\tversion = 3\n")


@pytest.mark.parametrize("fmt", [(), ("-j",)])
def test_ctrl_c_during_a_dump(large_map, fmt):
    """SIGINT while chunks are being written: every written entry whole, JSON still valid
    and closed around the error, exit status 130."""
    import signal
    import subprocess
    import sys
    import time

    from tests.kernel import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "bpfinspect", *fmt, "map", "dump",
                             "pinned", large_map], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    time.sleep(1.0)  # started, and blocked on the full pipe
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    if fmt:
        parsed = json.loads(out)
        assert parsed[-1] == {"error": "interrupted"}
        assert all(len(e["key"]) == 4 and len(e["value"]) == 8 for e in parsed[:-1])
    else:
        assert err == b"Error: interrupted\n"
        lines = out.decode().splitlines()
        assert lines and all(re.fullmatch(r"key: ([0-9a-f]{2} ){3}[0-9a-f]{2}  value: "
                                          r"([0-9a-f]{2} ){7}[0-9a-f]{2}", line)
                             for line in lines)


@pytest.mark.parametrize("args", [("map", "dump", "pinned"), ("-j", "map", "dump", "pinned")])
def test_closed_pipe_during_a_dump(large_map, args):
    import subprocess
    import sys

    from tests.kernel import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "bpfinspect", *args, large_map],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.read(100)
    proc.stdout.close()  # `| head -c 100`
    err = proc.stderr.read()
    proc.wait()
    assert err == b"" and proc.returncode in (0, -13)
