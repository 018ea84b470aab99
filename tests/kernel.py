"""Helpers for tests that need the real kernel: running both tools, loading test objects."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BPF_SRC = os.path.join(ROOT, "tests", "bpf")


# What this kind of machine's kernel cannot do, found on it: a skip whose reason starts so
# stays a skip under BPFINSPECT_REQUIRE_KERNEL=1 (and its view is tested on a hand-built
# record instead). Every other skip then fails.
KERNEL_LIMITS = ("no kprobes", "no netkit", "no BPF trampoline")


def need(condition, reason):
    """Skip when the machine really lacks something; with BPFINSPECT_REQUIRE_KERNEL=1, fail,
    unless the reason is one of KERNEL_LIMITS."""
    if condition:
        return
    if (os.environ.get("BPFINSPECT_REQUIRE_KERNEL") == "1"
            and not reason.startswith(KERNEL_LIMITS)):
        pytest.fail("required for the kernel tests: " + reason)
    pytest.skip(reason)


def need_root():
    need(os.geteuid() == 0, "bpf(2) introspection needs root")


def bpfinspect(*args, env=None, check=None, **kwargs):
    """Run the real command line; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "bpfinspect", *args], capture_output=True,
                          text=True, cwd=ROOT, env=full_env, **kwargs)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def installed_command():
    """[path] of the command `make` installs into .venv (bin/bpfinspect: it starts Python with
    SIGINT blocked), or None when .venv holds no install of this tree's launcher and entry."""
    venv = os.path.join(ROOT, ".venv")
    launcher = os.path.join(venv, "bin", "bpfinspect")
    entries = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "bpfinspect",
                                     "entry.py"))
    pairs = [(launcher, os.path.join(ROOT, "bin", "bpfinspect"))]
    pairs += [(e, os.path.join(ROOT, "bpfinspect", "entry.py")) for e in entries[:1]]
    if len(pairs) < 2 or not all(_same_file_text(a, b) for a, b in pairs):
        return None
    return [launcher]


def _same_file_text(a, b):
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def bpftool(*args, **kwargs):
    need(shutil.which("bpftool") is not None, "bpftool is not installed")
    return subprocess.run(["bpftool", *args], capture_output=True, text=True, **kwargs)


def bpftool_json(*args):
    proc = bpftool("-j", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def strip_pids_text(text):
    """Debian's bpftool has no `pids` lines (it is built without skeletons)."""
    return "".join(line for line in text.splitlines(True) if not line.startswith("\tpids "))


def strip_json(value, drop_orphaned=True):
    """Drop what Debian's bpftool 7.1 cannot print: `pids`, and `orphaned` (newer than 7.1,
    checked to be false before it is dropped)."""
    if isinstance(value, list):
        return [strip_json(v, drop_orphaned) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "pids":
                continue
            if k == "orphaned" and drop_orphaned:
                assert v is False
                continue
            out[k] = strip_json(v, drop_orphaned)
        return out
    return value


def stats_held_elsewhere():
    """True when another process holds a BPF_ENABLE_STATS fd (run-time statistics then stay
    on whatever bpfinspect does): its anon inode reads `anon_inode:bpf-stats`."""
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "anon_inode:bpf-stats":
                    return True
            except OSError:
                continue
    return False


def cgroup2_mount():
    """Where cgroup v2 is mounted (the first cgroup2 line of /proc/mounts), or None."""
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    return None


def run_prog(pin, tmp_path, repeat):
    """BPF_PROG_TEST_RUN of the pinned program `repeat` times (bpftool prog run) on a
    64-byte packet: the program's run counters move."""
    data = tmp_path / "packet"
    data.write_bytes(bytes(64))
    proc = bpftool("prog", "run", "pinned", pin, "data_in", str(data), "repeat", str(repeat))
    assert proc.returncode == 0, proc.stderr
