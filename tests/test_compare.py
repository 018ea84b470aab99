"""bpfinspect against Debian's bpftool on the live kernel: same argv, same stdout."""

import json
import os
import subprocess

import pytest

from tests.kernel import ROOT, bpfinspect, bpftool, bpftool_json, strip_json, strip_pids_text


def same_text(*args):
    ours = bpfinspect(*args, check=0)
    theirs = bpftool(*args)
    assert theirs.returncode == 0, theirs.stderr
    assert strip_pids_text(ours.stdout) == theirs.stdout
    return ours.stdout


def same_json(*args):
    ours = bpfinspect(*args, check=0)
    theirs = bpftool(*args)
    assert theirs.returncode == 0, theirs.stderr
    parsed = json.loads(ours.stdout)
    assert strip_json(parsed) == json.loads(theirs.stdout)
    return ours.stdout, parsed


@pytest.fixture(scope="module")
def world(loaded, bpftrace_prog):
    return loaded, bpftrace_prog


def test_prog_show_all_text(world):
    out = same_text("prog", "show")
    loaded, _ = world
    assert "name trace_getpid_with_a_long_name  tag" in out  # full name from BTF func info


@pytest.mark.parametrize("args", [
    ("-j", "prog", "show"),
    ("prog", "show", "-j"),
    ("-p", "prog", "list"),
    ("--json", "--pretty", "prog"),
])
def test_prog_show_all_json(world, args):
    out, parsed = same_json(*args)
    assert isinstance(parsed, list)


def test_pretty_layout_is_bpftools_byte_for_byte(world):
    loaded, _ = world
    pin = loaded.prog_pin("tail")
    ours = bpfinspect("-p", "prog", "show", "pinned", pin, check=0).stdout
    theirs = bpftool("-p", "prog", "show", "pinned", pin).stdout
    # bpftool 7.1 has no "orphaned" key; the newest prints it after "uid"
    assert ours.replace('        "orphaned": false,\n', "").replace(
        '    "orphaned": false,\n', "") == theirs
    assert '\n    "orphaned": false,\n    "bytes_xlated"' in ours


@pytest.mark.parametrize("name", ["trace_getpid_with_a_long_name", "tail", "sock_filter",
                                  "xdp_pass"])
@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
def test_prog_show_each_selector(world, name, fmt):
    loaded, _ = world
    info = loaded.progs[name]
    selectors = [
        ("id", str(info["id"])),
        ("id", hex(info["id"])),
        ("pinned", loaded.prog_pin(name)),
        ("tag", info["tag"]),
        ("name", name),
        ("i", str(info["id"])),  # keyword prefixes
        ("pi", loaded.prog_pin(name)),
    ]
    for sel in selectors:
        args = (*fmt, "prog", "show", *sel)
        if fmt:
            same_json(*args)
        else:
            same_text(*args)


def test_prog_show_name_and_tag_matching_several(world, tmp_path):
    """Two copies of one program: `name` and `tag` match both; JSON wraps them in an array."""
    loaded, _ = world
    obj = tmp_path / "filter.o"
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf",
                    "-I/usr/include/%s-linux-gnu" % os.uname().machine, "-c",
                    os.path.join(ROOT, "tests", "perf", "socket_filter.bpf.c"), "-o", str(obj)],
                   check=True)
    pins = [os.path.join(loaded.root, "twin%d" % i) for i in range(2)]
    try:
        for pin in pins:
            assert bpftool("prog", "load", str(obj), pin).returncode == 0
        out = same_text("prog", "show", "name", "bench_filter")
        assert out.count("name bench_filter  ") == 2
        _, parsed = same_json("-j", "prog", "show", "name", "bench_filter")
        assert [p["name"] for p in parsed] == ["bench_filter", "bench_filter"]
        tag = parsed[0]["tag"]
        same_text("prog", "show", "tag", tag)
        _, parsed = same_json("-p", "prog", "show", "tag", tag)
        assert len(parsed) == 2
    finally:
        for pin in pins:
            if os.path.exists(pin):
                os.unlink(pin)


