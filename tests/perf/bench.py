#!/usr/bin/env python3
"""Time bpfinspect against bpftool on the same objects, in one run, and print the ratios.

Workload, in a private bpffs (removed at the end): 1,000 pinned programs, one program of
100,000 instructions, and a hash map of 1,000,000 entries (4-byte keys, 8-byte values); 1,000
links (raw tracepoint links held by this process), a cgroup v2 tree of 1,000 cgroups with a
program on every tenth, and a network namespace with 100 devices (50 veth pairs: this kernel
has no dummy devices). No tracing program is attached by this script; one that fires on every
syscall would distort both sides. Each command and its reference run alternately, and the
medians are compared.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, HERE]
PROGRAMS = 1000
BIG_INSNS = 100000
MAP_ENTRIES = 1000000
MAX_RSS_MIB = 100
REPEAT = 11
REPEAT_SLOW = 3  # when the reference takes more than a second
SLOW = 60.0  # seconds: a reference slower than this is stopped and reported as "> 60 s"

# (what, bpfinspect argv, reference argv, ratio to reach); BIG is the large program's pin,
# BIGMAP the large map's
VMLINUX = "/sys/kernel/btf/vmlinux"
BIG = "{big}"
BIGMAP = "{bigmap}"
BRANCHY = "{branchy}"  # BRANCHY_INSNS instructions, a conditional jump in every third
BRANCHY_INSNS = 2000
# targets: (measure, limit, bpftool) with measure "ratio" (plain time / time) or "marginal"
# (time beyond `version` / the same of bpftool), against Debian's bpftool 7.1 or the newest
# (7.8, $BPFTOOL_NEWEST); a target against a bpftool that was not run is not judged
def _t(measure, limit, tool):
    return (measure, limit, tool)


CASES = [
    ("version vs import click", ["version"], [sys.executable, "-c", "import click"],
     [_t("ratio", 1.15, "7.1")]),
    ("prog show", ["prog", "show"], ["bpftool", "prog", "show"],
     [_t("marginal", 2.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("-j prog show", ["-j", "prog", "show"], ["bpftool", "-j", "prog", "show"],
     [_t("marginal", 2.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("dump xlated 100k", ["prog", "dump", "xlated", "pinned", BIG],
     ["bpftool", "prog", "dump", "xlated", "pinned", BIG],
     [_t("ratio", 1.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("-j dump xlated 100k", ["-j", "prog", "dump", "xlated", "pinned", BIG],
     ["bpftool", "-j", "prog", "dump", "xlated", "pinned", BIG],
     [_t("ratio", 1.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("visual 100k", ["prog", "dump", "xlated", "pinned", BIG, "visual"],
     ["bpftool", "prog", "dump", "xlated", "pinned", BIG, "visual"],
     [_t("ratio", 1.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("visual 2k branchy", ["prog", "dump", "xlated", "pinned", BRANCHY, "visual"],
     ["bpftool", "prog", "dump", "xlated", "pinned", BRANCHY, "visual"],
     [_t("ratio", 1.0, "7.1"), _t("ratio", 1.0, "7.8")]),
    ("btf dump vmlinux", ["btf", "dump", "file", VMLINUX],
     ["bpftool", "btf", "dump", "file", VMLINUX], [_t("ratio", 1.5, "7.1")]),
    ("btf dump vmlinux format c", ["btf", "dump", "file", VMLINUX, "format", "c"],
     ["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"], [_t("ratio", 1.5, "7.8")]),
    # 7.1's format c is unsorted; the newest's unsorted form is asked for by name
    ("... format c unsorted", ["btf", "dump", "file", VMLINUX, "format", "c", "unsorted"],
     ["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"], [_t("ratio", 1.2, "7.1")]),
    ("map dump 1M", ["map", "dump", "pinned", BIGMAP],
     ["bpftool", "map", "dump", "pinned", BIGMAP], [_t("ratio", 0.5, "7.1")]),
    ("-j map dump 1M", ["-j", "map", "dump", "pinned", BIGMAP],
     ["bpftool", "-j", "map", "dump", "pinned", BIGMAP], [_t("ratio", 0.5, "7.1")]),
]
# (what, bpfinspect argv, reference argv, target for the time beyond start-up): ratio = (ours -
# `bpfinspect version`) / reference, issue 11's measure, judged against the newest bpftool
# when $BPFTOOL_NEWEST names one (Debian's 7.1 prints less for links and net); CGROUPS is the cgroup tree's root,
# NETNS runs the command in the namespace of 100 devices
CGROUPS = "{cgroups}"
NETNS = "{netns}"
OBJECT_CASES = [
    ("link show (1,000 links)", ["link", "show"], ["bpftool", "link", "show"], 2.0),
    ("-j link show", ["-j", "link", "show"], ["bpftool", "-j", "link", "show"], 2.0),
    ("cgroup tree (1,000 cgroups)", ["cgroup", "tree", CGROUPS],
     ["bpftool", "cgroup", "tree", CGROUPS], 2.0),
    ("net show (100 devices)", [NETNS, "net", "show"], [NETNS, "bpftool", "net", "show"], 2.0),
]
LINKS, CGROUP_COUNT, DEVICES = 1000, 1000, 100

# peak RSS of these commands, in MiB, at most MAX_RSS_MIB
RSS_CASES = [["map", "dump", "pinned", BIGMAP], ["-j", "map", "dump", "pinned", BIGMAP]]


# every figure of the run, for the summary table and BENCH_JSON
RESULTS = []


def result(command, ours_ms, ref_ms=None, newest_ms=None, ratio=None, marginal=None,
           target=None, kind="ratio", met=None, note="", ratio78=None, marginal78=None):
    RESULTS.append({"command": command, "bpfinspect_ms": _round(ours_ms),
                    "bpftool71_ms": _round(ref_ms), "bpftool78_ms": _round(newest_ms),
                    "ratio": _round(ratio, 3), "marginal_ratio": _round(marginal, 3),
                    "ratio_78": _round(ratio78, 3), "marginal_ratio_78": _round(marginal78, 3),
                    "target": target, "target_kind": kind, "met": met, "note": note})


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def summary():
    """The run's figures as one table, and as JSON in $BENCH_JSON when given."""
    print()
    row = "%-28s %10s %10s %10s %7s %8s %7s %8s %-3s %s"
    print(row % ("command", "bpfinspect", "bpftool7.1", "newest", "ratio", "marginal",
                 "ratio", "marginal", "met", "target"))
    print(row % ("", "", "", "", "(7.1)", "(7.1)", "(new)", "(new)", "", ""))

    def ms(v):
        return "-" if v is None else "%.1fms" % v

    def x(v):
        return "-" if v is None else "%.2fx" % v

    for r in RESULTS:
        target = r["target"]
        if isinstance(target, list):
            target = ", ".join("%s <= %g vs %s" % m for m in target)
        elif target is not None:
            target = "%s %s" % (target, r["target_kind"])
        print(row % (r["command"][:28], ms(r["bpfinspect_ms"]), ms(r["bpftool71_ms"]),
                     ms(r["bpftool78_ms"]), x(r["ratio"]), x(r["marginal_ratio"]),
                     x(r["ratio_78"]), x(r["marginal_ratio_78"]),
                     {True: "yes", False: "NO", None: "-"}[r["met"]], target or "-"))
        if r["note"]:
            print("%28s   %s" % ("", r["note"]))
    path = os.environ.get("BENCH_JSON")
    if path:
        import json

        with open(path, "w") as f:
            json.dump(RESULTS, f, indent=1)
        print("written to", path)


