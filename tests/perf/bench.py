#!/usr/bin/env python3
"""Time bpfinspect against bpftool on the same objects, in one run, and print the ratios.

Workload: 1,000 pinned programs in a private bpffs (removed at the end). No tracing program
is attached by this script; one that fires on every syscall would distort both sides.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = 1000
REPEAT = 7

# (what, bpfinspect argv, reference argv, ratio to reach)
CASES = [
    ("version vs import click", ["version"], [sys.executable, "-c", "import click"], 1.25),
    ("prog show", ["prog", "show"], ["bpftool", "prog", "show"], 2.0),
    ("-j prog show", ["-j", "prog", "show"], ["bpftool", "-j", "prog", "show"], 2.0),
]


def timed(argv):
    """Median wall time of REPEAT runs, after one warm-up."""
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_programs(bpffs, obj):
    os.makedirs(os.path.join(bpffs, "progs"))
    for i in range(PROGRAMS):
        subprocess.run(["bpftool", "prog", "load", obj, os.path.join(bpffs, "progs", "p%d" % i)],
                       check=True, stderr=subprocess.DEVNULL)


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
        print("workload: %d pinned programs (loaded in %.1fs)" % (
            PROGRAMS, time.perf_counter() - start))
        ours = [sys.executable, "-m", "bpfinspect"]
        print("%-26s %12s %12s %8s %8s" % ("command", "bpfinspect", "reference", "ratio",
                                         "target"))
        for what, args, reference, target in CASES:
            a = timed(ours + args)
            b = timed(reference)
            print("%-26s %10.1fms %10.1fms %7.2fx %7.2fx %s" % (
                what, a * 1000, b * 1000, a / b, target, "ok" if a / b <= target else "SLOW"))
    finally:
        subprocess.run(["umount", "-l", bpffs])
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
