"""`btf dump file` of an ELF object clang compiles, against bpftool (the hostile input that
needs neither is in tests/unit/test_hostile.py)."""

import os
import subprocess
import sys

from tests.kernel import ROOT, bpftool, need


def run(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "bpfinspect", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


def test_elf_objects_dump_their_btf_section(tmp_path):
    """bpftool reads an ELF object's .BTF section: so does bpfinspect, byte for byte."""
    need(subprocess.run(["which", "clang"], capture_output=True).returncode == 0,
         "clang is not installed")
    obj = tmp_path / "objects.o"
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf",
                    "-I/usr/include/%s-linux-gnu" % os.uname().machine, "-c",
                    os.path.join(ROOT, "tests", "bpf", "objects.bpf.c"), "-o", str(obj)],
                   check=True)
    for args in ((), ("-j",)):
        ours = run(*args, "btf", "dump", "file", str(obj))
        theirs = bpftool(*args, "btf", "dump", "file", str(obj))
        assert (ours.returncode, ours.stdout) == (0, theirs.stdout)
    header = run("btf", "dump", "file", str(obj), "format", "c")
    assert header.returncode == 0, header.stderr
    assert "struct lpm_key {" in header.stdout


def test_eperm_with_privileges_has_no_capability_hint(bpffs):
    """bpffs refuses to look up a name with a dot (EPERM): as root, the message is the
    kernel's, without the hint to run as root (found while building the stress suite)."""
    path = os.path.join(bpffs, "no.such")
    proc = run("map", "show", "pinned", path)
    assert (proc.returncode, proc.stdout) == (255, "")
    assert proc.stderr == "Error: bpf obj get (%s): Operation not permitted\n" % path
