"""The Python API (bpfinspect.programs() & co.) on the live kernel, against bpftool's JSON."""

import json
import struct
import subprocess
import sys

import pytest

import bpfinspect
from bpfinspect.errors import NoSuchObject, UsageError
from tests.kernel import ROOT, bpftool, bpftool_json, strip_json

SHOW_KEYS = ("id", "type", "name", "tag", "gpl_compatible", "bytes_xlated", "bytes_jited",
             "bytes_memlock", "map_ids", "btf_id")


def test_program_count_is_bpftools(loaded):
    out = subprocess.run([sys.executable, "-c",
                          "import bpfinspect; print(len(bpfinspect.programs()))"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert int(out) == len(bpftool_json("prog", "show"))


def test_program_records_carry_bpftools_names(loaded):
    theirs = {p["id"]: p for p in bpftool_json("prog", "show")}
    ours = {p.id: p for p in bpfinspect.programs()}
    assert set(ours) == set(theirs)
    for prog_id, p in ours.items():
        for key in SHOW_KEYS:
            if key in theirs[prog_id]:
                value = getattr(p, key)
                assert (list(value) if key == "map_ids" else value) == theirs[prog_id][key], key
    tail = ours[loaded.progs["tail"]["id"]]
    assert tail.pinned == (loaded.prog_pin("tail"),)
    assert isinstance(tail, bpfinspect.Program) and tail.type == "tracepoint"


def test_program_by_each_selector(loaded):
    info = loaded.progs["tail"]
    by_pin = bpfinspect.program(pinned=loaded.prog_pin("tail"))
    assert by_pin.id == info["id"]
    assert bpfinspect.program(id=info["id"]) == by_pin
    assert bpfinspect.program(tag=info["tag"]).id == info["id"]
    assert bpfinspect.program(tag=bytes.fromhex(info["tag"])).id == info["id"]
    long_name = loaded.progs["trace_getpid_with_a_long_name"]
    assert bpfinspect.program(name="trace_getpid_with_a_long_name").id == long_name["id"]


def test_a_name_matching_several_is_a_usage_error(raw_progs):
    with pytest.raises(UsageError, match="2 programs match name 'three'"):
        bpfinspect.program(name="three")


def test_selector_errors_are_the_neutral_exceptions(loaded):
    with pytest.raises(NoSuchObject):
        bpfinspect.program(id=0xFFFFFFF0)
    with pytest.raises(NoSuchObject):
        bpfinspect.program(name="no_such_program_here")
    with pytest.raises(UsageError):
        bpfinspect.program()
    with pytest.raises(UsageError):
        bpfinspect.program(id=1, name="x")


def test_xlated_jited_and_cfg(loaded):
    p = bpfinspect.program(pinned=loaded.prog_pin("trace_getpid_with_a_long_name"))
    x = p.xlated()
    assert x.program == p
    assert sum(i.slots for i in x.image.insns()) * 8 == p.bytes_xlated
    theirs = bpftool_json("prog", "dump", "xlated", "pinned",
                          loaded.prog_pin("trace_getpid_with_a_long_name"))
    assert len(theirs) == len(x.image.insns())
    jited = p.jited()
    assert jited.split and [f.name for f in jited.funcs][0].startswith("bpf_prog_")
    assert sum(len(f.image) for f in jited.funcs) == p.bytes_jited
    assert all(f.insns for f in jited.funcs)
    graph = p.cfg()
    assert [f.idx for f in graph.funcs] == [0, 1]  # the main function and bump()
    assert [m.id for m in p.maps()] == list(p.map_ids)


def test_map_entries_and_lookup(loaded):
    pin = loaded.map_pin("counts")
    subprocess_key = struct.pack("<I", 3)
    proc = bpftool("map", "update", "pinned", pin, "key", "hex", *("%02x" % b for b in subprocess_key),
                   "value", "hex", *("%02x" % b for b in struct.pack("<Q", 42)))
    assert proc.returncode == 0, proc.stderr
    m = bpfinspect.map(pinned=pin)
    assert (m.name, m.type, m.bytes_key, m.bytes_value) == ("counts", "hash", 4, 8)
    entries = list(m.entries(decode=True))
    theirs = bpftool_json("map", "dump", "pinned", pin)
    assert [(e.key, e.value) for e in entries] == [
        (bytes(int(b, 16) for b in t["key"]), bytes(int(b, 16) for b in t["value"]))
        for t in theirs]
    assert [e.decoded for e in entries] == [t["formatted"] for t in theirs]
    assert m.lookup(subprocess_key) == struct.pack("<Q", 42)
    assert m.lookup(struct.pack("<I", 99)) is None


def test_per_cpu_entries_are_split_per_cpu(loaded):
    m = bpfinspect.map(pinned=loaded.map_pin("percpu_a"))
    theirs = bpftool_json("map", "dump", "pinned", loaded.map_pin("percpu_a"))
    ours = list(m.entries())
    assert len(ours) == len(theirs) == m.max_entries
    assert [len(e.value) for e in ours] == [len(t["values"]) for t in theirs]


def test_maps_and_btf_objects(loaded):
    assert {m.id for m in bpfinspect.maps()} == {m["id"] for m in bpftool_json("map", "show")}
    ours = {b.id: b for b in bpfinspect.btf_objects()}
    theirs = {b["id"]: strip_json(b) for b in bpftool_json("btf", "show")}
    assert set(ours) == set(theirs)
    btf_id = loaded.progs["tail"]["btf_id"]
    b = bpfinspect.btf(btf_id)
    assert list(b.prog_ids) == theirs[btf_id]["prog_ids"]
    names = {t.name for t in b.types()}
    assert {"tail", "bump", "lpm_key"} <= names
    header = b.c_header()
    assert "struct lpm_key {" in header and header.startswith("#ifndef __VMLINUX_H__")
    assert header == subprocess.run([sys.executable, "-m", "bpfinspect", "btf", "dump", "id",
                                     str(btf_id), "format", "c"], capture_output=True, text=True,
                                    cwd=ROOT, check=True).stdout


def test_api_json_names_match_the_cli(loaded):
    """A record's fields hold what `-j prog show` prints under the same names."""
    pin = loaded.prog_pin("tail")
    cli = json.loads(subprocess.run([sys.executable, "-m", "bpfinspect", "-j", "prog", "show",
                                     "pinned", pin], capture_output=True, text=True, cwd=ROOT,
                                    check=True).stdout)
    p = bpfinspect.program(pinned=pin)
    for key, value in cli.items():
        if key in ("pids", "pinned", "jited"):
            continue
        ours = getattr(p, key)
        assert (list(ours) if isinstance(ours, tuple) else ours) == value, key
