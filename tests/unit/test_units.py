"""Pieces that need no kernel: JSON layout, argv, selectors, bpftool's list order."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpfinspect.cli.options import split_argv
from bpfinspect.cli.selectors import parse_tag, strtoul
from bpfinspect.kernel.idtable import IdTable
from bpfinspect.views.jsonw import encode
from bpfinspect.views.textsafe import safe


def test_json_compact():
    assert encode([{"id": 1, "map_ids": [2, 3], "x": {}, "y": []}]) == (
        '[{"id":1,"map_ids":[2,3],"x":{},"y":[]}]')


def test_json_pretty_is_bpftools_layout():
    assert encode([{"id": 8, "ids": [4, 5], "pids": [{"pid": 1, "comm": "a"}]}],
                  pretty=True) == (
        '[{\n'
        '        "id": 8,\n'
        '        "ids": [4,5\n'
        '        ],\n'
        '        "pids": [{\n'
        '                "pid": 1,\n'
        '                "comm": "a"\n'
        '            }\n'
        '        ]\n'
        '    }\n'
        ']')


def test_json_escapes_what_bpftool_does_and_the_rest():
    assert encode('a\tb\n"\\') == '"a\\tb\\n\\"\\\\"'
    assert encode("\x01\x1f") == '"\\u0001\\u001f"'
    bad = b"x\xff".decode("utf-8", "surrogateescape")
    assert json.loads(encode(bad)) == "x\ufffd"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids)))
def test_json_always_valid(value):
    for pretty in (False, True):
        assert json.loads(encode(value, pretty)) == value


def test_text_escapes_control_characters():
    assert safe("a\nb\x1b[31m") == "a\\x0ab\\x1b[31m"
    assert safe(b"\xfe".decode("utf-8", "surrogateescape")) == "\\xfe"


@pytest.mark.parametrize("argv,json_,pretty,bpffs,words", [
    (["prog", "show", "-j"], True, False, False, ["prog", "show"]),
    (["-jpf", "map"], True, True, True, ["map"]),
    (["--pre", "btf"], True, True, False, ["btf"]),
    (["prog", "--", "-j"], False, False, False, ["prog", "-j"]),
    (["-B", "/x", "btf", "--base-btf=/y"], False, False, False, ["btf"]),
])
def test_global_options_anywhere(argv, json_, pretty, bpffs, words):
    opts, rest = split_argv(argv)
    assert (opts.json, opts.pretty, opts.bpffs, rest, opts.error) == (
        json_, pretty, bpffs, words, None)


def test_bad_options():
    assert split_argv(["-x"])[0].error == "unrecognized option '-x'"
    assert split_argv(["--frob"])[0].error == "unrecognized option '--frob'"
    assert split_argv(["-B"])[0].error == "option requires an argument -- 'B'"


@pytest.mark.parametrize("text,value", [
    ("5", 5), ("0x1f", 31), ("010", 8), ("", 0), ("-1", 0xFFFFFFFF), ("12x", None),
    ("abc", None),
])
def test_ids_parse_as_strtoul(text, value):
    assert strtoul(text) == value


def test_tags():
    tag = bytes.fromhex("fa8c2ee32e0604b5")
    assert parse_tag("fa8c2ee32e0604b5") == tag
    assert parse_tag("fa 8c 2e e3 2e 06 04 b5") == tag
    assert parse_tag("fa:8c:2e:e3:2e:06:04:b5") == tag
    assert parse_tag("fa8c") is None


def test_idtable_matches_libbpf_hashmap_order():
    """One key's values in libbpf's chain order: pushed at the head, reversed on each grow.
    The spec's own example: maps 40, 41, 43, 44 of one BTF print as `map_ids 44,40,41,43`."""
    t = IdTable()
    for v in (40, 41, 43, 44):
        t.append(14, v)
    assert t.get(14) == [44, 40, 41, 43]
    assert t.get(8) == []
    one = IdTable()
    one.append(1, "a")
    assert one.get(1) == ["a"] and len(one) == 1


def test_load_time_to_epoch_truncates_like_c():
    from bpfinspect.kernel.procfs import load_time_to_epoch

    assert load_time_to_epoch(1_500_000_000, (100, -600_000_000)) == 100
    assert load_time_to_epoch(1_700_000_000, (100, -600_000_000)) == 101


def test_fdinfo_after_fork_reads_the_childs_own_descriptors(tmp_path):
    """procfs reads its own fdinfo files relative to /proc/self/fdinfo, opened once; a child
    forked after that reads its own, not its parent's."""
    import os

    from bpfinspect.kernel import procfs

    probe = os.open(str(tmp_path), os.O_RDONLY)
    try:
        assert "flags" in procfs.fdinfo(probe)  # the folder is open now
        pid = os.fork()
        if pid == 0:
            fd = os.open(str(tmp_path), os.O_RDONLY)  # a number the parent has free
            ok = "flags" in procfs.fdinfo(fd) and procfs.fdinfo_field(fd, "pos") == "0"
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(probe)
