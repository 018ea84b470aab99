"""`btf dump` on the live kernel: raw and JSON against bpftool, C through libbpf (ID order
against bpftool, the sorted header compiled), and bad input."""

import json
import os
import random
import re
import subprocess
import sys

import pytest

from tests.kernel import ROOT, bpfinspect, bpftool, bpftool_json

VMLINUX = "/sys/kernel/btf/vmlinux"


def json_as_71(text):
    """bpftool writes an unsigned enum's negative s32 value as a 64-bit number
    (jsonw_uint_field of the sign-extended value); bpfinspect writes the 32-bit value."""
    d = json.loads(text)
    for t in d["types"]:
        if t["kind"] == "ENUM" and t["encoding"] == "UNSIGNED":
            for v in t["values"]:
                if v["val"] >= 2**31:
                    v["val"] += 2**64 - 2**32
    return d


def test_vmlinux_raw_same_as_bpftool():
    args = ("btf", "dump", "file", VMLINUX)
    ours, theirs = bpfinspect(*args), bpftool(*args)
    assert ours.returncode == 0
    assert ours.stdout == theirs.stdout
    assert len(ours.stdout.splitlines()) > 100000


def test_vmlinux_json_same_as_bpftool():
    ours = bpfinspect("-j", "btf", "dump", "file", VMLINUX, "format", "raw", check=0)
    theirs = bpftool("-j", "btf", "dump", "file", VMLINUX, "format", "raw")
    assert json_as_71(ours.stdout) == json.loads(theirs.stdout)


@pytest.fixture(scope="module")
def sources(loaded, code_loaded):
    info = bpftool_json("prog", "show", "pinned", code_loaded)
    return [("prog", "pinned", code_loaded), ("id", str(info["btf_id"])),
            ("prog", "pinned", loaded.prog_pin("tail")),
            ("map", "pinned", loaded.map_pin("routes")),
            ("map", "pinned", loaded.map_pin("routes"), "key"),
            ("map", "pinned", loaded.map_pin("routes"), "value"),
            ("map", "pinned", loaded.map_pin("routes"), "kv"),
            ("map", "pinned", loaded.map_pin("objects_data"), "all")]


@pytest.mark.parametrize("fmt", [(), ("-j",), ("-p",)])
def test_program_and_map_btf_same_as_bpftool(sources, fmt):
    for src in sources:
        args = (*fmt, "btf", "dump", *src)
        ours, theirs = bpfinspect(*args), bpftool(*args)
        assert theirs.returncode == 0, theirs.stderr
        assert ours.returncode == 0, ours.stderr
        if fmt:
            assert json_as_71(ours.stdout) == json.loads(theirs.stdout), src
        else:
            assert ours.stdout == theirs.stdout, src


def _types_only(header):
    """The type definitions of a header: without bpftool 7.8's macro and kfunc blocks (7.1
    has neither), and with libbpf's `()` for an empty parameter list written `(void)`
    and without `__attribute__((mode(byte)))` on small enums (Debian's bpftool bundles a
    newer libbpf than the system's, and the two spell these differently)."""
    header = re.sub(r"#ifndef __ksym\n.*?#endif\n#endif\n\n", "", header, flags=re.S)
    header = re.sub(r"\n/\* BPF kfuncs \*/\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n.*?#endif\n\n",
                    "", header, flags=re.S)
    return header.replace("(void)", "()").replace(" __attribute__((mode(byte)))", "")


def test_c_unsorted_same_as_bpftool(sources):
    for src in [("file", VMLINUX)] + sources[:2]:
        ours = bpfinspect("btf", "dump", *src, "format", "c", "unsorted", check=0).stdout
        theirs = bpftool("btf", "dump", *src, "format", "c").stdout
        assert _types_only(ours) == _types_only(theirs), src
    assert "#ifndef __bpf_fastcall\n#if __has_attribute(bpf_fastcall)\n" in ours


