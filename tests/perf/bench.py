#!/usr/bin/env python3
"""Time bpfinspect against bpftool on the same objects, in one run, and print the ratios.

Workload, in a private bpffs (removed at the end): 1,000 pinned programs, one program of
100,000 instructions, and a hash map of 1,000,000 entries (4-byte keys, 8-byte values). No tracing program is attached by this script; one that fires on every
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
CASES = [
    ("version vs import click", ["version"], [sys.executable, "-c", "import click"], 1.15),
    ("prog show", ["prog", "show"], ["bpftool", "prog", "show"], 2.0),
    ("-j prog show", ["-j", "prog", "show"], ["bpftool", "-j", "prog", "show"], 2.0),
    ("dump xlated 100k", ["prog", "dump", "xlated", "pinned", BIG],
     ["bpftool", "prog", "dump", "xlated", "pinned", BIG], 1.0),
    ("-j dump xlated 100k", ["-j", "prog", "dump", "xlated", "pinned", BIG],
     ["bpftool", "-j", "prog", "dump", "xlated", "pinned", BIG], 1.0),
    ("visual 100k", ["prog", "dump", "xlated", "pinned", BIG, "visual"],
     ["bpftool", "prog", "dump", "xlated", "pinned", BIG, "visual"], 1.0),
    ("btf dump vmlinux", ["btf", "dump", "file", VMLINUX],
     ["bpftool", "btf", "dump", "file", VMLINUX], 2.0),
    ("btf dump vmlinux format c", ["btf", "dump", "file", VMLINUX, "format", "c"],
     ["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"], 1.5),
    ("... format c unsorted", ["btf", "dump", "file", VMLINUX, "format", "c", "unsorted"],
     ["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"], 1.5),
    ("map dump 1M", ["map", "dump", "pinned", BIGMAP],
     ["bpftool", "map", "dump", "pinned", BIGMAP], 0.5),
    ("-j map dump 1M", ["-j", "map", "dump", "pinned", BIGMAP],
     ["bpftool", "-j", "map", "dump", "pinned", BIGMAP], 0.5),
]
# peak RSS of these commands, in MiB, at most MAX_RSS_MIB
RSS_CASES = [["map", "dump", "pinned", BIGMAP], ["-j", "map", "dump", "pinned", BIGMAP]]


def run_once(argv, timeout=None):
    start = time.perf_counter()
    try:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def timed_pair(ours, reference):
    """Median wall times (ours, reference) of REPEAT alternating runs, after a warm-up of
    each; reference None when it ran longer than SLOW (then it runs once)."""
    run_once(ours)
    first = run_once(reference, SLOW)
    if first is None:
        return statistics.median(run_once(ours) for _ in range(REPEAT)), None
    a, b = [], []
    for _ in range(REPEAT if first < 1.0 else REPEAT_SLOW):
        a.append(run_once(ours))
        b.append(run_once(reference))
    return statistics.median(a), statistics.median(b)


def load_programs(bpffs, obj):
    os.makedirs(os.path.join(bpffs, "progs"))
    for i in range(PROGRAMS):
        subprocess.run(["bpftool", "prog", "load", obj, os.path.join(bpffs, "progs", "p%d" % i)],
                       check=True, stderr=subprocess.DEVNULL)


def peak_rss_mib(argv):
    """Peak resident memory of `argv`, measured by a process whose only child it is."""
    probe = ("import resource, subprocess, sys; "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                         check=True)
    return int(out.stdout) / 1024.0


def load_big(bpffs):
    import bigprog
    from tests import loader

    path = os.path.join(bpffs, "big")
    loader.load_and_pin(loader.assemble(bigprog.slots(BIG_INSNS)), path, "big")
    return path


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
        subst = {BIG: big, BIGMAP: bigmap}
        # the installed command, as users run it (make bench installs the current sources)
        ours = [os.path.join(os.path.dirname(sys.executable), "bpfinspect")]
        print("%-26s %12s %12s %8s %8s" % ("command", "bpfinspect", "reference", "ratio",
                                         "target"))
        only = os.environ.get("BENCH_ONLY")  # a substring of the commands to time
        for what, args, reference, target in CASES:
            if only and only not in what:
                continue
            args = [subst.get(a, a) for a in args]
            reference = [subst.get(a, a) for a in reference]
            a, b = timed_pair(ours + args, reference)
            if b is None:
                print("%-26s %10.1fms %11s %8s %7.2fx ok (reference stopped after %d s)" % (
                    what, a * 1000, "> %ds" % SLOW, "< %.3fx" % (a / SLOW), target, SLOW))
                continue
            print("%-26s %10.1fms %10.1fms %7.2fx %7.2fx %s" % (
                what, a * 1000, b * 1000, a / b, target, "ok" if a / b <= target else "SLOW"))
        for args in RSS_CASES:
            args = [subst.get(a, a) for a in args]
            rss = peak_rss_mib(ours + args)
            print("%-26s %9.1f MiB peak RSS %23s %s" % (
                " ".join(args[:-1])[:26], rss, "max %d MiB" % MAX_RSS_MIB,
                "ok" if rss <= MAX_RSS_MIB else "TOO MUCH"))
    finally:
        subprocess.run(["umount", "-l", bpffs])
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
