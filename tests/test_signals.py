"""Broken outputs and signals: a full disk, a closed stdout, Ctrl-C at any moment (also
during the interpreter's start-up, before the command line is set up, and during `format c`),
a SIGINT the parent ignores, an ASCII locale, a Graphviz that hangs or writes nothing. One line
and a documented status, never a traceback; output after Ctrl-C is a true prefix ending at a
line boundary."""

import collections
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.kernel import ROOT, installed_command, need_root

VMLINUX = "/sys/kernel/btf/vmlinux"
CMD = [sys.executable, "-m", "bpfinspect"]


def shell(script, **kwargs):
    return subprocess.run(["bash", "-c", script], capture_output=True, cwd=ROOT, **kwargs)


def no_traceback(stderr, before_bpfinspect_ok=False):
    """No traceback; with `before_bpfinspect_ok`, except one from the interpreter's own
    start-up, before any bpfinspect code ran (that window is Python's, not ours)."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    if before_bpfinspect_ok and not any(mark in text for mark in (
            "bpfinspect/cli", "bpfinspect/views", "bpfinspect/kernel", "bpfinspect/api",
            "site-packages/click")):
        return
    assert "Traceback" not in text and "Fatal Python error" not in text, text


def test_a_full_disk_is_one_line():
    need_root()
    for args in ("-j prog show", "btf show", "btf dump file %s" % VMLINUX):  # each writes
        proc = shell("exec %s -m bpfinspect %s > /dev/full" % (sys.executable, args))
        assert proc.returncode == 255, args
        assert proc.stderr == b"Error: can't write the output: No space left on device\n", args


def test_a_closed_stdout_is_one_line():
    proc = shell("exec %s -m bpfinspect version >&-" % sys.executable)
    assert (proc.returncode, proc.stderr) == (255, b"Error: standard output is closed\n")


def test_an_ascii_locale_still_writes_the_bytes():
    proc = subprocess.run(CMD + ["btf", "dump", "file", "/nonexistent/\u00e9t\u00e9"],
                          capture_output=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONIOENCODING="ascii", LC_ALL="C"))
    assert proc.returncode == 254
    assert proc.stderr == ("Error: failed to load BTF from /nonexistent/\u00e9t\u00e9: No such "
                           "file or directory\n").encode()


@pytest.mark.parametrize("args, status, stdout, stderr", [
    (["root_id", "0"], 0, "[0] UNKNOWN '(anon)'\n", ""),
    (["root_id", "zz"], 255, "", "Error: can't parse zz as root ID\n"),
    (["root_id"], 234, "", "Error: expecting value for 'root_id' option\n"),
])
def test_root_id_words(args, status, stdout, stderr):
    proc = subprocess.run(CMD + ["btf", "dump", "file", VMLINUX] + args, capture_output=True,
                          text=True, cwd=ROOT)
    assert (proc.returncode, proc.stdout, proc.stderr) == (status, stdout, stderr)


def test_ctrl_c_before_the_command_line_is_set_up():
    """`python -m bpfinspect`, SIGINT from the first milliseconds on: status 130 and nothing
    else, or a finished command; never a traceback once bpfinspect runs (the interpreter's
    own start-up is Python's: the installed command closes that window, see below)."""
    outcomes = set()
    for delay in [0.002 * i for i in range(1, 60, 3)]:
        proc = subprocess.Popen(CMD + ["version"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        no_traceback(err, before_bpfinspect_ok=True)
        if b"Traceback" in err or b"Fatal Python error" in err:
            continue  # the interpreter was still starting: Python's own handler
        assert proc.returncode in (0, 130, -signal.SIGINT), (delay, proc.returncode, err)
        if proc.returncode == 0:
            assert out.startswith(b"bpfinspect v")
        outcomes.add(proc.returncode)
    assert 130 in outcomes or -signal.SIGINT in outcomes


@pytest.fixture(params=["installed", "tree"])
def command(request, tmp_path):
    """(argv, env) of the command as installed: .venv's bin/bpfinspect, which `make` installs
    (skipped when .venv holds no install of this tree), or this tree's bin/bpfinspect beside
    a python3 that runs this interpreter on this tree."""
    if request.param == "installed":
        cmd = installed_command()
        if cmd is None:
            pytest.skip("no install of this tree's bin/bpfinspect in .venv (make)")
        return cmd, None
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(os.path.join(ROOT, "bin", "bpfinspect"), bindir / "bpfinspect")
    (bindir / "python3").write_text("#!/bin/sh\nexec %s \"$@\"\n" % shlex.quote(sys.executable))
    (bindir / "python3").chmod(0o755)
    return [str(bindir / "bpfinspect")], dict(os.environ, PYTHONPATH=ROOT)


EARLY_TRIES = 40


def test_ctrl_c_in_the_interpreter_start_up(command):
    """The installed command starts Python with SIGINT blocked: a SIGINT at any time from 0 to
    60 ms (Python's own start-up included) ends it with status 130 and at most `Error:
    interrupted`, never a traceback. Only in its first instant, while sh or env still runs,
    may the signal kill it (-SIGINT; a shell shows 130), with nothing written."""
    cmd, env = command
    full = subprocess.run(cmd + ["version"], capture_output=True, cwd=ROOT, env=env,
                          check=True).stdout
    statuses = collections.Counter()
    for i in range(EARLY_TRIES):
        delay = 0.06 * i / EARLY_TRIES
        proc = subprocess.Popen(cmd + ["version"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT, env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        what = (delay, proc.returncode, out, err.decode(errors="replace"))
        assert b"Traceback" not in err and b"Fatal Python error" not in err, what
        assert proc.returncode in (0, 130, -signal.SIGINT), what
        if proc.returncode == 0:
            assert (out, err) == (full, b""), what
        elif proc.returncode == -signal.SIGINT:
            assert (out, err) == (b"", b""), what
        else:
            assert err in (b"", b"Error: interrupted\n") and full.startswith(out), what
        statuses[proc.returncode] += 1
    assert statuses[130] > 0, statuses


def test_an_ignored_sigint_stays_ignored_from_the_start(command):
    """SIGINT ignored by the parent (as `trap '' INT; exec bpfinspect ...`): SIGINTs from the
    first instant to the middle of the dump change nothing."""
    cmd, env = command
    args = ["btf", "dump", "file", VMLINUX]
    full = subprocess.run(cmd + args, capture_output=True, cwd=ROOT, env=env, check=True).stdout
    proc = subprocess.Popen(cmd + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    start = time.monotonic()
    for at in (0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.3):
        time.sleep(max(0.0, start + at - time.monotonic()))
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    assert out == full


def _full(args):
    return subprocess.run(CMD + args, capture_output=True, cwd=ROOT, check=True).stdout


@pytest.mark.parametrize("args", [
    ["btf", "dump", "file", VMLINUX, "format", "c"],
    ["btf", "dump", "file", VMLINUX],
])
def test_ctrl_c_leaves_a_true_prefix_at_a_line_boundary(args):
    full = _full(args)
    for delay in (0.15, 0.3, 0.5, 0.8):
        proc = subprocess.Popen(CMD + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        no_traceback(err)
        if proc.returncode == 0:
            assert out == full
            continue
        assert proc.returncode == 130, (delay, err)
        assert err.endswith(b"Error: interrupted\n") or err == b""
        assert full.startswith(out), delay
        assert out == b"" or out.endswith(b"\n"), delay


def test_an_ignored_sigint_stays_ignored():
    """`trap '' INT; exec bpfinspect ...`: Ctrl-C does not stop the dump."""
    args = ["btf", "dump", "file", VMLINUX]
    full = _full(args)
    proc = subprocess.Popen(["bash", "-c", "trap '' INT; exec \"$@\"", "bash"] + CMD + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    assert out == full


@pytest.fixture
def fake_dot(tmp_path):
    def make(body):
        (tmp_path / "dot").write_text("#!/bin/sh\n" + body + "\n")
        (tmp_path / "dot").chmod(0o755)
        return dict(os.environ, PATH="%s:%s" % (tmp_path, os.environ["PATH"]))
    return make


def test_a_dot_that_hangs_or_writes_nothing(raw_progs, fake_dot, tmp_path):
    png = tmp_path / "cfg.png"
    args = CMD + ["-o", str(png), "prog", "dump", "xlated", "pinned", raw_progs["three"],
                  "visual"]
    env = fake_dot("exec sleep 30")
    env["BPFINSPECT_DOT_TIMEOUT"] = "1"
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    assert time.monotonic() - start < 20
    assert (proc.returncode, proc.stderr) == (255, "Error: Graphviz's dot did not finish "
                                              "rendering %s in 1 s; write a .dot file and "
                                              "render it yourself\n" % png)
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env=fake_dot("exit 0"))
    assert (proc.returncode, proc.stderr) == (
        255, "Error: Graphviz's dot wrote nothing for %s\n" % png)
    assert not png.exists() and os.listdir(tmp_path) == ["dot"]
