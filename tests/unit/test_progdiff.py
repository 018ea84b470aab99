"""`prog diff` without a kernel: listings built by hand, compared and printed."""

import io
import json

import pytest

from bpfinspect.api import progdiff
from bpfinspect.api.progdiff import Entry, Listing
from bpfinspect.errors import BpfError
from bpfinspect.views import colour
from bpfinspect.views import progdiff as view


def listing(label, rows, names=None):
    """rows: (proto, src, disasm); indices counted as the kernel counts slots."""
    entries, index = [], 0
    for proto, src, disasm in rows:
        entries.append(Entry(index, proto, src, disasm))
        index += 2 if disasm.startswith("(18)") else 1
    return Listing(label, entries, names)


OLD = [
    ("int main(void * ctx)", "int main(void *ctx)", "(18) r1 = map[id:7]"),
    (None, None, "(85) call __htab_map_lookup_elem#338048"),
    (None, "return f(x);", "(85) call pc+1#bpf_prog_0123456789abcdef_f"),
    (None, None, "(95) exit"),
    ("int f(int x)", "return x;", "(18) r0 = 0xffff8881234abcd0"),
    (None, None, "(95) exit"),
]


def test_normalised_the_same():
    new = [list(r) for r in OLD]
    new[0][2] = "(18) r1 = map[id:9]"
    new[1][2] = "(85) call __htab_map_lookup_elem#338112"
    new[2][2] = "(85) call pc+1#bpf_prog_fedcba9876543210_f"
    new[4][2] = "(18) r0 = 0xffff888100000000"
    doc = progdiff.compare(listing("a", OLD, {7: "stats"}),
                           listing("b", [tuple(r) for r in new], {9: "stats"}))
    assert doc.same and [f.status for f in doc.functions] == ["same", "same"]
    assert list(view.text_lines(doc)) == []


def test_changed_and_added():
    new = list(OLD[:5]) + [(None, None, "(b7) r0 = 1"), (None, None, "(95) exit"),
                           ("int g(void)", None, "(95) exit")]
    doc = progdiff.compare(listing("id 1 (name main)", OLD, {7: "stats"}),
                           listing("id 2 (name main)", new, {7: "counts"}))
    assert not doc.same
    assert [(f.name, f.status) for f in doc.functions] == [
        ("main", "changed"), ("f", "changed"), ("g", "added")]
    out = io.StringIO()
    view.write_text(out, doc)
    assert out.getvalue() == (
        "--- id 1 (name main) func main\n"
        "+++ id 2 (name main) func main\n"
        "@@ -1,6 +1,6 @@\n"
        " int main(void * ctx):\n"
        " ; int main(void *ctx)\n"
        "-(18) r1 = map[stats]\n"
        "+(18) r1 = map[counts]\n"
        " (85) call __htab_map_lookup_elem\n"
        " ; return f(x);\n"
        " (85) call f\n"
        "--- id 1 (name main) func f\n"
        "+++ id 2 (name main) func f\n"
        "@@ -1,4 +1,5 @@\n"
        " int f(int x):\n"
        " ; return x;\n"
        " (18) r0 = <kernel address>\n"
        "+(b7) r0 = 1\n"
        " (95) exit\n"
        "--- /dev/null\n"
        "+++ id 2 (name main) func g\n"
        "@@ -0,0 +1,2 @@\n"
        "+int g(void):\n"
        "+(95) exit\n")
    doc_json = view.json_value(doc)
    json.dumps(doc_json)
    assert doc_json["functions"][2] == {
        "name": "g", "old_name": None, "status": "added",
        "hunks": [{"old_start": 0, "old_lines": 0, "new_start": 1, "new_lines": 2,
                   "lines": ["+int g(void):", "+(95) exit"]}]}
    painter = colour.Painter()
    painted = io.StringIO()
    view.write_text(painted, doc, paint=painter)
    assert colour.strip(painted.getvalue()) == out.getvalue()
    assert "\x1b[31m-(18) r1 = map[stats]\x1b[0m" in painted.getvalue()


