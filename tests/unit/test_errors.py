"""Errors that need no kernel: a bad option, a missing libbpf, Ctrl-C during a listing."""

import json

import pytest

from tests.kernel import bpfinspect


def test_unrecognized_option():
    proc = bpfinspect("-x", "prog", "show")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        255, "", "Error: unrecognized option '-x'\n")
    proc = bpfinspect("-j", "prog", "--frob")
    assert proc.returncode == 255
    assert json.loads(proc.stdout) == {"error": "unrecognized option '--frob'"}


def test_missing_libbpf():
    env = {"BPFINSPECT_LIBBPF": "/nonexistent/libbpf.so.1"}
    proc = bpfinspect("prog", "show", "id", "1", env=env)
    assert proc.returncode == 255
    assert proc.stderr == (
        "Error: can't load /nonexistent/libbpf.so.1 (/nonexistent/libbpf.so.1: cannot open "
        "shared object file: No such file or directory); install libbpf 1.x "
        "(Debian/Ubuntu: apt-get install libbpf1)\n")
    # help and version still work without it
    assert bpfinspect("help", env=env).returncode == 0
    assert bpfinspect("version", env=env, check=0).stdout.splitlines()[1] == (
        "using libbpf (not found)")


def test_interrupt_keeps_json_valid(monkeypatch, capsys):
    """Ctrl-C during a long listing: the JSON array is closed around an error, exit 130."""
    from bpfinspect import cli
    from bpfinspect.kernel import objects

    def interrupted(kind):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(objects, "walk", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["-j", "prog", "show"])
    assert exit_info.value.code == 130
    assert json.loads(capsys.readouterr().out) == [{"error": "interrupted"}]
