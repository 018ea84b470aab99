"""The Output interface (views/output.py) as make_output() hands it out: errors in each
mode, `null`, `version`, and what an output kind has no view of."""

import io
import json

import pytest

from bpfinspect import model
from bpfinspect.errors import UsageError
from bpfinspect.isa import cfg
from bpfinspect.views import make_output
from bpfinspect.views.output import Unsupported, error_text
from bpfinspect.views.visual import DotOutput
from tests import rawprogs
from tests.unit.records import program, xlated


def test_error_text_goes_to_stderr(capsys):
    """bpftool's p_err without -j: `Error: ...` on stderr, after what stdout holds."""
    out = io.StringIO()
    out.write("partial\n")
    error_text(out, "can't get next program: Operation not permitted")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "", "Error: can't get next program: Operation not permitted\n")
    assert out.getvalue() == "partial\n"


def test_error_text_escapes_control_characters(capsys):
    error_text(io.StringIO(), "no program with name 'a\nb\x1b'")
    assert capsys.readouterr().err == "Error: no program with name 'a\\x0ab\\x1b'\n"


def test_text_and_dot_errors_on_stderr(capsys):
    for kind in ("text", "dot"):
        out = io.StringIO()
        output = make_output(kind, out)
        output.error("what is 'id'?")
        output.close()
        assert out.getvalue() == ""
        assert capsys.readouterr().err == "Error: what is 'id'?\n"


def test_json_error_on_stdout(capsys):
    out = io.StringIO()
    output = make_output("json", out)
    output.error("what is 'id'?\t\"x\"")
    output.close()
    assert out.getvalue() == '{"error":"what is \'id\'?\\t\\"x\\""}\n'
    assert capsys.readouterr().err == ""


def test_json_error_closes_an_open_listing():
    """An error in the middle of a listing: the array is closed around it (valid JSON)."""
    out = io.StringIO()
    output = make_output("json", out)
    output.stream.begin_array()
    output.stream.value({"id": 1})
    output.error("interrupted")
    output.close()
    assert out.getvalue() == '[{"id":1},{"error":"interrupted"}]\n'


def test_null():
    """Where a command has no output: `null` in JSON, nothing in text."""
    out = io.StringIO()
    output = make_output("json", out)
    output.null()
    output.close()
    assert out.getvalue() == "null\n"
    out = io.StringIO()
    output = make_output("text", out)
    output.null()
    output.close()
    assert out.getvalue() == ""


def test_version():
    """bpftool's `version`: features listed as `features: a, b`."""
    info = {"version": "0.1.0", "libbpf_version": "1.8.0",
            "features": {"llvm": True, "skeletons": False, "capstone": True}}
    out = io.StringIO()
    make_output("text", out).version(info)
    assert out.getvalue() == "bpfinspect v0.1.0\nusing libbpf v1.8.0\nfeatures: llvm, capstone\n"
    out = io.StringIO()
    make_output("text", out).version(dict(info, libbpf_version=None, features={}))
    assert out.getvalue() == "bpfinspect v0.1.0\nusing libbpf (not found)\nfeatures:\n"
    out = io.StringIO()
    output = make_output("json", out)
    output.version(info)
    output.close()
    assert out.getvalue() == (
        '{"version":"0.1.0","libbpf_version":"1.8.0",'
        '"features":{"llvm":true,"skeletons":false,"capstone":true}}\n')


def test_make_output_kinds():
    assert isinstance(make_output("dot", io.StringIO()), DotOutput)
    assert make_output("json", io.StringIO(), pretty=True).stream.pretty
    with pytest.raises(KeyError):
        make_output("yaml", io.StringIO())


def test_what_an_output_has_no_view_of():
    """Unsupported is a UsageError, so the CLI reports it as one line."""
    x = xlated(rawprogs.PROGRAMS["three"])
    graph = model.Cfg(x, cfg.build(x.image.insns(), []))
    cases = [
        (make_output("dot", io.StringIO()), "objects", ("prog", [program()]),
         "dot output has no view of prog objects"),
        (make_output("dot", io.StringIO()), "xlated", ([x],),
         "dot output has no view of xlated instructions"),
        (make_output("text", io.StringIO()), "cfg", ([graph],),
         "text output has no view of control-flow graphs"),
        (make_output("json", io.StringIO()), "cfg", ([graph],),
         "json output has no view of control-flow graphs"),
    ]
    for output, method, args, message in cases:
        with pytest.raises(Unsupported) as exc:
            getattr(output, method)(*args)
        assert isinstance(exc.value, UsageError)
        assert str(exc.value) == message


def test_json_error_after_a_whole_document_goes_to_stderr(capsys):
    """A late Ctrl-C (the document already whole) must not append a second JSON value."""
    import io

    from bpfinspect.views.json import JsonOutput

    for write in (lambda o: o.version({"version": "x"}),
                  lambda o: o.objects("btf", [], listing=True)):
        out = io.StringIO()
        output = JsonOutput(out)
        write(output)
        output.error("interrupted")
        output.close()
        assert json.loads(out.getvalue()) is not None
        assert capsys.readouterr().err == "Error: interrupted\n"
    out = io.StringIO()
    output = JsonOutput(out)
    output.error("interrupted")  # nothing written yet: the error is the document
    output.close()
    assert out.getvalue() == '{"error":"interrupted"}\n'


class _Writes(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, text):
        self.writes += 1
        return super().write(text)


def _programs_then_failure(count):
    for i in range(count):
        yield program(id=i + 1)
    raise UsageError("can't get next program: No such file or directory")


@pytest.mark.parametrize("kind", ["text", "json"])
def test_a_listing_goes_out_in_batches_and_what_came_before_an_error_still_does(kind):
    """A listing is written 256 objects at a time; when the walk fails, the objects it
    gave are written before the error, and JSON stays one valid array."""
    out = _Writes()
    output = make_output(kind, out)
    with pytest.raises(UsageError):
        output.objects("prog", _programs_then_failure(600), listing=True)
    if kind == "json":
        output.error("can't get next program: No such file or directory")
        output.close()
        doc = json.loads(out.getvalue())
        assert [p["id"] for p in doc[:-1]] == list(range(1, 601))
        assert doc[-1] == {"error": "can't get next program: No such file or directory"}
        assert out.writes == 1 + 3 + 3  # '[', three batches; the error, ']' and the newline
    else:
        assert [int(line.split(":")[0]) for line in out.getvalue().splitlines()
                if line[:1].isdigit()] == list(range(1, 601))
        assert out.writes == 3
