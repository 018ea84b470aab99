"""`prog top`'s views and screen logic on hand-built snapshots (no kernel)."""

import io
import json

from bpfinspect import model
from bpfinspect.cli.toplive import split_keys
from bpfinspect.views import top as view
from bpfinspect.views.jsonw import JsonStream
from bpfinspect.views.toplive import TopScreen, chart_lines

ON = model.StatsState(enabled=True, by="bpfinspect")


def rate(prog_id, name, cpu, runs, ns_total, avg=100, ptype="xdp", pids=()):
    return model.ProgRate(
        prog_id, ptype, name, "00112233445566%02x" % prog_id, runs, int(cpu * 1e7), runs * 3,
        ns_total, avg if runs else None, float(runs), cpu, 0, pids)


def snapshot(*rates):
    from bpfinspect.api.top import type_totals

    return model.TopSnapshot(time=1795740662.25, interval_s=1.0, stats=ON,
                             programs=tuple(rates), types=type_totals(rates))


SNAP = snapshot(
    rate(7, "busy", 1.5, 2000, 123456789, pids=(model.Owner(42, "loader"),)),
    rate(12, "idle\x1bname", 0.0, 0, 0, ptype="tracepoint"),
    rate(9, "mid", 0.25, 10, 5000, ptype="tracepoint"))


def test_snapshot_text_exact():
    assert view.snapshot_text(SNAP) == (
        "bpfinspect prog top - 2026-11-27T00:51:02.250Z, interval 1.00 s\n"
        "statistics on: switched on by bpfinspect while it runs (BPF_ENABLE_STATS)\n"
        "programs: 3, CPU: 1.75% of one CPU, runs: 2010.0/s\n"
        "\n"
        "ID  TYPE        NAME          CPU%  RUNS/S  AVG NS  TOTAL TIME  PIDS\n"
        " 7  xdp         busy          1.50  2000.0     100  0.123457 s  loader(42)\n"
        "12  tracepoint  idle\\x1bname  0.00     0.0       -  0.000000 s\n"
        " 9  tracepoint  mid           0.25    10.0     100  0.000005 s\n"
        "\n"
        "TYPE        PROGS  CPU%  RUNS/S\n"
        "xdp             1  1.50  2000.0\n"
        "tracepoint      2  0.25    10.0\n"
        "\n")


def test_snapshot_json_lines():
    out = io.StringIO()
    stream = JsonStream(out, pretty=True)  # JSON Lines stay compact under -p
    view.write_json(stream, [SNAP, SNAP])
    stream.close()
    lines = out.getvalue().split("\n")
    assert lines[2:] == [""] and lines[0] == lines[1]
    doc = json.loads(lines[0])
    assert list(doc) == ["time", "interval_s", "stats_enabled", "stats_enabled_by",
                         "programs", "types"]
    assert doc["time"] == "2026-11-27T00:51:02.250Z" and doc["interval_s"] == 1.0
    assert doc["programs"][0] == {
        "id": 7, "type": "xdp", "name": "busy", "tag": "0011223344556607", "run_cnt": 2000,
        "run_time_ns": 15000000, "run_cnt_total": 6000, "run_time_ns_total": 123456789,
        "avg_ns": 100, "runs_per_s": 2000.0, "cpu_pct": 1.5, "recursion_misses": 0,
        "pids": [{"pid": 42, "comm": "loader"}]}
    assert doc["programs"][1]["name"] == "idle\x1bname" and doc["programs"][1]["avg_ns"] is None
    assert doc["types"] == [
        {"type": "xdp", "programs": 1, "run_cnt": 2000, "run_time_ns": 15000000,
         "cpu_pct": 1.5},
        {"type": "tracepoint", "programs": 2, "run_cnt": 10, "run_time_ns": 2500000,
         "cpu_pct": 0.25}]


def test_statistics_states():
    assert view.stats_text(model.StatsState(enabled=True, by="sysctl")) == (
        "statistics on: kernel.bpf_stats_enabled is 1")
    assert view.stats_text(model.StatsState(enabled=False, by=None)).startswith(
        "statistics off: run time is not counted")


