"""`prog top` against the kernel: a program the test runs a known number of times (with
BPF_PROG_TEST_RUN, through `bpftool prog run`), held open by a process whose comm is hostile;
headless snapshots as text and JSON Lines, Ctrl-C, statistics switched off again on exit,
bad input, and the live view driven in tmux and read off its screen."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.kernel import ROOT, bpfinspect, bpftool, need, need_root, run_prog, stats_held_elsewhere

STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"
HOLDER_COMM = b"[bold]ev\x1bil"


def _stats_sysctl():
    with open(STATS_SYSCTL) as f:
        return f.read().strip()


@pytest.fixture
def top_prog(bpffs, tmp_path):
    """(pin, id, holder pid): a fresh socket filter named top_probe (r0 = 0; exit), and a
    process holding it whose comm is HOLDER_COMM."""
    from tests import loader

    need_root()
    os.makedirs(os.path.join(bpffs, "top"), exist_ok=True)
    pin = os.path.join(bpffs, "top", "top_probe_%d" % time.monotonic_ns())
    loader.load_and_pin(loader.return_zero(), pin,
                        "top_probe")
    info = json.loads(bpftool("-j", "prog", "show", "pinned", pin).stdout)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys, time\n"
         "sys.path.insert(0, %r)\n"
         "from bpfinspect.kernel import objects\n"
         "obj = objects.open_pinned(%r)\n"
         "open('/proc/self/comm', 'wb').write(%r)\n"
         "print('ready', flush=True)\n"
         "time.sleep(120)\n" % (ROOT, pin, HOLDER_COMM)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        yield pin, info["id"], holder.pid
    finally:
        holder.kill()
        holder.wait()
        os.unlink(pin)


def _mine(doc, prog_id):
    found = [p for p in doc["programs"] if p["id"] == prog_id]
    assert len(found) == 1, doc
    return found[0]


def _top(*args):
    return subprocess.Popen([sys.executable, "-m", "bpfinspect", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_json_lines_count_the_runs(top_prog, tmp_path):
    pin, prog_id, holder = top_prog
    need(_stats_sysctl() == "0", "kernel.bpf_stats_enabled is 1: statistics can't be "
                                 "seen switching on and off")
    top = _top("-j", "prog", "top", "--interval", "0.5", "--count", "4")
    try:
        first = top.stdout.readline()  # the first interval is over: runs now count later
        for _ in range(3):
            run_prog(pin, tmp_path, 100)
        rest, err = top.communicate(timeout=30)
    finally:
        top.kill()
    assert (top.returncode, err) == (0, "")
    lines = [first] + rest.splitlines(True)
    assert len(lines) == 4 and all(line.endswith("}\n") for line in lines)
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        assert list(doc) == ["time", "interval_s", "stats_enabled", "stats_enabled_by",
                             "programs", "types"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["time"])
        assert 0.45 < doc["interval_s"] < 1.0
        assert (doc["stats_enabled"], doc["stats_enabled_by"]) == (True, "bpfinspect")
    mine = [_mine(doc, prog_id) for doc in docs]
    assert mine[0]["run_cnt"] == 0 and mine[0]["avg_ns"] is None
    assert sum(m["run_cnt"] for m in mine) == 300 == mine[-1]["run_cnt_total"]
    assert sum(m["run_time_ns"] for m in mine) == mine[-1]["run_time_ns_total"] > 0
    busy = max(mine, key=lambda m: m["run_cnt"])
    doc = docs[mine.index(busy)]
    assert busy["avg_ns"] == busy["run_time_ns"] // busy["run_cnt"]
    assert busy["cpu_pct"] == round(busy["run_time_ns"] / doc["interval_s"] / 1e7, 4)
    assert busy["runs_per_s"] == pytest.approx(busy["run_cnt"] / doc["interval_s"], rel=1e-3)
    assert list(busy) == ["id", "type", "name", "tag", "run_cnt", "run_time_ns",
                          "run_cnt_total", "run_time_ns_total", "avg_ns", "runs_per_s",
                          "cpu_pct", "recursion_misses", "pids"]
    assert (busy["type"], busy["name"], busy["recursion_misses"]) == ("socket_filter",
                                                                      "top_probe", 0)
    assert busy["pids"] == [{"pid": holder, "comm": HOLDER_COMM.decode()}]
    assert '"comm":"[bold]ev\\u001bil"' in lines[0]
    types = {t["type"]: t for t in doc["types"]}
    assert types["socket_filter"]["run_cnt"] >= busy["run_cnt"]
    # the statistics went off with bpfinspect: runs no longer count
    run_prog(pin, tmp_path, 50)
    after = json.loads(bpfinspect("-j", "prog", "show", "pinned", pin, check=0).stdout)
    assert _stats_sysctl() == "0"
    if not stats_held_elsewhere():
        assert after["run_cnt"] == 300


def test_text_snapshots(top_prog):
    pin, prog_id, holder = top_prog
    proc = bpfinspect("prog", "top", "--interval", "0.3", "--count", "2", check=0)
    blocks = proc.stdout.split("\n\n")
    assert len(blocks) == 7 and blocks[-1] == ""  # header, programs, types; twice
    for types in (blocks[2], blocks[5]):
        rows = types.split("\n")
        assert re.fullmatch(r"TYPE +PROGS  CPU% +RUNS/S", rows[0]), rows[0]
        assert any(re.fullmatch(r"socket_filter +\d+  0\.00 +0\.0", r) for r in rows), rows
    for header, table in ((blocks[0], blocks[1]), (blocks[3], blocks[4])):
        lines = header.split("\n")
        assert re.fullmatch(r"bpfinspect prog top - \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z, "
                            r"interval 0\.3\d s", lines[0])
        assert lines[1] in (
            "statistics on: switched on by bpfinspect while it runs (BPF_ENABLE_STATS)",
            "statistics on: kernel.bpf_stats_enabled is 1")
        assert re.fullmatch(r"programs: \d+, CPU: \d+\.\d\d% of one CPU, runs: \d+\.\d/s",
                            lines[2])
        rows = table.split("\n")
        assert re.fullmatch(r" *ID  TYPE +NAME +CPU% +RUNS/S +AVG NS +TOTAL TIME  PIDS",
                            rows[0])
        row = [r for r in rows if r.split()[0] == str(prog_id)]
        assert len(row) == 1
        assert re.fullmatch(r" *%d  socket_filter +top_probe +0\.00 +0\.0 +- +0\.000000 s  "
                            r".*\[bold\]ev\\x1bil\(%d\).*" % (prog_id, holder), row[0]), row
    assert "\x1b" not in proc.stdout


def test_no_enable_stats_counts_nothing_new(top_prog, tmp_path):
    pin, prog_id, _ = top_prog
    need(_stats_sysctl() == "0", "kernel.bpf_stats_enabled is 1")
    top = _top("-j", "prog", "top", "--interval", "0.4", "--count", "2", "--no-enable-stats")
    try:
        first = top.stdout.readline()
        run_prog(pin, tmp_path, 100)
        rest, err = top.communicate(timeout=30)
    finally:
        top.kill()
    assert (top.returncode, err) == (0, "")
    counted_elsewhere = stats_held_elsewhere()  # another process's fd keeps them on
    for line in [first] + rest.splitlines(True):
        doc = json.loads(line)
        assert (doc["stats_enabled"], doc["stats_enabled_by"]) == (False, None)
        if not counted_elsewhere:
            assert _mine(doc, prog_id)["run_cnt_total"] == 0
    text = bpfinspect("prog", "top", "--interval", "0.1", "--count", "1",
                      "--no-enable-stats", check=0).stdout
    assert text.split("\n")[1] == ("statistics off: run time is not counted "
                                   "(kernel.bpf_stats_enabled is 0 and --no-enable-stats "
                                   "was given)")


def test_ctrl_c_leaves_whole_lines():
    need_root()
    top = _top("-j", "prog", "top", "--interval", "0.2")
    try:
        lines = [top.stdout.readline(), top.stdout.readline()]
        top.send_signal(signal.SIGINT)
        rest, err = top.communicate(timeout=10)
    finally:
        top.kill()
    assert (top.returncode, err) == (0, "")
    for line in lines + rest.splitlines(True):
        assert line.endswith("}\n")
        json.loads(line)


@pytest.mark.parametrize("args,message", [
    (["--interval", "0"], "invalid interval '0': seconds, more than 0 and at most 86400"),
    (["--interval", "-1"], "invalid interval '-1': seconds, more than 0 and at most 86400"),
    (["--interval", "nan"], "invalid interval 'nan': seconds, more than 0 and at most 86400"),
    (["--count", "-3"], "invalid count '-3': a whole number of snapshots, at least 1"),
    (["--count", "1.5"], "invalid count '1.5': a whole number of snapshots, at least 1"),
    (["--listen", "127.0.0.1:1"], "option '--listen' is for 'exporter' only"),
])
def test_bad_input(args, message):
    need_root()
    proc = bpfinspect("prog", "top", *args, check=255)
    assert (proc.stdout, proc.stderr) == ("", "Error: %s\n" % message)
    proc = bpfinspect("-j", "prog", "top", *args, check=255)
    assert json.loads(proc.stdout) == {"error": message}
    proc = bpfinspect("prog", "show", "--count", "1", check=255)
    assert proc.stderr == "Error: option '--count' is for 'prog top' only\n"


class Tmux:
    """A tmux session running one command, read as a person reads the screen."""

    def __init__(self, command, width=120, height=32):
        need(shutil.which("tmux") is not None, "tmux is not installed")
        self.name = "bpfinspect-top-%d" % os.getpid()
        subprocess.run(["tmux", "kill-session", "-t", self.name], stderr=subprocess.DEVNULL)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width),
                        "-y", str(height), command], check=True)
        self.resize(width, height)  # whatever size another session left the server at

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=15):
        """The screen once `text` is on it and it has settled: the same on two looks 50 ms
        apart, so that a redraw caught halfway (its first lines new, the rest old) is not
        taken for what a person sees."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                time.sleep(0.05)
                if self.screen() == screen:
                    return screen
            assert time.monotonic() < deadline, "%r never appeared on a settled screen:\n%s" % (
                text, screen)
            time.sleep(0.05)

    def keys(self, *keys, literal=False):
        subprocess.run(["tmux", "send-keys", "-t", self.name] + (["-l"] if literal else [])
                       + list(keys), check=True)

    def resize(self, width, height):
        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", str(width), "-y",
                        str(height)], check=True)

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], stderr=subprocess.DEVNULL)