def judge(targets, figures):
    """True when every target whose bpftool was run is met, None when none could be judged;
    `figures` maps (measure, tool) to the measured value (None: not run)."""
    verdicts = [figures.get((m, tool)) <= limit for m, limit, tool in targets
                if figures.get((m, tool)) is not None]
    return all(verdicts) if verdicts else None


def run_once(argv, timeout=None):
    start = time.perf_counter()
    try:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def timed_pair(ours, reference, repeat=None, slow=SLOW):
    """Median wall times (ours, reference) of REPEAT alternating runs (`repeat` if given),
    after a warm-up of each; reference None when it ran longer than `slow` seconds (then it
    runs once)."""
    run_once(ours)
    first = run_once(reference, slow)
    if first is None:
        return statistics.median(run_once(ours) for _ in range(repeat or REPEAT)), None
    a, b = [], []
    for _ in range(repeat or (REPEAT if first < 1.0 else REPEAT_SLOW)):
        a.append(run_once(ours))
        b.append(run_once(reference))
    return statistics.median(a), statistics.median(b)


def load_programs(bpffs, obj):
    os.makedirs(os.path.join(bpffs, "progs"))
    for i in range(PROGRAMS):
        subprocess.run(["bpftool", "prog", "load", obj, os.path.join(bpffs, "progs", "p%d" % i)],
                       check=True, stderr=subprocess.DEVNULL)