def test_c_header_frame():
    out = bpfinspect("btf", "dump", "file", VMLINUX, "format", "c", check=0).stdout
    assert out.startswith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
                          "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push "
                          "(__attribute__((preserve_access_index)), apply_to = record)\n"
                          "#endif\n\n#ifndef __ksym\n")
    assert out.endswith("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n"
                        "#endif\n\n#endif /* __VMLINUX_H__ */\n")
    kfuncs = re.sub(r"__attribute__\(\(btf_type_tag\(\"[^\"]*\"\)\)\) ", "",
                    out[out.index("/* BPF kfuncs */"):])
    names = re.findall(r"^extern .*?\b(\w+)\(.* __weak __ksym;$", kfuncs, re.M)
    assert names and names == sorted(names)
    unsorted = bpfinspect("btf", "dump", "file", VMLINUX, "format", "c", "unsorted",
                          check=0).stdout
    assert out != unsorted
    definitions = re.compile(r"^(?:struct|union|enum) \w+ \{$|^typedef .*;$", re.M)
    # the same definitions (libbpf names a second struct of the same name name___2, so which
    # one gets the suffix depends on the order)
    def defined(text):
        return sorted(re.sub(r"___\d+", "", d) for d in definitions.findall(text))
    assert defined(out) == defined(unsorted)
    # sorted: anonymous enums first (rank 0), then named enums by name, before any struct
    enums = re.findall(r"^enum (\w+) \{$", out[:out.index("\nstruct ")], re.M)
    assert len(enums) > 100 and enums == sorted(enums)


def test_sorted_header_compiles(tmp_path):
    header = tmp_path / "vmlinux.h"
    header.write_text(bpfinspect("btf", "dump", "file", VMLINUX, "format", "c",
                                 check=0).stdout)
    src = tmp_path / "task.bpf.c"
    src.write_text('''#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tracepoint/syscalls/sys_enter_getpid")
int read_task(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	return BPF_CORE_READ(t, pid) + BPF_CORE_READ(t, real_parent, tgid);
}
''')
    proc = subprocess.run(["clang", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86",
                           "-I", str(tmp_path), "-c", str(src), "-o", str(tmp_path / "t.o")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_root_id():
    out = bpfinspect("btf", "dump", "file", VMLINUX, "root_id", "1", "root_id", "2",
                     check=0).stdout
    assert out == ("[1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 "
                   "encoding=(none)\n[2] CONST '(anon)' type_id=1\n")


def test_dump_errors(tmp_path):
    garbage = tmp_path / "garbage.btf"
    garbage.write_bytes(b"\x9f\xeb\x01\x00\x18\x00\x00\x00" + b"\xff" * 16)
    cases = [
        (("btf", "dump", "file", str(garbage)),
         "failed to load BTF from %s: BTF type section (offset 4294967295, length 4294967295) "
         "is out of bounds" % garbage, 234),
        (("btf", "dump", "file", "/etc/hostname"), None, 234),
        (("btf", "dump", "file", str(tmp_path / "none")),
         "failed to load BTF from %s: No such file or directory" % (tmp_path / "none"), 254),
        (("btf", "dump", "file", VMLINUX, "format", "xml"),
         "unrecognized format specifier: 'xml', possible values: raw, c", 234),
        (("btf", "dump", "file", VMLINUX, "root_id", "999999999"),
         "invalid root ID: 999999999", 234),
        (("btf", "dump", "foo", "1"), "unrecognized BTF source specifier: 'foo'", 255),
    ]
    for args, message, status in cases:
        out = bpfinspect(*args)
        assert out.returncode == status, (args, out.stderr)
        assert out.stdout == "" and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        if message:
            assert out.stderr == "Error: %s\n" % message
    out = bpfinspect("-j", "btf", "dump", "file", VMLINUX, "format", "c")
    assert (out.returncode, out.stdout) == (
        161, '{"error":"JSON output for C-syntax dump is not supported"}\n')


def test_mutated_program_btf_never_crashes(code_loaded, tmp_path):
    """Real BTF with random bytes changed: a dump or a one-line error, never a traceback or
    a hang."""
    info = bpftool_json("prog", "show", "pinned", code_loaded)
    blob = tmp_path / "prog.btf"
    from bpfinspect.kernel.info import btf_data
    data = btf_data(info["btf_id"])
    rng = random.Random(7)
    for i in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            mutated[rng.randrange(24, len(mutated))] = rng.randrange(256)
        blob.write_bytes(bytes(mutated))
        for fmt in ((), ("format", "c"), ("format", "c", "unsorted")):
            out = subprocess.run([sys.executable, "-m", "bpfinspect", "btf", "dump", "file",
                                  str(blob), *fmt], capture_output=True, timeout=60, cwd=ROOT)
            err = out.stderr.decode("utf-8", "replace")
            assert "Traceback" not in err, (i, fmt, err)
            assert out.returncode == 0 or (out.returncode > 0 and err.count("\n") == 1), (
                i, fmt, out.returncode, err)
    os.remove(blob)
