#!/usr/bin/env python3
"""Peak RSS and wall time of `map diff` on 1,000,000-entry hash maps, against `map dump` of
both sides, text and -j: two equal maps, every value different, disjoint keys, and a map
against a saved `-j map dump` FILE (equal, and every value different).

Run as root from the source tree: python tests/perf/mapdiff_measure.py [ENTRIES]. The maps
are pinned in a private directory under /sys/fs/bpf, removed at the end.
"""

import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT]
PY = [sys.executable, "-m", "bpfinspect"]
STEP = 65536


def value_of(i, salt):
    return (i * 2654435761 + salt) & (2**64 - 1)


def hash_map(path, entries, first_key=0, salt=0, name="md_measure"):
    """`entries` keys from `first_key`, 8-byte values value_of(key, salt), pinned."""
    from tests import loader

    fd = loader.create_map(loader.HASH, 4, 8, entries, name)
    try:
        for start in range(first_key, first_key + entries, STEP):
            n = min(STEP, first_key + entries - start)
            keys = struct.pack("<%dI" % n, *range(start, start + n))
            values = struct.pack("<%dQ" % n, *(value_of(i, salt) for i in range(start, start + n)))
            loader.update_batch(fd, keys, values, n)
        loader.pin_fd(fd, path)
    finally:
        os.close(fd)


def measured(argv, out=subprocess.DEVNULL):
    """(wall seconds, CPU seconds, peak RSS MiB) of one run, through /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M %U %S"] + argv,
                              stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        took = time.perf_counter() - start
        kib, user, system = rss.read().splitlines()[-1].split()
    if proc.returncode not in (0, 1):
        raise SystemExit("%s: exit %d: %s" % (" ".join(argv), proc.returncode, proc.stderr))
    return took, float(user) + float(system), int(kib) / 1024.0


def best(argv, repeat):
    """The shortest wall and CPU times of `repeat` runs, and the largest peak RSS."""
    runs = [measured(argv) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def main():
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    repeat = int(os.environ.get("REPEAT", "1"))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    root = tempfile.mkdtemp(prefix="mapdiff_measure_", dir="/sys/fs/bpf")
    pins = {n: os.path.join(root, n) for n in ("a", "equal", "values", "disjoint")}
    files = []
    try:
        hash_map(pins["a"], entries)
        hash_map(pins["equal"], entries)
        hash_map(pins["values"], entries, salt=1)
        hash_map(pins["disjoint"], entries, first_key=entries)
        saved = {}
        for what in ("equal", "values"):
            f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            files.append(f.name)
            subprocess.run(PY + ["-j", "map", "dump", "pinned", pins[what]], stdout=f,
                           check=True, cwd=ROOT)
            f.close()
            saved[what] = f.name
        print("%d entries; file sizes: %s" % (entries, ", ".join(
            "%s %.0f MiB" % (w, os.path.getsize(p) / 2**20) for w, p in saved.items())))
        dump = {}
        for j in ([], ["-j"]):
            for name in ("a", "equal", "values", "disjoint"):
                dump[tuple(j), name] = best(PY + j + ["map", "dump", "pinned", pins[name]],
                                            repeat)
        cases = [("equal maps", "equal", None), ("every value differs", "values", None),
                 ("disjoint keys", "disjoint", None), ("map vs FILE, equal", "equal", "equal"),
                 ("map vs FILE, all differ", "values", "values")]
        print("%-24s %3s %8s %8s %6s %8s %8s %6s %10s %9s" % (
            "case", "", "diff", "dumps", "ratio", "diff cpu", "dump cpu", "ratio", "peak RSS",
            "dump RSS"))
        for what, other, file in cases:
            for j in ([], ["-j"]):
                right = [saved[file]] if file else ["pinned", pins[other]]
                took, cpu, rss = best(PY + j + ["map", "diff", "pinned", pins["a"]] + right,
                                      repeat)
                ref = dump[tuple(j), "a"][0] + dump[tuple(j), other][0]
                ref_cpu = dump[tuple(j), "a"][1] + dump[tuple(j), other][1]
                ref_rss = max(dump[tuple(j), "a"][2], dump[tuple(j), other][2])
                print("%-24s %3s %7.2fs %7.2fs %5.2fx %7.2fs %7.2fs %5.2fx %6.1f MiB %5.1f MiB"
                      " %s" % (what, " ".join(j), took, ref, took / ref, cpu, ref_cpu,
                               cpu / ref_cpu, rss, ref_rss,
                               "ok" if took / ref <= 2 and rss <= 200 else "OVER"), flush=True)
    finally:
        for p in pins.values():
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(root)
        for f in files:
            os.unlink(f)


if __name__ == "__main__":
    main()
