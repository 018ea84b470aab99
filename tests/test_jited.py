"""`prog dump jited` on the live kernel. Debian's bpftool cannot (no libbfd): the image is
checked against the kernel's bytes, the listing against objdump, and the structure against
the program's functions and kallsyms."""

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.kernel import bpfinspect, bpftool_json, need


@pytest.fixture(scope="module")
def programs(loaded, code_loaded, raw_progs, bpftrace_prog):
    pins = {name: ("pinned", loaded.prog_pin(name)) for name in loaded.progs}
    pins["code_atomics"] = ("pinned", code_loaded)
    pins["three"] = ("pinned", raw_progs["three"])
    pins["bpftrace"] = ("id", str(bpftrace_prog[1]))
    return pins


def image(sel):
    from bpfinspect.kernel import code
    from bpfinspect.kernel.select import select

    obj = select("prog", _selector(sel))[0]
    with obj:
        return code.program_code(obj.fd, jited=True)


def _selector(sel):
    from bpfinspect.cli import selectors

    return selectors.parse("prog", list(sel))


def test_file_is_the_kernels_image(programs, tmp_path):
    out = tmp_path / "jit.bin"
    for name, sel in programs.items():
        assert bpfinspect("prog", "dump", "jited", *sel, "file", str(out), check=0).stdout == ""
        assert out.read_bytes() == image(sel).jited, name
        assert len(out.read_bytes()) == bpftool_json("prog", "show", *sel)["bytes_jited"]


def _ours(text):
    """(offset, mnemonic) per instruction line of our listing; LLVM prints a lock prefix as
    an instruction of its own, objdump with the instruction it prefixes."""
    out = []
    lock = None
    for line in text.splitlines():
        m = re.match(r"^ *([0-9a-f]+):\t(?:lock )?(\S+)", line)  # capstone: "lock addq"
        if not m:
            continue
        if m.group(2) == "lock":
            lock = int(m.group(1), 16)
            continue
        out.append((lock if lock is not None else int(m.group(1), 16), m.group(2)))
        lock = None
    return out


def _objdump(path):
    need(shutil.which("objdump") is not None, "objdump (binutils) is not installed")
    text = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", str(path)],
                          capture_output=True, text=True, check=True).stdout
    out = []
    for line in text.splitlines():
        m = re.match(r"^ *([0-9a-f]+):\t[0-9a-f ]+\t(?:lock )?(\S+)", line)
        if m:
            out.append((int(m.group(1), 16), m.group(2)))
    return out


def _same_mnemonic(a, b):
    """LLVM and objdump name a few instructions apart: callq/call, retq/ret, movabsq/movabs,
    and size suffixes objdump leaves out."""
    return a == b or a.rstrip("qlwb") == b.rstrip("qlwb") or a.startswith(b) or b.startswith(a)


@pytest.mark.parametrize("backend", ["llvm", "capstone"])
def test_listing_agrees_with_objdump(programs, tmp_path, backend):
    need(os.uname().machine == "x86_64", "the objdump comparison is for x86-64")
    for name, sel in programs.items():
        raw = image(sel)
        ours = bpfinspect("prog", "dump", "jited", *sel, env={"BPFINSPECT_DISASM": backend},
                          check=0).stdout
        ours_insns = _ours(ours)
        theirs = []
        pos = 0
        for length in raw.jited_func_lens:  # objdump each function from offset 0
            path = tmp_path / "f.bin"
            path.write_bytes(raw.jited[pos:pos + length])
            theirs += _objdump(path)
            pos += length
        assert [o for o, _ in ours_insns] == [o for o, _ in theirs], name
        for (_, a), (_, b) in zip(ours_insns, theirs):
            assert _same_mnemonic(a, b), (name, a, b)


def test_functions_and_call_targets(programs):
    """Each function under its prototype and kallsyms name; a subprogram call goes to the
    address kallsyms gives the callee."""
    sel = programs["tail"]
    tag = bpftool_json("prog", "show", *sel)["tag"]
    out = bpfinspect("prog", "dump", "jited", *sel, check=0).stdout
    funcs = out.split("\n\n")
    assert funcs[0].startswith("int tail(void * ctx):\nbpf_prog_%s_tail:\n; return bump(1);\n"
                               "   0:\t" % tag)
    assert re.match(r"int bump\(__u32 key\):\nbpf_prog_[0-9a-f]{16}_bump:\n", funcs[1])
    bump = re.search(r"(bpf_prog_[0-9a-f]{16}_bump):", funcs[1]).group(1)
    with open("/proc/kallsyms") as f:  # each program has its copy of bump: same name
        addresses = {int(line.split()[0], 16) for line in f if line.split()[2] == bump}
    calls = {int(c, 16) for c in re.findall(r"\tcallq\t0x([0-9a-f]+)", funcs[0])}
    assert addresses & calls
    assert out.endswith("\n\n") and len(funcs) == 3 and funcs[2] == ""


