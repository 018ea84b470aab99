"""`prog dump xlated` on the live kernel: against Debian's bpftool where it prints the same
form, against the spec's text where bpftool 7.1 is older (../shared/spec/xlated.md)."""

import json
import os
import re
import shutil

import pytest

from tests import rawprogs
from tests.kernel import bpfinspect, bpftool

# bpftool 7.1 predates the per-CPU address mov; it prints it as a plain mov
_PERCPU = re.compile(r"r(\d+) = &\(void __percpu \*\)\(r(\d+)\)")


def as_71(text):
    """Our output in the form bpftool 7.1 prints (the only instruction form they differ on
    in these programs), and how many lines needed it."""
    return _PERCPU.subn(r"r\1 = r\2", text)


@pytest.fixture(scope="module")
def programs(loaded, code_loaded, bpftrace_prog):
    pins = {name: loaded.prog_pin(name) for name in loaded.progs}
    pins["code_atomics"] = code_loaded
    return pins, bpftrace_prog[1]


def _selectors(programs):
    pins, bpftrace_id = programs
    return [("pinned", pin) for pin in pins.values()] + [("id", str(bpftrace_id))]


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
@pytest.mark.parametrize("option", [(), ("opcodes",), ("linum",)])
def test_same_as_bpftool(programs, fmt, option):
    percpu = 0
    for sel in _selectors(programs):
        args = (*fmt, "prog", "dump", "xlated", *sel, *option)
        theirs = bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        ours = bpfinspect(*args, check=0).stdout
        converted, n = as_71(ours)
        percpu += n
        assert converted == theirs.stdout, args
        if fmt:
            json.loads(ours)
    assert percpu > 0  # the per-CPU form was met (percpu_h and percpu_a lookups)


def test_annotations(programs):
    pins, _ = programs
    out = bpfinspect("prog", "dump", "xlated", "pinned", pins["code_atomics"], "linum",
                     check=0).stdout
    for proto in ("int code_atomics(void * ctx):", "int add_one(__u32 index, void * data):",
                  "int twice(int x):", "int classify(int x):"):
        assert out.count("\n" + proto + "\n") + out.startswith(proto + "\n") == 1, proto
    assert re.search(r"\n; __sync_fetch_and_add\(v, 1\); \[file:\S+/code\.bpf\.c "
                     r"line_num:\d+ line_col:\d+\]\n", out)
    assert re.search(r": \(85\) call pc[+-]\d+#bpf_prog_[0-9a-f]{16}_twice\n", out)
    assert re.search(r": \(db\) r0 = atomic64_cmpxchg\(\(u64 \*\)\(r2 \+0\), r0, r1\)\n", out)


def test_opcodes_and_linum_combine(programs):
    """7.1 takes one option; the newest takes several: each part as when given alone."""
    pins, _ = programs
    pin = pins["code_atomics"]
    both = bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", "linum",
                      check=0).stdout
    opcodes = bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", check=0).stdout
    linum = bpfinspect("prog", "dump", "xlated", "pinned", pin, "linum", check=0).stdout
    assert re.sub(r" \[file:[^\]]*\]\n", "\n", both) == opcodes
    assert "".join(line for line in both.splitlines(True)
                   if not line.startswith("       ")) == linum
    parsed = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned", pin, "linum",
                                   "opcodes", check=0).stdout)
    assert all("opcodes" in d for d in parsed)
    assert sum("line_num" in d for d in parsed) > 10


def test_cpu_v4_forms(raw_progs):
    out = bpfinspect("prog", "dump", "xlated", "pinned", raw_progs["cpu_v4"], check=0).stdout
    expected = "".join("%4u: %s\n" % (i, text) for i, (_, text) in enumerate(rawprogs.CPU_V4))
    assert out == expected
    parsed = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned",
                                   raw_progs["cpu_v4"], check=0).stdout)
    assert parsed == [{"disasm": text} for _, text in rawprogs.CPU_V4]


def test_opcodes_text_and_json(raw_progs):
    pin = raw_progs["three"]
    assert bpfinspect("prog", "dump", "xlated", "pinned", pin, "opcodes", check=0).stdout == (
        "   0: (b7) r0 = 5\n       b7 00 00 00 05 00 00 00\n"
        "   1: (07) r0 += 1\n       07 00 00 00 01 00 00 00\n"
        "   2: (95) exit\n       95 00 00 00 00 00 00 00\n")
    first = json.loads(bpfinspect("-j", "prog", "dump", "xlated", "pinned", pin, "opcodes",
                                  check=0).stdout)[0]
    assert first == {"disasm": "(b7) r0 = 5", "opcodes": {
        "code": "0xb7", "src_reg": "0x0", "dst_reg": "0x0", "off": ["0x00", "0x00"],
        "imm": ["0x05", "0x00", "0x00", "0x00"]}}


def test_several_programs(raw_progs):
    """`name three` matches two programs: each under its `prog show` line, as bpftool."""
    for fmt in ((), ("-j",), ("-p",)):
        args = (*fmt, "prog", "dump", "xlated", "name", "three")
        theirs = bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        ours = bpfinspect(*args, check=0).stdout
        assert ours == theirs.stdout
    text = bpfinspect("prog", "dump", "xlated", "name", "three", check=0).stdout
    blocks = text.split("\n\n")
    assert len(blocks) >= 2
    for block in blocks:
        assert re.fullmatch(r"\d+: socket_filter  name three  tag [0-9a-f]{16}  gpl\n"
                            r"   0: \(b7\) r0 = 5\n   1: \(07\) r0 \+= 1\n   2: \(95\) exit\n?",
                            block)


def test_file_writes_the_image(raw_progs, tmp_path):
    ours, theirs = tmp_path / "ours.bin", tmp_path / "theirs.bin"
    for pin in raw_progs.values():
        assert bpfinspect("prog", "dump", "xlated", "pinned", pin, "file", str(ours),
                          check=0).stdout == ""
        assert bpftool("prog", "dump", "xlated", "pinned", pin, "file",
                       str(theirs)).returncode == 0
        assert ours.read_bytes() == theirs.read_bytes()
    assert oct(ours.stat().st_mode & 0o777) == "0o600"
    assert bpfinspect("-j", "prog", "dump", "xlated", "pinned", raw_progs["three"], "file",
                      str(ours), check=0).stdout == "null\n"
