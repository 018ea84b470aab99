import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from tests.kernel import BPF_SRC, bpftool, need, need_root


@pytest.fixture(scope="session")
def bpffs():
    """A private bpffs instance, unmounted (dropping every pin in it) at the end."""
    need_root()
    # no '.' in the path: libbpf rewrites dots in pin paths
    path = tempfile.mkdtemp(prefix="bpfinspect", dir="/tmp").replace(".", "_")
    os.makedirs(path, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "bpf", "bpf", path], capture_output=True, text=True)
    need(proc.returncode == 0, "can't mount a bpffs: " + proc.stderr.strip())
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path])
        shutil.rmtree(path, ignore_errors=True)


def compile_bpf(tmp_path_factory, name, *flags):
    need(shutil.which("clang") is not None, "clang is not installed")
    out = tmp_path_factory.mktemp("bpf") / (name + ".o")
    arch = os.uname().machine
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf", *flags,
                    "-I/usr/include/%s-linux-gnu" % arch,
                    "-c", os.path.join(BPF_SRC, name + ".c"), "-o", str(out)],
                   check=True)
    return out


@pytest.fixture(scope="session")
def objects_o(tmp_path_factory):
    return compile_bpf(tmp_path_factory, "objects.bpf")


class Loaded:
    """The test objects pinned in the private bpffs: progs/<name>, maps/<name>."""

    def __init__(self, root):
        self.root = root
        self.progs = {}
        self.maps = {}
        for name in sorted(os.listdir(os.path.join(root, "progs"))):
            info = json.loads(bpftool("-j", "prog", "show", "pinned", self.prog_pin(name)).stdout)
            self.progs[name] = info
        for name in sorted(os.listdir(os.path.join(root, "maps"))):
            info = json.loads(bpftool("-j", "map", "show", "pinned", self.map_pin(name)).stdout)
            self.maps[name] = info

    def prog_pin(self, name):
        return os.path.join(self.root, "progs", name)

    def map_pin(self, name):
        return os.path.join(self.root, "maps", name)


@pytest.fixture(scope="session")
def loaded(bpffs, objects_o):
    proc = bpftool("prog", "loadall", str(objects_o), os.path.join(bpffs, "progs"),
                   "pinmaps", os.path.join(bpffs, "maps"))
    assert proc.returncode == 0, proc.stderr
    return Loaded(bpffs)


@pytest.fixture(scope="session")
def code_loaded(bpffs, tmp_path_factory):
    """tests/bpf/code.bpf.c (atomics, a switch, bpf_loop, nested subprograms), pinned at
    <bpffs>/code/code_atomics."""
    obj = compile_bpf(tmp_path_factory, "code.bpf", "-mcpu=v3")
    proc = bpftool("prog", "loadall", str(obj), os.path.join(bpffs, "code"),
                   "pinmaps", os.path.join(bpffs, "codemaps"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return os.path.join(bpffs, "code", "code_atomics")


@pytest.fixture(scope="session")
def raw_progs(bpffs):
    """Programs loaded from raw instruction arrays (tests/rawprogs.py), pinned under
    <bpffs>/raw/<name>; the "three" program is loaded twice (pins three, three_again)."""
    from tests import loader, rawprogs

    os.makedirs(os.path.join(bpffs, "raw"))
    pins = {}
    for name, slots in rawprogs.PROGRAMS.items():
        pins[name] = os.path.join(bpffs, "raw", name)
        loader.load_and_pin(loader.assemble(slots), pins[name], name)
    pins["three_again"] = os.path.join(bpffs, "raw", "three_again")
    loader.load_and_pin(loader.assemble(rawprogs.PROGRAMS["three"]), pins["three_again"],
                        "three")
    return pins


@pytest.fixture(scope="session")
def bpftrace_prog():
    """The seed's bpftrace one-liner, running in the background; yields (pid, prog id)."""
    need_root()
    need(shutil.which("bpftrace") is not None, "bpftrace is not installed")
    before = {p["id"] for p in json.loads(bpftool("-j", "prog", "show").stdout)}
    proc = subprocess.Popen(
        ["bpftrace", "-e",
         'tracepoint:syscalls:sys_enter_bpf {printf("called %s %d %s\\n", comm, pid, probe );}'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        prog_id = None
        deadline = time.time() + 30
        while prog_id is None and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
            for p in json.loads(bpftool("-j", "prog", "show").stdout):
                if p["id"] not in before and p.get("name") == "sys_enter_bpf":
                    prog_id = p["id"]
        need(prog_id is not None, "bpftrace did not load its program")
        yield proc.pid, prog_id
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
