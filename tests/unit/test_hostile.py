"""Hostile input that needs no kernel: BTF files that are not BTF, that declare more than
they hold, that crash libbpf, or whose names hold control characters; what `btf dump`
prints of them (one line, a documented exit status) or how it escapes them."""

import os
import resource
import struct
import subprocess
import sys
import time

import pytest

from bpfinspect.btfparse.parser import Btf
from bpfinspect.btfparse.values import format_value
from bpfinspect.errors import FormatError
from tests.kernel import ROOT

EXIT_INVALID = 234


def run(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "bpfinspect", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


def blob(types, strings):
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return hdr + types + strings


def kind(k, name_off=0, vlen=0, word=0, kflag=0):
    return struct.pack("<III", name_off, kflag << 31 | k << 24 | vlen, word)


INT = kind(1, word=4) + struct.pack("<I", 1 << 24 | 32)


@pytest.fixture
def files(tmp_path):
    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


def test_values_of_four_billion_empty_elements_are_bounded():
    """struct { int x; struct empty e[0xffffffff]; } is valid BTF of size 4: formatting it
    shows 16 elements and how many more there are, at once, in little memory."""
    types = INT + kind(4, 1, 0, 0)                                     # 2 struct empty {}
    types += kind(3) + struct.pack("<III", 2, 1, 0xFFFFFFFF)           # 3 empty[0xffffffff]
    types += kind(4, 7, 2, 4) + struct.pack("<IIIIII", 15, 1, 0, 17, 3, 32)  # 4 struct hostile
    for nested in (3, 5, 6, 7):                                       # 5..8 (...[N])[N]
        types += kind(3) + struct.pack("<III", nested, 1, 0xFFFFFFFF)
    types += kind(4, 7, 2, 4) + struct.pack("<IIIIII", 15, 1, 0, 17, 8, 32)  # 9
    btf = Btf(blob(types, b"\0empty\0hostile\0x\0e\0"))
    before, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic()
    value = format_value(btf, 4, struct.pack("<i", 7))
    assert value == {"x": 7, "e": [{}] * 16 + ["... 4294967279 more elements of size 0"]}
    with pytest.raises(FormatError, match="too many values"):
        format_value(btf, 9, struct.pack("<i", 7))  # 17 ** 4 values: over the budget
    assert time.monotonic() - start < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/tmp"])
def test_files_that_are_not_regular_are_refused(path):
    for args in (("btf", "dump", "file", path), ("-B", path, "btf", "dump", "file", path)):
        proc = run(*args)
        assert (proc.returncode, proc.stdout) == (EXIT_INVALID, "")
        assert proc.stderr == "Error: failed to load BTF from %s: not a regular file\n" % path


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = run("btf", "dump", "file", str(fifo), timeout=10)
    assert proc.returncode == EXIT_INVALID
    assert proc.stderr == "Error: failed to load BTF from %s: not a regular file\n" % fifo


def test_a_missing_base_is_one_line():
    proc = run("-B", "/nonexistent", "btf", "dump", "file", "/sys/kernel/btf/vmlinux")
    assert (proc.returncode, proc.stdout) == (254, "")
    assert proc.stderr == ("Error: failed to load BTF from /nonexistent: No such file or "
                           "directory\n")


def test_typedef_to_decl_tag_never_reaches_libbpf(files):
    """libbpf 1.1's C dumper dies of SIGFPE on this: it is refused before."""
    types = INT + kind(17, 1, 0, 1) + struct.pack("<i", -1) + kind(8, 1, 0, 2)
    path = files("sigfpe.btf", blob(types, b"\0t\0"))
    proc = run("btf", "dump", "file", path, "format", "c")
    assert (proc.returncode, proc.stdout) == (EXIT_INVALID, "")
    assert proc.stderr == ("Error: failed to load BTF from %s: BTF type 3 refers to type 2, "
                           "a DECL_TAG, which no type may refer to\n" % path)


def test_a_member_without_size_never_reaches_libbpf(files):
    types = INT + kind(13, 0, 0, 1)                                     # 2 int (void)
    types += kind(4, 1, 1, 4) + struct.pack("<III", 3, 2, 0)            # 3 struct s { proto m; }
    path = files("sizeless.btf", blob(types, b"\0s\0m\0"))
    proc = run("btf", "dump", "file", path, "format", "c")
    assert proc.returncode == EXIT_INVALID
    assert proc.stderr.endswith("BTF type 3 holds type 2, which has no size\n")


HOSTILE_STRINGS = b"\0in\x1bt\nx\ty\0s\xc2\x85\0a\x07\0bad\xff\0"


def hostile_btf():
    def off(s):
        return HOSTILE_STRINGS.index(s + b"\0")
    types = kind(1, off(b"in\x1bt\nx\ty"), 0, 4) + struct.pack("<I", 1 << 24 | 32)
    types += kind(4, off(b"s\xc2\x85"), 2, 8) + struct.pack(
        "<IIIIII", off(b"a\x07"), 1, 0, off(b"bad\xff"), 1, 32)
    return blob(types, HOSTILE_STRINGS)


def test_raw_dump_escapes_every_name(files):
    path = files("hostile.btf", hostile_btf())
    proc = run("btf", "dump", "file", path)
    assert proc.returncode == 0
    assert proc.stdout == ("[1] INT 'in\\x1bt\\x0ax\\x09y' size=4 bits_offset=0 nr_bits=32 "
                           "encoding=SIGNED\n"
                           "[2] STRUCT 's\\u0085' size=8 vlen=2\n"
                           "\t'a\\x07' type_id=1 bits_offset=0\n"
                           "\t'bad\\xff' type_id=1 bits_offset=32\n")
    assert '"name":"in\\u001bt\\nx\\ty"' in run("-j", "btf", "dump", "file", path).stdout


def test_format_c_refuses_names_no_header_can_hold(files):
    path = files("hostile.btf", hostile_btf())
    proc = run("btf", "dump", "file", path, "format", "c")
    assert (proc.returncode, proc.stdout) == (EXIT_INVALID, "")
    assert proc.stderr == ("Error: failed to load BTF from %s: BTF type 1: a name with "
                           "control characters or bytes that are not UTF-8 cannot be written "
                           "as C\n" % path)


def test_format_c_of_split_btf_over_a_base(files, libbpf):
    """Split BTF goes through btf__parse_raw_split, which every libbpf 1.x has."""
    base = files("base.btf", blob(kind(1, 1, 0, 4) + struct.pack("<I", 1 << 24 | 32),
                                  b"\0int\0"))
    strings = b"\0foo\0a\0b\0"
    shift = 5  # string offsets go on from the base's five bytes
    types = kind(4, shift + 1, 2, 8) + struct.pack("<IIIIII", shift + 5, 1, 0, shift + 7, 3, 32)
    types += kind(2, 0, 0, 2)
    split = files("split.btf", blob(types, strings))
    proc = run("-B", base, "btf", "dump", "file", split, "format", "c")
    assert proc.returncode == 0, proc.stderr
    assert "\nstruct foo {\n\tint a;\n\tstruct foo *b;\n} __attribute__((packed));\n" \
        in proc.stdout
    raw = run("-B", base, "btf", "dump", "file", split)
    assert raw.stdout == ("[2] STRUCT 'foo' size=8 vlen=2\n\t'a' type_id=1 bits_offset=0\n"
                          "\t'b' type_id=3 bits_offset=32\n[3] PTR '(anon)' type_id=2\n")


def test_an_elf_file_without_btf(tmp_path):
    proc = run("btf", "dump", "file", "/bin/true")
    assert (proc.returncode, proc.stdout) == (254, "")
    assert proc.stderr == ("Error: failed to load BTF from /bin/true: no .BTF section in the "
                           "ELF file\n")


def test_raw_dump_escapes_a_datasec_variables_name(files):
    """A DATASEC line names each of its VARs: escaped as every other name (found by the
    stress suite's BTF fuzzer)."""
    strings = b"\0v\x03\x1b\0.data\0"
    types = INT + kind(14, 1, 0, 1) + struct.pack("<I", 1)              # 2 VAR 'v\x03\x1b'
    types += kind(15, 5, 1, 4) + struct.pack("<III", 2, 0, 4)           # 3 DATASEC '.data'
    path = files("datasec.btf", blob(types, strings))
    proc = run("btf", "dump", "file", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == [
        "[2] VAR 'v\\x03\\x1b' type_id=1, linkage=global",
        "[3] DATASEC '.data' size=4 vlen=1",
        "\ttype_id=2 offset=0 size=4 (VAR 'v\\x03\\x1b')"]
