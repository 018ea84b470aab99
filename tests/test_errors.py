"""Bad input: one line, bpftool's exit status 255, valid JSON with -j, no traceback, and
the kernel left as it was."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.kernel import ROOT, bpfinspect, bpftool_json, need

UNKNOWN_ID = "4000000000"


def kernel_state():
    return ([p["id"] for p in bpftool_json("prog", "show")],
            [m["id"] for m in bpftool_json("map", "show")])


@pytest.fixture
def unchanged(loaded):
    before = kernel_state()
    yield
    assert kernel_state() == before


def fails(args, message, env=None):
    """Plain: `Error: message` on stderr; JSON: {"error": message} on stdout; both exit 255."""
    plain = bpfinspect(*args, env=env)
    assert (plain.returncode, plain.stdout, plain.stderr) == (255, "", "Error: %s\n" % message)
    as_json = bpfinspect("-j", *args, env=env)
    assert as_json.returncode == 255
    assert as_json.stderr == ""
    assert json.loads(as_json.stdout) == {"error": message}


def test_unknown_id(unchanged):
    fails(("prog", "show", "id", UNKNOWN_ID),
          "get by id (%s): No such file or directory" % UNKNOWN_ID)
    fails(("map", "show", "id", UNKNOWN_ID),
          "get map by id (%s): No such file or directory" % UNKNOWN_ID)
    fails(("btf", "show", "id", UNKNOWN_ID),
          "can't get BTF object by id (%s): No such file or directory" % UNKNOWN_ID)


def test_bad_words(unchanged):
    fails(("prog", "show", "id", "12x"), "can't parse 12x as ID")
    fails(("prog", "show", "tag", "zz"), "can't parse tag")
    fails(("prog", "show", "id"), "what is 'id'?")
    fails(("prog", "show", "id", "1", "extra"), "what is 'id'?")
    fails(("prog", "show", "bogus", "1"),
          "expected 'id', 'tag', 'name' or 'pinned', got: 'bogus'?")
    fails(("map", "show", "tag", "1"), "expected 'id', 'name' or 'pinned', got: 'tag'?")
    fails(("btf", "show", "name", "x"), "expected 'id', got: 'name'?")
    fails(("prog", "show", "name", "x" * 200), "can't parse name")
    fails(("frob",), "unknown command 'frob' for 'bpfinspect' (see 'bpfinspect help')")
    fails(("prog", "frob"),
          "unknown command 'frob' for 'bpfinspect prog' (see 'bpfinspect prog help')")
    fails(("batch", "file", "x"), "command 'batch' is not supported by bpfinspect yet")


def test_no_match_is_an_error(unchanged):
    # bpftool exits 255 silently here (and prints a bare newline with -j: not JSON)
    fails(("prog", "show", "name", "no_such_prog"), "no program with name 'no_such_prog'")
    fails(("prog", "show", "tag", "0011223344556677"), "no program with tag 0011223344556677")
    fails(("map", "show", "name", "no_such_map"), "no map with name 'no_such_map'")


def test_pinned_paths(loaded, unchanged):
    fails(("prog", "show", "pinned", "/tmp"),
          "bpf obj get (/): directory not in bpf file system (bpffs)")
    fails(("prog", "show", "pinned", os.path.join(ROOT, "pyproject.toml")),
          "bpf obj get (%s): directory not in bpf file system (bpffs)" % ROOT)
    missing = os.path.join(loaded.root, "progs", "missing")
    fails(("prog", "show", "pinned", missing),
          "bpf obj get (%s): No such file or directory" % missing)
    fails(("prog", "show", "pinned", loaded.map_pin("counts")), "incorrect object type: map")
    fails(("map", "show", "pinned", loaded.prog_pin("tail")), "incorrect object type: prog")


def test_no_privileges(loaded, unchanged):
    need(shutil.which("setpriv") is not None, "setpriv (util-linux) is not installed")
    drop = ["setpriv", "--bounding-set=-sys_admin,-bpf,-perfmon,-net_admin", "--"]
    hint = " (CAP_SYS_ADMIN is needed to inspect BPF objects: run as root, e.g. with sudo)"
    for args, message in (
            (("prog", "show"), "can't get next program: Operation not permitted"),
            (("map", "show", "id", str(loaded.maps["counts"]["id"])),
             "get map by id (%d): Operation not permitted" % loaded.maps["counts"]["id"])):
        proc = subprocess.run(drop + [sys.executable, "-m", "bpfinspect", *args],
                              capture_output=True, text=True, cwd=ROOT)
        assert (proc.returncode, proc.stdout, proc.stderr) == (
            255, "" if args[-1] != "show" else proc.stdout, "Error: " + message + hint + "\n")


def test_closed_pipe(loaded, unchanged):
    proc = subprocess.Popen([sys.executable, "-m", "bpfinspect", "-f", "map", "show"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read()
    proc.wait()
    assert err == b""
    assert proc.returncode in (0, -13)  # done, or ended by SIGPIPE as bpftool is
