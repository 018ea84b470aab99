"""`struct_ops show|dump` on the live kernel: a BPF tcp_congestion_ops (tests/bpf/struct_ops.bpf.c)
registered with Debian's bpftool and unregistered at the end; `iter`'s group.

7.1 prints the same text for `show`, and for `dump` except its unquoted `(nil)` pointers; it
unwraps `id` results (a bare object for `show -j id`, two comma-joined objects for `dump id`),
where 7.8 (and bpfinspect) always print an array: asserted exactly here."""

import json
import os
import re

import pytest

from tests.conftest import compile_bpf
from tests.kernel import bpfinspect, bpftool, bpftool_json, need, need_root

NAME = "bpfi_so_cc"


def _unregister():
    bpftool("struct_ops", "unregister", "name", NAME)


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    need_root()
    obj = compile_bpf(tmp_path_factory, "struct_ops.bpf")
    _unregister()  # a run that was killed may have left it
    proc = bpftool("struct_ops", "register", str(obj))
    if proc.returncode != 0 and "Permission denied" in proc.stderr:
        need(False, "no BPF trampoline: struct_ops programs refused at load (%s)"
             % proc.stderr.strip())
    try:
        assert proc.returncode == 0, proc.stderr
        m = re.search(r"Registered tcp_congestion_ops %s id (\d+)" % NAME, proc.stderr)
        assert m, proc.stderr
        progs = {p["name"]: p["id"] for p in bpftool_json("prog", "show")
                 if p["name"].startswith("so_")}
        yield int(m.group(1)), progs
    finally:
        _unregister()
    assert not [m for m in bpftool_json("struct_ops", "show") if m["name"] == NAME]


def same(args, expect_status=0):
    ours = bpfinspect(*args)
    theirs = bpftool(*args)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr), args
    assert ours.returncode == expect_status
    return ours


def test_show_as_bpftool(registered):
    map_id, _progs = registered
    out = same(("struct_ops", "show", "name", NAME)).stdout
    assert out == "%u: %-15s %-32s\n" % (map_id, NAME, "tcp_congestion_ops")
    same(("struct_ops", "list", "id", str(map_id)))
    same(("-j", "struct_ops", "show", "name", NAME))
    assert json.loads(bpfinspect("-j", "struct_ops", "show", "name", NAME).stdout) == \
        [{"id": map_id, "name": NAME, "kernel_struct_ops": "tcp_congestion_ops"}]
    for _ in range(5):  # other tests may register theirs meanwhile
        a, b = bpfinspect("struct_ops"), bpftool("struct_ops", "show")
        if a.stdout == b.stdout:
            break
    assert a.stdout == b.stdout and ("%u: %-15s " % (map_id, NAME)) in a.stdout


def test_show_id_json_is_an_array(registered):
    """7.8 wraps the one map in an array; 7.1 prints the bare object."""
    map_id, _progs = registered
    obj = bpftool_json("struct_ops", "show", "id", str(map_id))
    out = bpfinspect("-j", "struct_ops", "show", "id", str(map_id), check=0).stdout
    assert out == '[{"id":%u,"name":"%s","kernel_struct_ops":"tcp_congestion_ops"}]\n' % (
        map_id, NAME)
    assert json.loads(out) == [obj]


def _expected_data(progs):
    return {
        "ssthresh": "u32 (struct sock *) so_ssthresh/prog_id:%u" % progs["so_ssthresh"],
        "cong_avoid": "void (struct sock *, u32, u32) so_cong_avoid/prog_id:%u"
                      % progs["so_cong_avoid"],
        "set_state": "void (struct sock *, u8) 0",
        "undo_cwnd": "u32 (struct sock *) so_undo_cwnd/prog_id:%u" % progs["so_undo_cwnd"],
        "name": NAME,
        "flags": 0,
    }


def test_dump_text(registered):
    """The same text as 7.1 but for 7.8's quoted pointers."""
    map_id, progs = registered
    ours = bpfinspect("struct_ops", "dump", "name", NAME, check=0).stdout
    theirs = bpftool("struct_ops", "dump", "name", NAME)
    assert theirs.returncode == 0
    assert ours == theirs.stdout.replace(": (nil)", ': "(nil)"')
    assert '"owner": "(nil)",' in ours
    assert ours.startswith('[{\n        "bpf_map_info": {\n            "type": 26,\n'
                           '            "id": %u,\n' % map_id)
    assert '\n    },{\n        "bpf_struct_ops_tcp_congestion_ops": {\n' in ours
    assert ours.endswith("        }\n    }\n]\n")
    for key, value in _expected_data(progs).items():
        text = '"%s"' % value if isinstance(value, str) else str(value)
        assert '\n                "%s": %s' % (key, text) in ours
    assert bpfinspect("struct_ops", "dump", "id", str(map_id), check=0).stdout == ours