def test_without_btf_functions_by_calls_and_numbered_maps():
    old = listing("a", [(None, None, "(18) r1 = map[id:3]"), (None, None, "(18) r2 = map[id:4]"),
                        (None, None, "(85) call pc+1"), (None, None, "(95) exit"),
                        (None, None, "(18) r0 = map[id:3][0]+8"), (None, None, "(95) exit")])
    funcs = progdiff.functions(old)
    assert [(f.name, f.start, len(f.entries)) for f in funcs] == [("func_0", 0, 4),
                                                                 ("func_1", 6, 2)]
    norm = progdiff.Normaliser(old, funcs, by_name=False)
    assert [norm.text(e) for e in old.entries] == [
        "(18) r1 = map[#1]", "(18) r2 = map[#2]", "(85) call func_1", "(95) exit",
        "(18) r0 = map[#1][0]+8", "(95) exit"]
    # the sources are left out unless both sides have them
    a = listing("a", [(None, "x = 1;", "(b7) r0 = 1"), (None, None, "(95) exit")])
    b = listing("b", [(None, None, "(b7) r0 = 1"), (None, None, "(95) exit")])
    assert progdiff.compare(a, b).same


def test_unknown_call_address_keeps_its_offset():
    a = listing("a", [(None, None, "(85) call 0xffffffff81234567#338048"),
                      (None, None, "(95) exit")])
    norm = progdiff.Normaliser(a, progdiff.functions(a), by_name=False)
    assert norm.text(a.entries[0]) == "(85) call ?#338048"


@pytest.mark.parametrize("content, message", [
    (b"not json", "is not JSON"),
    (b"\xff\xfe", "is not JSON"),
    (b"[]", "is not a saved"),
    (b'{"disasm": "(95) exit"}', "is not a saved"),
    (b'[{"key": ["0x00"]}]', "is not a saved"),
    (b'[{"disasm": "exit"}]', "is not a saved"),
    (b'[{"disasm": "(95) exit", "src": 3}]', "is not a saved"),
    (b'[{"id": 3, "insns": [{"disasm": "(95) exit"}]}]', "is not a saved"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "f.json"
    path.write_bytes(content)
    with pytest.raises(BpfError, match=message):
        progdiff.from_file(str(path))
    with pytest.raises(BpfError, match="can't read"):
        progdiff.from_file(str(tmp_path / "missing"))
    with pytest.raises(BpfError, match="can't read"):
        progdiff.from_file(str(tmp_path))


def test_saved_file_indices(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps([{"proto": "int m(void)", "disasm": "(18) r1 = map[id:5]"},
                                {"disasm": "(85) call pc+1#x"}, {"disasm": "(95) exit"},
                                {"proto": "int s(void)", "disasm": "(95) exit"}]))
    saved = progdiff.from_file(str(path))
    assert [e.index for e in saved.entries] == [0, 2, 3, 4]
    assert saved.map_names is None
    funcs = progdiff.functions(saved)
    assert [f.name for f in funcs] == ["m", "s"]
    norm = progdiff.Normaliser(saved, funcs, by_name=True)
    assert norm.text(saved.entries[1]) == "(85) call s"


def test_kernel_addresses_named_between_programs():
    rows = [(None, None, "(18) r1 = 0xffffffff82a0c940"), (None, None, "(95) exit")]
    a = listing("a", rows, {})
    a.kernel_names = {0xffffffff82a0c940: "init_task"}
    norm = progdiff.Normaliser(a, progdiff.functions(a), by_name=True)
    assert norm.text(a.entries[0]) == "(18) r1 = &init_task"
    norm = progdiff.Normaliser(a, progdiff.functions(a), by_name=False)
    assert norm.text(a.entries[0]) == "(18) r1 = <kernel address>"