def peak_rss_mib(argv, ok=(0,)):
    """Peak resident memory of `argv` (exiting with a status in `ok`), measured by a process
    whose only child it is."""
    probe = ("import resource, subprocess, sys; "
             "ok = [int(s) for s in sys.argv[1].split(',')]; "
             "assert subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL).returncode in ok; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, ",".join(map(str, ok)), *argv],
                         capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024.0


def load_big(bpffs):
    import bigprog
    from tests import loader

    path = os.path.join(bpffs, "big")
    loader.load_and_pin(loader.assemble(bigprog.slots(BIG_INSNS)), path, "big")
    return path


def load_branchy(bpffs):
    import bigprog
    from tests import loader

    path = os.path.join(bpffs, "branchy")
    loader.load_and_pin(loader.assemble(bigprog.branchy(BRANCHY_INSNS)), path, "branchy")
    return path


def load_links():
    """LINKS raw tracepoint links, held by this process (closed when it exits)."""
    from tests import linkhooks

    prog = linkhooks.prog_load(linkhooks.PT_RAW_TP, "bench_raw_tp")
    name = linkhooks.ctypes.create_string_buffer(b"cpuhp_enter")
    return [linkhooks.sys_bpf(linkhooks.BPF_RAW_TRACEPOINT_OPEN,
                              linkhooks._ptr(name) + linkhooks.u32s(prog, 0))[0]
            for _ in range(LINKS)] + [prog]


def cgroup2_mount():
    from tests.kernel import cgroup2_mount as mount

    found = mount()
    if found is None:
        sys.exit("bench: cgroup v2 is not mounted")
    return found


def make_cgroups():
    """(root, dirs, program fd): CGROUP_COUNT cgroups, 10 groups of 99 under a root, with a
    cgroup_skb program attached (multi) to every tenth."""
    from tests import linkhooks

    root = os.path.join(cgroup2_mount(), "bpfinspect-bench-%d" % os.getpid())
    dirs = [root]
    for i in range(10):
        dirs.append("%s/g%d" % (root, i))
        dirs += ["%s/g%d/c%d" % (root, i, j) for j in range(CGROUP_COUNT // 10 - 1)]
    prog = linkhooks.prog_load(linkhooks.PT_CGROUP_SKB, "bench_cgroup", 1)
    try:
        for d in dirs:
            os.mkdir(d)
        for d in dirs[::10]:
            fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
            try:  # BPF_PROG_ATTACH (8): target_fd, attach_bpf_fd, ingress, BPF_F_ALLOW_MULTI
                linkhooks.sys_bpf(8, linkhooks.u32s(fd, prog, linkhooks.A_CG_INGRESS, 2))
            finally:
                os.close(fd)
    except BaseException:
        remove_cgroups(dirs)
        raise
    return root, dirs, prog


def remove_cgroups(dirs):
    for d in reversed(dirs):
        if os.path.isdir(d):
            os.rmdir(d)  # programs attached to a removed cgroup go with it


def make_netns():
    name = "bpfinspect-bench-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        batch = "".join("link add v%d type veth peer name p%d\n" % (i, i)
                        for i in range(DEVICES // 2))
        subprocess.run(["ip", "-n", name, "-batch", "-"], input=batch.encode(), check=True)
    except BaseException:
        subprocess.run(["ip", "netns", "del", name])
        raise
    return name


# prog top's cost with PROGRAMS programs loaded (issue 13): CPU per refresh, and CPU share of
# the live view at the default interval
TOP_REFRESH_MS, TOP_CPU_PCT, TOP_SECONDS = 25.0, 3.0, 20
_REFRESH_PROBE = """
import io, statistics, sys, time
from rich.console import Console
from bpfinspect.api import top
from bpfinspect.views import top as view
from bpfinspect.views.toplive import TopScreen
with top.Statistics() as stats:
    sampler = top.Sampler(stats.state)
    sampler.start()
    screen, console = TopScreen(), Console(file=io.StringIO(), width=160, height=50)
    for _ in range(3):
        sampler.next()
    text, live = [], []
    for _ in range(15):
        t = time.process_time(); view.snapshot_text(sampler.next())
        text.append(time.process_time() - t)
        t = time.process_time(); screen.update(sampler.next())
        console.print(screen.render(160, 50)); live.append(time.process_time() - t)
    print(len(screen.rows), statistics.median(text) * 1000, statistics.median(live) * 1000)
"""


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def top_costs(ours):
    """CPU of one refresh (headless text, and live), and the live view's CPU share over
    TOP_SECONDS at the default interval, in tmux."""
    out = subprocess.run([sys.executable, "-c", _REFRESH_PROBE], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    rows, text_ms, live_ms = int(out[0]), float(out[1]), float(out[2])
    for what, ms in (("top refresh, headless", text_ms), ("top refresh, live", live_ms)):
        print("%-26s %8.1fms CPU per refresh (%d programs) %9s %s" % (
            what, ms, rows, "max %dms" % TOP_REFRESH_MS,
            "ok" if ms <= TOP_REFRESH_MS else "SLOW"))
        result(what + " (CPU)", ms, target=TOP_REFRESH_MS, kind="ms", met=ms <= TOP_REFRESH_MS)
    session = "bpfinspect-bench-top-%d" % os.getpid()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50",
                    "exec %s prog top" % " ".join(ours)], check=True)
    try:
        pid = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
                                 capture_output=True, text=True, check=True).stdout.split()[0])
        time.sleep(3)  # started, statistics on, first refreshes drawn
        before, start = _cpu_seconds(pid), time.monotonic()
        time.sleep(TOP_SECONDS)
        share = (_cpu_seconds(pid) - before) / (time.monotonic() - start) * 100
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
    print("%-26s %8.2f%% of one CPU over %d s %15s %s" % (
        "prog top, live, 1 s", share, TOP_SECONDS, "max %.0f%%" % TOP_CPU_PCT,
        "ok" if share <= TOP_CPU_PCT else "SLOW"))
    result("prog top live, 1 s (CPU %)", None, target=TOP_CPU_PCT, kind="%",
           met=share <= TOP_CPU_PCT, note="%.2f%% of one CPU" % share)


SCRAPE_MS, SCRAPE_MAPS = 100.0, 1000


def exporter_cost(ours, bpffs):
    """Median time of one scrape (an HTTP GET of /metrics) of `exporter` with PROGRAMS
    programs and SCRAPE_MAPS maps loaded."""
    import socket
    import urllib.request

    from tests import loader

    fds = [loader.create_map(loader.HASH, 4, 8, 16, name="bench_m%d" % i)
           for i in range(SCRAPE_MAPS)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(ours + ["exporter", "--listen", "127.0.0.1:%d" % port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/metrics" % port
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=10).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            size = len(urllib.request.urlopen(url, timeout=10).read())
            times.append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait()
        for fd in fds:
            os.close(fd)
    ms = statistics.median(times) * 1000
    print("%-26s %8.1fms per scrape (%d programs, %d maps, %d KiB) %s %s" % (
        "exporter scrape", ms, PROGRAMS, SCRAPE_MAPS, size // 1024, "max %dms" % SCRAPE_MS,
        "ok" if ms <= SCRAPE_MS else "SLOW"))
    result("exporter scrape", ms, target=SCRAPE_MS, kind="ms", met=ms <= SCRAPE_MS)


MAX_DIFF_RSS_MIB = 200
MAX_DIFF_RATIO = 2.0


def _all_different_map(path, entries, name):
    """loader.big_hash_map's keys, every value one more than it has them."""
    import struct

    from tests import loader

    fd = loader.create_map(loader.HASH, 4, 8, entries, name)
    try:
        step = 65536
        for start in range(0, entries, step):
            n = min(step, entries - start)
            keys = struct.pack("<%dI" % n, *range(start, start + n))
            values = struct.pack("<%dQ" % n, *((i * 2654435761 + 1) & (2**64 - 1)
                                              for i in range(start, start + n)))
            loader.update_batch(fd, keys, values, n)
        loader.pin_fd(fd, path)
    finally:
        os.close(fd)


def map_diff_costs(ours, bpffs, bigmap):
    """`map diff` of two 1,000,000-entry maps, equal and with every value different (text
    and -j): its time against dumping both, and its peak RSS."""
    from tests import loader

    other = os.path.join(bpffs, "bigmap2")
    differ = os.path.join(bpffs, "bigmap3")
    loader.big_hash_map(other, MAP_ENTRIES, "bench_hash2")
    _all_different_map(differ, MAP_ENTRIES, "bench_hash3")
    # (printed as, summary names: time and RSS, flags, second map)
    cases = [("map diff (1M, 1M)", ("map diff 1M vs dump both", "map diff 1M peak RSS"), [],
              other),
             ("map diff 1M, all differ", ("diff all-differ vs dumps", "diff all-differ RSS"),
              [], differ),
             ("-j map diff 1M, all differ",
              ("-j diff all-differ vs dumps", "-j diff all-differ RSS"), ["-j"], differ)]
    try:
        for what, (timed, peak), flags, path in cases:
            diff = ours + flags + ["map", "diff", "pinned", bigmap, "pinned", path]
            dumps = [ours + flags + ["map", "dump", "pinned", p] for p in (bigmap, path)]
            run_diff(diff)
            a = statistics.median(run_diff(diff) for _ in range(REPEAT_SLOW))
            b = statistics.median(sum(run_once(d) for d in dumps) for _ in range(REPEAT_SLOW))
            print("%-26s %10.1fms %10.1fms %7.2fx %7.2fx %s (reference: map dump of both)" % (
                what, a * 1000, b * 1000, a / b, MAX_DIFF_RATIO,
                "ok" if a / b <= MAX_DIFF_RATIO else "SLOW"))
            result(timed, a * 1000, ratio=a / b, target=MAX_DIFF_RATIO,
                   met=a / b <= MAX_DIFF_RATIO, note="reference: bpfinspect map dump of both")
            rss = peak_rss_mib(diff, ok=(0, 1))
            print("%-26s %9.1f MiB peak RSS %23s %s" % (
                what, rss, "max %d MiB" % MAX_DIFF_RSS_MIB,
                "ok" if rss <= MAX_DIFF_RSS_MIB else "TOO MUCH"))
            result(peak, None, target=MAX_DIFF_RSS_MIB, kind="MiB",
                   met=rss <= MAX_DIFF_RSS_MIB, note="%.1f MiB" % rss)
    finally:
        os.unlink(other)
        os.unlink(differ)


def run_diff(argv):
    """Wall time of a `map diff`, which exits 1 when the maps differ."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL)
    if proc.returncode not in (0, 1):
        raise subprocess.CalledProcessError(proc.returncode, argv)
    return time.perf_counter() - start


BUSY_PROCESSES, BUSY_FDS = 2000, 20


def busy_host(ours, starts, newest):
    """`prog show` with BUSY_PROCESSES more processes holding BUSY_FDS fds each (half of
    them a program's), where finding `pids` costs most."""
    from tests import loader

    prog = loader.load(loader.return_zero(), "bench_busy")
    null = os.open("/dev/null", os.O_RDONLY)
    held = [os.dup(prog if i % 2 else null) for i in range(BUSY_FDS)]
    sleepers = []
    try:
        for _ in range(BUSY_PROCESSES):
            sleepers.append(subprocess.Popen(["sleep", "3600"], pass_fds=held,
                                             stdin=subprocess.DEVNULL))
        print("busy host: %d more processes holding %d fds each" % (BUSY_PROCESSES, BUSY_FDS))
        for what, args in (("prog show, busy host", ["prog", "show"]),
                           ("-j prog show, busy host", ["-j", "prog", "show"])):
            FIGURES[what] = time_case(what, ours + args, ["bpftool"] + args,
                                      [_t("ratio", 1.0, "7.8")], starts, newest)
    finally:
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()
        for fd in held + [null, prog]:
            os.close(fd)


SLOPE_PROGRAMS, SLOPE_ENTRIES = 10000, 10000000


def slopes(ours, bpffs, obj, starts, newest):
    """How cost grows: `prog show` at PROGRAMS and SLOPE_PROGRAMS programs, `map dump` at
    MAP_ENTRIES and SLOPE_ENTRIES entries, as time per object for each tool, and the dump's
    peak RSS at both sizes (flat: it streams)."""
    from tests import loader

    extra = os.path.join(bpffs, "more")
    os.makedirs(extra)
    try:
        for i in range(SLOPE_PROGRAMS - PROGRAMS):
            subprocess.run(["bpftool", "prog", "load", obj, os.path.join(extra, "p%d" % i)],
                           check=True, stderr=subprocess.DEVNULL)
        big = time_case("prog show (10,000 programs)", ours + ["prog", "show"],
                        ["bpftool", "prog", "show"], [_t("ratio", 1.0, "7.8")], starts, newest,
                        REPEAT_SLOW)
        _slope("prog show", FIGURES.get("prog show"), big, SLOPE_PROGRAMS - PROGRAMS, "program")
    finally:
        subprocess.run(["rm", "-rf", extra])
    path = os.path.join(bpffs, "map10m")
    start = time.perf_counter()
    loader.big_hash_map(path, SLOPE_ENTRIES, "bench_hash10m")
    print("a hash map of %d entries (loaded in %.1fs)" % (SLOPE_ENTRIES,
                                                         time.perf_counter() - start))
    try:
        big = time_case("map dump 10M", ours + ["map", "dump", "pinned", path],
                        ["bpftool", "map", "dump", "pinned", path], [_t("ratio", 0.5, "7.1")],
                        starts, None, 1, slow=600)
        _slope("map dump", FIGURES.get("map dump 1M"), big, SLOPE_ENTRIES - MAP_ENTRIES, "entry")
        small_rss = peak_rss_mib(ours + ["map", "dump", "pinned", os.path.join(bpffs, "bigmap")])
        big_rss = peak_rss_mib(ours + ["map", "dump", "pinned", path])
        print("%-26s %9.1f MiB peak RSS at 1M, %.1f MiB at 10M %s" % (
            "map dump", small_rss, big_rss, "flat" if big_rss <= small_rss * 1.25 else "GROWS"))
        result("map dump peak RSS 1M -> 10M", None, target="flat", kind="",
               met=big_rss <= small_rss * 1.25, note="%.1f MiB -> %.1f MiB" % (small_rss, big_rss))
    finally:
        os.unlink(path)


def _slope(what, small, big, more, unit):
    """Time per object between two sizes, for each tool timed at both."""
    if not small or not big:
        return
    names = ("bpfinspect", "bpftool 7.1", "newest")
    parts = []
    for name, a, b in zip(names, small, big):
        if a is not None and b is not None:
            parts.append("%s %.2f us" % (name, (b - a) / more * 1e6))
    print("%-26s per %s: %s" % (what + " slope", unit, ", ".join(parts)))
    result(what + " slope (per %s)" % unit, None, note="; ".join(parts))


FIGURES = {}  # command -> (ours, 7.1, 7.8) seconds, for the slopes


def start_ups(ours, newest):
    """Median start-up times: (bpfinspect version, bpftool version, newest's version)."""
    our = statistics.median(run_once(ours + ["version"]) for _ in range(REPEAT))
    ref = statistics.median(run_once(["bpftool", "version"]) for _ in range(REPEAT))
    new = (statistics.median(run_once([newest, "version"]) for _ in range(REPEAT))
           if newest else None)
    print("start-up: bpfinspect version %.1fms, bpftool version %.1fms%s" % (
        our * 1000, ref * 1000, ", newest %.1fms" % (new * 1000) if new else ""))
    return our, ref, new


def time_case(what, ours, reference, targets, starts, newest, repeat=None, slow=SLOW):
    """Times `ours` against `reference` (Debian's bpftool) and, when given, the newest
    bpftool on the same argv; prints one line, records the result; (ours, 7.1, 7.8)."""
    a, b = timed_pair(ours, reference, repeat, slow)
    c = None
    if newest and reference[0] == "bpftool" and any(t[2] == "7.8" for t in targets):
        c = timed_pair(ours, [newest] + reference[1:], repeat, slow)[1]
    our_start, ref_start, new_start = starts
    figures = {}
    if b is not None:
        figures[("ratio", "7.1")] = a / b
        if reference[0] == "bpftool" and b > ref_start:
            figures[("marginal", "7.1")] = (a - our_start) / (b - ref_start)
    if c is not None:
        figures[("ratio", "7.8")] = a / c
        if c > new_start:
            figures[("marginal", "7.8")] = (a - our_start) / (c - new_start)
    met = judge(targets, figures)
    note = ""
    if b is None:
        note = "bpftool 7.1 stopped after %d s (ratio < %.3fx)" % (slow, a / slow)
        if any(t[2] == "7.1" for t in targets):
            met = met is not False
    print("%-26s %10.1fms %11s %11s %s %s" % (
        what, a * 1000, "> %ds" % slow if b is None else "%.1fms" % (b * 1000),
        "-" if c is None else "%.1fms" % (c * 1000),
        " ".join("%s %s %.2fx" % (m, tool, v) for (m, tool), v in sorted(figures.items())),
        {True: "ok", False: "SLOW", None: ""}[met]))
    result(what, a * 1000, None if b is None else b * 1000, None if c is None else c * 1000,
           ratio=figures.get(("ratio", "7.1")), marginal=figures.get(("marginal", "7.1")),
           ratio78=figures.get(("ratio", "7.8")),
           marginal78=figures.get(("marginal", "7.8")), target=targets, met=met, note=note)
    return a, b, c


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root")
    work = tempfile.mkdtemp(prefix="bpfinspect_bench")
    obj = os.path.join(work, "socket_filter.bpf.o")
    arch = os.uname().machine
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf", "-I/usr/include/%s-linux-gnu" % arch,
                    "-c", os.path.join(HERE, "socket_filter.bpf.c"), "-o", obj], check=True)
    bpffs = os.path.join(work, "fs")
    os.makedirs(bpffs)
    subprocess.run(["mount", "-t", "bpf", "bpf", bpffs], check=True)
    try:
        start = time.perf_counter()
        load_programs(bpffs, obj)
        big = load_big(bpffs)
        from tests import loader

        bigmap = os.path.join(bpffs, "bigmap")
        loader.big_hash_map(bigmap, MAP_ENTRIES, "bench_hash")
        print("workload: %d pinned programs, one of %d instructions, a hash map of %d entries "
              "(loaded in %.1fs)" % (PROGRAMS, BIG_INSNS, MAP_ENTRIES,
                                     time.perf_counter() - start))
        subst = {BIG: big, BIGMAP: bigmap, BRANCHY: load_branchy(bpffs)}
        # the installed command, as users run it (make bench installs the current sources)
        ours = [os.path.join(os.path.dirname(sys.executable), "bpfinspect")]
        newest = os.environ.get("BPFTOOL_NEWEST")  # bpftool 7.8, where given
        starts = start_ups(ours, newest)
        only = os.environ.get("BENCH_ONLY")  # a substring of the commands to time
        for what, args, reference, targets in CASES:
            if only and only not in what:
                continue
            args = [subst.get(a, a) for a in args]
            reference = [subst.get(a, a) for a in reference]
            FIGURES[what] = time_case(what, ours + args, reference, targets, starts, newest)
        if not only or "top" in only:
            top_costs(ours)
        if not only or "exporter" in only:
            exporter_cost(ours, bpffs)
        links, cgroup_dirs, netns = load_links(), [], None
        try:
            cgroup_root, cgroup_dirs, _prog = make_cgroups()
            netns = make_netns()
            start = statistics.median(run_once(ours + ["version"]) for _ in range(REPEAT))
            print("objects: %d links, %d cgroups, %d devices; bpfinspect start-up %.1fms"
                  % (len(links) - 1, len(cgroup_dirs), DEVICES, start * 1000))
            newest = os.environ.get("BPFTOOL_NEWEST")  # bpftool 7.8, to judge by where given
            print("%-26s %11s %11s %11s %8s %8s %8s" % (
                "command", "bpfinspect", "bpftool", "newest", "beyond", "beyond", "target"))
            print("%-26s %11s %11s %11s %8s %8s" % ("", "", "(Debian)", "", "Debian", "newest"))
            for what, args, reference, target in OBJECT_CASES:
                if only and only not in what:
                    continue
                prefix = ["ip", "netns", "exec", netns] if NETNS in args else []
                args = [a.replace(CGROUPS, cgroup_root) for a in args if a != NETNS]
                reference = [a.replace(CGROUPS, cgroup_root) for a in reference if a != NETNS]
                a, b = timed_pair(prefix + ours + args, prefix + reference)
                c = timed_pair(prefix + ours + args, prefix + [newest] + reference[1:])[1] \
                    if newest else None
                judged = (a - start) / (c if c else b)
                print("%-26s %9.1fms %9.1fms %11s %7.2fx %8s %7.2fx %s" % (
                    what, a * 1000, b * 1000, "%.1fms" % (c * 1000) if c else "-",
                    (a - start) / b, "%.2fx" % ((a - start) / c) if c else "-", target,
                    "ok" if judged <= target else "SLOW"))
                result(what, a * 1000, b * 1000, c * 1000 if c else None, ratio=judged,
                       target=target, kind="beyond start-up", met=judged <= target)
        finally:
            if netns:
                subprocess.run(["ip", "netns", "del", netns])
            remove_cgroups(cgroup_dirs)
            for fd in links:
                os.close(fd)
        for args in RSS_CASES:
            args = [subst.get(a, a) for a in args]
            rss = peak_rss_mib(ours + args)
            print("%-26s %9.1f MiB peak RSS %23s %s" % (
                " ".join(args[:-1])[:26], rss, "max %d MiB" % MAX_RSS_MIB,
                "ok" if rss <= MAX_RSS_MIB else "TOO MUCH"))
            result(" ".join(args[:-1]) + " peak RSS", None, target=MAX_RSS_MIB, kind="MiB",
                   met=rss <= MAX_RSS_MIB, note="%.1f MiB" % rss)
        if not only or "diff" in only:
            map_diff_costs(ours, bpffs, bigmap)
        if not only or "busy" in only:
            busy_host(ours, starts, newest)
        if not only or "slope" in only:
            slopes(ours, bpffs, obj, starts, newest)
        summary()
    finally:
        subprocess.run(["umount", "-l", bpffs])
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
