"""`btf dump file` against golden files (tests/golden/README.md says how each was made):
offline, so no root, no bpffs and no bpftool at test time."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden")
BTF = os.path.join("tests", "golden", "small.btf")  # relative to ROOT, as when generated
DUMP = ("btf", "dump", "file", BTF)


def run(*args):
    """bpfinspect from the source tree; stdout and stderr as bytes."""
    return subprocess.run([sys.executable, "-m", "bpfinspect", *args], capture_output=True,
                          cwd=ROOT)


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def test_blob_is_btf():
    data = golden("small.btf")
    assert data[:2] == b"\x9f\xeb"  # BTF_MAGIC 0xeb9f, little-endian
    assert len(data) < 4096


@pytest.mark.parametrize("args, name", [
    (DUMP, "small.raw.txt"),
    (DUMP + ("format", "raw"), "small.raw.txt"),
    (("-j",) + DUMP, "small.raw.json"),
    (DUMP + ("format", "raw", "-j"), "small.raw.json"),
    (DUMP + ("format", "c"), "small.h"),
    (DUMP + ("format", "c", "unsorted"), "small.unsorted.h"),
], ids=["raw", "format-raw", "json", "json-trailing-option", "c", "c-unsorted"])
def test_dump_same_as_golden(args, name):
    proc = run(*args)
    assert proc.stderr == b""
    assert proc.returncode == 0
    assert proc.stdout == golden(name)


def test_pretty_json_same_as_golden():
    proc = run("-p", *DUMP)
    assert proc.stderr == b""
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == json.loads(golden("small.raw.json"))
    assert proc.stdout.startswith(b"{\n") and proc.stdout.endswith(b"}\n")


# what the header must say of the types in tests/golden/small_btf.c: compiled, these fail
# unless the header's layout is the BTF's (STRUCT 'small' size=96 in small.raw.txt)
USE_HEADER = r"""#include "%s"
_Static_assert(sizeof(struct small) == 96, "struct small");
_Static_assert(__builtin_offsetof(struct small, big) == 24, "big");
_Static_assert(__builtin_offsetof(struct small, name) == 33, "name");
_Static_assert(__builtin_offsetof(struct small, grid) == 50, "grid");
_Static_assert(__builtin_offsetof(struct small, cb) == 88, "cb");
_Static_assert(sizeof(struct flags) == 4 && sizeof(union word) == 4, "flags, word");
_Static_assert(sizeof(((struct small *)0)->grid) == 12, "grid[2][3]");
_Static_assert(GREEN == 4 && BLUE == 5 && HIGH == 3, "enums");
small_id_t id(struct small *s) { return s->id + s->f.b + s->w.bytes[1] + *s->cvp + *s->cvq; }
"""


@pytest.mark.parametrize("name", ["small.h", "small.unsorted.h"])
def test_golden_header_compiles(tmp_path, name):
    clang = shutil.which("clang")
    if clang is None:
        pytest.skip("clang is not installed")
    src = tmp_path / "use.c"
    src.write_text(USE_HEADER % os.path.join(GOLDEN, name))
    proc = subprocess.run([clang, "-target", "bpf", "-fsyntax-only", "-x", "c", str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