def test_opcodes_linum_and_json(programs):
    sel = programs["code_atomics"]
    raw = image(sel)
    text = bpfinspect("prog", "dump", "jited", *sel, "opcodes", "linum", check=0).stdout
    assert re.search(r"\n; .* \[file:\S+code\.bpf\.c line_num:\d+ line_col:\d+\]\n", text)
    opcode_bytes = re.findall(r"\n\t((?:[0-9a-f]{2} )+)\n", text)
    assert sum(len(b.split()) for b in opcode_bytes) == len(raw.jited)
    parsed = json.loads(bpfinspect("-j", "prog", "dump", "jited", *sel, "opcodes",
                                   check=0).stdout)
    assert [f["name"].rsplit("_", 1)[-1] for f in parsed] == [
        "atomics", "one", "twice", "classify"]
    assert parsed[0]["proto"] == "int code_atomics(void * ctx)"
    first = parsed[0]["insns"][0]
    assert list(first) == ["src", "pc", "operation", "operands", "opcodes"]
    assert sum(len(i["opcodes"]) for f in parsed for i in f["insns"]) == len(raw.jited)
    leave = next(i for f in parsed for i in f["insns"] if i["operation"] == "leave")
    assert leave["operands"] == [None]


def test_no_disassembler(programs):
    out = bpfinspect("prog", "dump", "jited", *programs["tail"],
                     env={"BPFINSPECT_DISASM": "llvm", "BPFINSPECT_LIBLLVM": "/nonexistent"},
                     check=255)
    assert out.stderr.startswith("Error: no disassembler for JIT code (llvm: libLLVM not found")
    assert out.stderr.endswith("install libLLVM (Debian: apt-get install libllvm15) or the "
                               "capstone package (pip install capstone)\n")


def test_hidden_by_kptr_restrict(programs):
    """kptr_restrict=2 makes the kernel withhold JIT images even from root: say so."""
    path = "/proc/sys/kernel/kptr_restrict"
    with open(path) as f:
        before = f.read().strip()
    prog_id = bpftool_json("prog", "show", *programs["tail"])["id"]
    try:
        with open(path, "w") as f:
            f.write("2")
        out = bpfinspect("prog", "dump", "jited", *programs["tail"], check=255)
    finally:
        with open(path, "w") as f:
            f.write(before)
    assert out.stderr == (
        "Error: the kernel withheld the JIT image of program %u: kernel.kptr_restrict (now 2) "
        "hides kernel addresses from this user; run as root with kernel.kptr_restrict at most "
        "1\n" % prog_id)


@pytest.mark.parametrize("disasm", ["llvm", "capstone"])
def test_colour(programs, disasm):
    """--color=always paints the listing; without its escape sequences it is the plain
    output, and JSON stays as it is."""
    env = {"BPFINSPECT_DISASM": disasm}
    for option in ((), ("opcodes", "linum")):
        args = ("prog", "dump", "jited", *programs["code_atomics"], *option)
        plain = bpfinspect(*args, env=env, check=0).stdout
        coloured = bpfinspect("--color=always", *args, env=env, check=0).stdout
        assert "\x1b" not in plain and coloured.count("\x1b[") > plain.count("\n")
        assert re.sub("\x1b\\[[0-9;]*m", "", coloured) == plain
        assert "\x1b[33m   0\x1b[0m:\t\x1b[1mnopl\x1b[0m\t(\x1b[36m%rax\x1b[0m" in coloured
        assert re.search("callq\x1b\\[0m\t\x1b\\[1;34m0x[0-9a-f]+\x1b\\[0m\n", coloured)
    args = ("-j", "prog", "dump", "jited", *programs["code_atomics"], "opcodes")
    assert bpfinspect("--color=always", *args, env=env, check=0).stdout == bpfinspect(
        *args, env=env, check=0).stdout