def test_prog_show_bpffs(world):
    loaded, _ = world
    out = same_text("-f", "prog", "show")
    assert "\tpinned %s\n" % loaded.prog_pin("xdp_pass") in out
    same_json("-f", "-j", "prog", "show")
    same_json("-j", "prog", "show", "pinned", loaded.prog_pin("tail"), "--bpffs")


def test_bpftrace_program_and_its_owner(world):
    _, (pid, prog_id) = world
    same_text("prog", "show", "id", str(prog_id))
    out = bpfinspect("prog", "show", "id", str(prog_id), check=0).stdout
    assert out.endswith("\tpids bpftrace(%d)\n" % pid)
    parsed = json.loads(bpfinspect("-j", "prog", "show", "id", str(prog_id), check=0).stdout)
    assert parsed["pids"] == [{"pid": pid, "comm": "bpftrace"}]


def _map_listing_from_ids(fmt=()):
    """bpftool's own listing reuses one bpf_map_info for every map, and kernels that read the
    struct back (6.x) leave the previous map's btf_id in it; the per-id output is right."""
    ids = [m["id"] for m in bpftool_json("map", "show")]
    if fmt:
        return [json.loads(bpftool(*fmt, "map", "show", "id", str(i)).stdout) for i in ids]
    return "".join(bpftool("map", "show", "id", str(i)).stdout for i in ids)


def test_map_show_all(world):
    ours = bpfinspect("map", "show", check=0).stdout
    assert strip_pids_text(ours) == _map_listing_from_ids()
    ours_json = json.loads(bpfinspect("-j", "map", "show", check=0).stdout)
    assert strip_json(ours_json) == _map_listing_from_ids(("-j",))


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
def test_map_show_each_selector(world, fmt):
    loaded, _ = world
    for name, info in loaded.maps.items():
        for sel in (("id", str(info["id"])), ("pinned", loaded.map_pin(name)),
                    ("name", info.get("name", name))):
            args = (*fmt, "map", "show", *sel)
            if fmt:
                same_json(*args)
            else:
                same_text(*args)


def test_map_kinds_present(world):
    loaded, _ = world
    types = {info["type"] for info in loaded.maps.values()}
    assert {"hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lpm_trie", "ringbuf",
            "perf_event_array", "queue", "stack", "array_of_maps", "prog_array"} <= types
    rodata = [n for n in loaded.maps if n.endswith("rodata")][0]
    out = same_text("map", "show", "pinned", loaded.map_pin(rodata))
    assert out.endswith("frozen\n")
    out = same_text("map", "show", "pinned", loaded.map_pin("jump_table"))
    assert "\n\towner_prog_type tracepoint  owner jited\n" in out


def test_map_show_bpffs(world):
    loaded, _ = world
    out = bpfinspect("-f", "map", "show", "pinned", loaded.map_pin("counts"), check=0).stdout
    assert "\tpinned %s\n" % loaded.map_pin("counts") in out
    same_text("-f", "map", "show", "pinned", loaded.map_pin("counts"))
    same_json("-f", "-j", "map", "show", "pinned", loaded.map_pin("counts"))


def test_btf_show(world):
    loaded, _ = world
    out = same_text("btf", "show")
    btf_id = loaded.progs["tail"]["btf_id"]
    same_text("btf", "show", "id", str(btf_id))
    assert "%d: name <anon>  size " % btf_id in out
    same_json("-j", "btf", "show")
    same_json("-p", "btf", "show", "id", str(btf_id))
    same_text("btf", "show", "id", "1")


@pytest.mark.parametrize("args", [("p", "s"), ("p",), ("pr", "l"), ("bt",), ("bt", "sh", "i", "1")])
def test_prefix_abbreviation(world, args):
    same_text(*args)


@pytest.mark.parametrize("args", [("m", "s"), ("m",), ("ma", "li")])
def test_prefix_abbreviation_map(world, args):
    ours = bpfinspect(*args, check=0).stdout
    assert strip_pids_text(ours) == _map_listing_from_ids()
