"""The project's own files: generated docs are current, the code keeps to Python 3.9, and
completion works without libbpf."""

import os
import shutil
import subprocess
import sys

from tests.kernel import ROOT, need


def test_completions_and_man_pages_are_current():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_docs.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python39_syntax_and_lint():
    ruff = shutil.which("ruff") or os.path.join(os.path.dirname(sys.executable), "ruff")
    need(os.path.exists(ruff), "ruff is not installed (pip install '.[test]')")
    proc = subprocess.run([ruff, "check", "--target-version", "py39", "bpfinspect", "tests",
                           "tools"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_completion_without_libbpf():
    env = dict(os.environ, _BPFINSPECT_COMPLETE="bash_complete", COMP_WORDS="bpfinspect p",
               COMP_CWORD="1", BPFINSPECT_LIBBPF="/nonexistent")
    proc = subprocess.run([sys.executable, "-m", "bpfinspect"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0
    assert proc.stdout == "plain,prog\nplain,perf\n"
    env["COMP_WORDS"] = "bpfinspect prog s"
    env["COMP_CWORD"] = "2"
    proc = subprocess.run([sys.executable, "-m", "bpfinspect"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert proc.stdout == "plain,show\n"


def test_help_and_version_without_libbpf():
    env = dict(os.environ, BPFINSPECT_LIBBPF="/nonexistent")
    proc = subprocess.run([sys.executable, "-m", "bpfinspect", "-h"], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr.startswith("Usage: bpfinspect [OPTIONS] OBJECT { COMMAND | help }\n")
    proc = subprocess.run([sys.executable, "-m", "bpfinspect", "-j", "prog", "help"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert (proc.returncode, proc.stdout) == (0, "null\n")