def test_dump_json(registered):
    map_id, progs = registered
    ours = bpfinspect("-j", "struct_ops", "dump", "name", NAME, check=0).stdout
    theirs = bpftool("-j", "struct_ops", "dump", "name", NAME)
    assert ours == theirs.stdout
    doc = json.loads(ours)
    assert len(doc) == 2 and list(doc[0]) == ["bpf_map_info"]
    info = doc[0]["bpf_map_info"]
    assert (info["type"], info["id"], info["name"], info["key_size"], info["max_entries"]) == \
        (26, map_id, NAME, 4, 1)
    value = doc[1]["bpf_struct_ops_tcp_congestion_ops"]
    assert value["common"]["state"] == "BPF_STRUCT_OPS_STATE_INUSE"
    for key, expected in _expected_data(progs).items():
        assert value["data"][key] == expected
    assert value["data"]["owner"] == 0 and value["data"]["list"] == {"next": 0, "prev": 0}
    # `dump id`: 7.1 joins the two objects without an array (invalid JSON); 7.8 wraps them
    by_id = bpfinspect("-j", "struct_ops", "dump", "id", str(map_id), check=0).stdout
    assert by_id == ours
    pretty = bpfinspect("-j", "-p", "struct_ops", "dump", "id", str(map_id), check=0).stdout
    assert json.loads(pretty) == doc and pretty.startswith('[{\n        "bpf_map_info": {')


def test_bad_selections(registered, bpffs):
    map_id, _progs = registered
    same(("struct_ops", "show", "id", "0"), 255)
    same(("struct_ops", "show", "id", "abc"), 255)
    same(("struct_ops", "show", "id", "4294967296"), 255)
    same(("struct_ops", "show", "name", "bpfi_nosuch"), 255)
    assert bpfinspect("struct_ops", "show", "name", "bpfi_nosuch").stderr == \
        "Error: no struct_ops found for bpfi_nosuch\n"
    # 7.8: `[]` and a failure status for a name that matches nothing
    for args in (("-j", "struct_ops", "show"), ("-j", "struct_ops", "dump"),
                 ("struct_ops", "dump")):
        proc = bpfinspect(*args, "name", "bpfi_nosuch")
        assert (proc.returncode, proc.stdout, proc.stderr) == (255, "[]\n", "")
    # an id that is no map, and a map that is no struct_ops
    proc = bpfinspect("struct_ops", "show", "id", "4000000000")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        255, "", "Error: can't get map by id (4000000000): No such file or directory\n")
    proc = bpfinspect("struct_ops", "dump", "id", "4000000000")
    assert (proc.returncode, proc.stdout) == (255, "\n")  # bpftool's writer was open
    pin = os.path.join(bpffs, "so_other")
    proc = bpftool("map", "create", pin, "type", "array", "key", "4", "value", "4",
                   "entries", "1", "name", "bpfi_so_other")
    assert proc.returncode == 0, proc.stderr
    try:
        other = bpftool_json("map", "show", "pinned", pin)["id"]
        for verb in ("show", "dump"):
            proc = bpfinspect("struct_ops", verb, "id", str(other))
            assert (proc.returncode, proc.stderr) == (
                255, "Error: bpfi_so_other id %u is not a struct_ops map\n" % other)
        same(("struct_ops", "show", "id", str(other)), 255)
    finally:
        os.unlink(pin)


def test_writers_refuse(registered):
    map_id, _progs = registered
    for args in (("struct_ops", "unregister", "id", str(map_id)),
                 ("struct_ops", "unreg", "name", NAME), ("struct_ops", "r", "/dev/null"),
                 ("struct_ops", "register", "/dev/null")):
        proc = bpfinspect(*args)
        assert proc.returncode == 255 and proc.stdout == ""
        assert re.fullmatch(r"Error: 'struct_ops (un)?register' changes the kernel's state; "
                            r"bpfinspect only reads \(use bpftool\)\n", proc.stderr)
    assert [m["id"] for m in bpftool_json("struct_ops", "show", "name", NAME)] == [map_id]


def test_usage_and_defaults():
    proc = bpfinspect("struct_ops", "help")
    assert proc.returncode == 0 and proc.stderr.startswith(
        "Usage: bpfinspect struct_ops { show | list } [STRUCT_OPS_MAP]\n")
    assert bpfinspect("-j", "struct_ops", "help").stdout == "null\n"
    proc = bpfinspect("struct_ops", "show", "id")
    assert proc.returncode == 255 and proc.stderr.startswith("Usage: ")


def test_iter_group():
    """`iter`: its usage by default (bpftool's first command is help); `pin` refuses."""
    proc = bpfinspect("iter")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == ("Usage: bpfinspect iter pin OBJ PATH [map MAP]\n"
                           "       bpfinspect iter help\n\n"
                           "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
                           "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n")
    for args in (("iter", "pin", "x.o", "/sys/fs/bpf/x"), ("iter", "p"), ("i", "pin")):
        proc = bpfinspect(*args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (
            255, "", "Error: 'iter pin' changes the kernel's state; bpfinspect only reads "
                     "(use bpftool)\n")
    proc = bpfinspect("-j", "iter", "pin", "x")
    assert (proc.returncode, proc.stdout) == (
        255, '{"error":"\'iter pin\' changes the kernel\'s state; bpfinspect only reads '
             '(use bpftool)"}\n')


def test_top_level_prefixes():
    """bpftool's table order: `f` is feature, `st` struct_ops, `i` iter."""
    assert bpfinspect("f", "l", "l").stdout == bpfinspect("feature", "list_builtins",
                                                          "link_types").stdout
    proc = bpfinspect("st", "help")
    assert proc.stderr.startswith("Usage: bpfinspect struct_ops ")