def test_screen_sort_filter_select():
    screen = TopScreen()
    screen.update(SNAP)
    assert [r.id for r in screen.rows] == [7, 9, 12]  # CPU% descending
    assert screen.selected == 7
    screen.key("1")
    assert [r.id for r in screen.rows] == [7, 9, 12] and not screen.descending  # ID ascending
    screen.key("r")
    assert [r.id for r in screen.rows] == [12, 9, 7]
    screen.key(">")  # TYPE, ascending first
    assert [r.id for r in screen.rows] == [9, 12, 7]
    assert screen.selected == 7  # the selection follows its program
    screen.key("up")
    assert screen.selected == 12
    for key in ["/", "m", "i", "x", "backspace", "d", "enter"]:
        assert screen.key(key) is False
    assert screen.filter == "mid" and [r.id for r in screen.rows] == [9]
    assert screen.selected == 9
    screen.key("enter")
    assert screen.detail == 9
    screen.key("esc")
    assert screen.detail is None and screen.filter == "mid"
    screen.key("esc")
    assert screen.filter == "" and len(screen.rows) == 3
    assert screen.key("q") is True


def test_screen_handles_programs_that_vanish():
    screen = TopScreen()
    screen.update(SNAP)
    screen.key("enter")
    screen.update(snapshot(rate(9, "mid", 0.25, 10, 5000)))
    assert [r.id for r in screen.rows] == [9] and screen.selected == 9
    assert list(screen.history) == [9] and len(screen.history[9]) == 2
    text = _plain(screen.render(100, 30, ((), ())))
    assert "program 7 is gone (Esc: back)" in text


def _plain(renderable, width=100):
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_screen_render_and_markup_stays_text():
    screen = TopScreen()
    screen.update(snapshot(rate(3, "[bold]x", 0.5, 5, 10, pids=(model.Owner(1, "[red]c\x07"),))))
    text = _plain(screen.render(100, 30))
    assert "[bold]x" in text and "[red]c\\x07(1)" in text and "\x07" not in text
    assert "sort: CPU% descending  1 of 1 programs" in text
    screen.key("enter")
    detail = _plain(screen.render(100, 30, ((), ())))
    assert "3: xdp  name [bold]x  tag 0011223344556603" in detail
    assert "maps\n(none)\n\nlinks\n(none)\n" in detail


def test_screen_too_small():
    screen = TopScreen()
    screen.update(SNAP)
    assert _plain(screen.render(40, 8)) == (
        "terminal too small (40x8): prog top needs at least 60x10\n")


def test_chart_lines():
    assert chart_lines([0.0, 1.0, 2.0, 4.0], 2) == ["   █ 4.00%", " ▄██ 0%"]
    assert chart_lines([], 2) == [" 0.00%", " 0%"]


def test_split_keys():
    assert split_keys(b"q\x1b[A\x1b[B\r\x7f/\x1b\x1b[6~\xc3\xa9\x1b[99X") == [
        "q", "up", "down", "enter", "backspace", "/", "esc", "pgdn", "é"]


def test_prog_info_layout_matches_bpf_prog_info():
    """proginfo.LAYOUT unpacks each field from its bpf_prog_info offset (the kernel's UAPI
    layout: type 0, id 4, tag 8, ..., run_time_ns 192)."""
    import ctypes

    from bpfinspect.kernel import proginfo, uapi

    info = uapi.bpf_prog_info()
    values = {}
    for n, name in enumerate(proginfo.FIELDS):
        if name in ("tag", "name"):
            value = bytes(range(n, n + getattr(uapi.bpf_prog_info, name).size))
            ctypes.memmove(ctypes.addressof(info) + getattr(uapi.bpf_prog_info, name).offset,
                           value, len(value))
        else:
            value = 1 if name == "gpl_compatible" else 1000 + n
            setattr(info, name, value)
        values[name] = value
    got = dict(zip(proginfo.FIELDS, proginfo.LAYOUT.unpack_from(bytes(info))))
    assert got == values
    assert (uapi.bpf_prog_info.run_time_ns.offset, uapi.bpf_prog_info.name.offset) == (192, 64)