def test_live_view_in_tmux(top_prog, tmp_path):
    pin, prog_id, holder = top_prog
    before = _stats_sysctl()
    tmux = Tmux("cd %s && %s -m bpfinspect prog top --interval 0.5; echo EXIT=$?; sleep 60"
                % (ROOT, sys.executable))
    try:
        screen = tmux.wait_for("sort: CPU% descending")
        lines = screen.split("\n")
        assert lines[0].startswith("bpfinspect prog top - ")
        assert lines[1] in (
            "statistics on: switched on by bpfinspect while it runs (BPF_ENABLE_STATS)",
            "statistics on: kernel.bpf_stats_enabled is 1")
        assert re.fullmatch(r" *ID +TYPE +NAME +CPU%▼ +RUNS/S +AVG NS +TOTAL TIME +PIDS *",
                            lines[4]), lines[4]
        assert "q quit  1-7 or </> sort  r reverse  / filter" in screen

        tmux.keys("/")
        tmux.wait_for("filter (name or type, Enter applies, Esc cancels): ")
        tmux.keys("top_pro", literal=True)
        tmux.keys("Enter")
        screen = tmux.wait_for("filter: top_pro  1 of ")
        rows = [line for line in screen.split("\n")[5:] if re.match(r" *\d+ ", line)]
        assert len(rows) == 1 and rows[0].split()[:3] == [str(prog_id), "socket_filter",
                                                          "top_probe"]
        assert rows[0].endswith("  [bold]ev\\x1bil(%d)" % holder)  # escaped, not markup
        tmux.keys("1")
        tmux.wait_for("sort: ID ascending  filter: top_pro")

        run_prog(pin, tmp_path, 1000)
        tmux.keys("Enter")
        screen = tmux.wait_for("%d: socket_filter  name top_probe  tag " % prog_id)
        assert "pids [bold]ev\\x1bil(%d)" % holder in screen
        assert "CPU% over the last " in screen
        assert re.search(r"\nmaps\n\(none\)\n\nlinks\n\(none\)\nEsc back  q quit", screen)
        screen = tmux.wait_for(" runs 1000 ")
        tmux.keys("Escape")
        tmux.wait_for("sort: ID ascending  filter: top_pro")

        tmux.resize(50, 8)
        tmux.wait_for("terminal too small (50x8)")
        tmux.resize(120, 32)
        tmux.wait_for("sort: ID ascending")
        tmux.keys("q")
        tmux.wait_for("EXIT=0")
    finally:
        tmux.close()
    assert _stats_sysctl() == before


def test_counter_reader_agrees_with_bpftool(loaded):
    """The refresh's fast reads (raw bpf(2), one buffer) give what `bpftool prog show` gives,
    with and without map ids and memlock."""
    from bpfinspect.kernel import stats

    theirs = {p["id"]: p for p in json.loads(bpftool("-j", "prog", "show").stdout)}
    for reader in (stats.CounterReader(), stats.CounterReader(memlock=True, map_ids=True)):
        for _ in range(12):  # past the tenth refresh, which walks every id again
            mine = {c.id: c for c in reader.read()}
        ours = [i for i in (p["id"] for p in loaded.progs.values()) if i in mine]
        assert len(ours) == len(loaded.progs)
        for prog_id in ours:
            c, p = mine[prog_id], theirs[prog_id]
            assert (c.type, c.name, c.tag, c.bytes_xlated, c.bytes_jited) == (
                p["type"], p["name"], p["tag"], p["bytes_xlated"], p["bytes_jited"])
            if reader._map_ids:
                assert list(c.map_ids) == p.get("map_ids", [])
                assert c.bytes_memlock == p["bytes_memlock"]
            else:
                assert (c.map_ids, c.bytes_memlock) == ((), None)
