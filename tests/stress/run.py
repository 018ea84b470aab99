#!/usr/bin/env python3
"""bpfinspect's stress suite (issue 12): `make stress`, `tests/stress/run.py [--short]`.

Creates its workload (a private bpffs with hostile pins, programs, maps with BTF, a 100k-entry
hash map, a process with a hostile name holding a map), runs every section, prints one table
of figures and exits 1 if any failure count is not 0. Everything it creates is removed at the
end, also on failure or Ctrl-C. Failures are listed, with what reproduces them, under the table.
"""

import concurrent.futures
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from bpfinspect.errors import EXIT_STATUSES, BpfError  # noqa: E402
from tests.kernel import installed_command  # noqa: E402
from tests.stress import rawbpf  # noqa: E402

CMD = [sys.executable, "-m", "bpfinspect"]
VMLINUX = "/sys/kernel/btf/vmlinux"
HERE = os.path.dirname(os.path.abspath(__file__))
# documented statuses, and 256 - errno for failed calls that return one
DOCUMENTED = set(EXIT_STATUSES) | {256 - e for e in range(1, 134)}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
MEM_CAP = 1 << 30  # RLIMIT_AS of every fuzzed bpfinspect
STARTUP = ("bpfinspect/__init__.py", "bpfinspect/__main__.py", "bpfinspect/constants.py",
           "bpfinspect/entry.py")


class Section:
    def __init__(self, name):
        self.name = name
        self.tried = []
        self.failures = {}
        self.examples = []
        self.peak_kb = 0
        self.seconds = 0.0
        self.startup = 0

    def fail(self, category, example):
        self.failures[category] = self.failures.get(category, 0) + 1
        if len(self.examples) < 12:
            self.examples.append("%s: %s" % (category, example))

    def category(self, *names):
        for n in names:
            self.failures.setdefault(n, 0)

    def peak(self, kb):
        self.peak_kb = max(self.peak_kb, kb)


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_CAP, MEM_CAP))


def run(args, timeout=60, cap=False, **kwargs):
    """(returncode, stdout bytes, stderr bytes, peak KB) of bpfinspect with `args`."""
    proc = subprocess.Popen(CMD + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=ROOT,
                            preexec_fn=_limit if cap else None, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, out, err, 0
    return proc.returncode, out, err, _children_peak()


def _children_peak():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def check_output(sec, args, status, out, err, expect_json=None):
    """The common checks: a documented status, no traceback, one line of error, JSON that
    parses with -j (also on error), no raw control bytes in text."""
    json_mode = expect_json if expect_json is not None else (
        "-j" in args or "-p" in args or "--json" in args)
    what = " ".join(map(str, args))
    if status is None:
        sec.fail("timeout", what)
        return
    if status < 0:
        sec.fail("signal", "%s (signal %d)" % (what, -status))
        return
    if status not in DOCUMENTED:
        sec.fail("undocumented status", "%s -> %d" % (what, status))
    text_err = err.decode(errors="replace")
    if "Traceback" in text_err or "Fatal Python error" in text_err:
        sec.fail("traceback", "%s: %s" % (what, " | ".join(text_err.strip().splitlines()[-3:])))
    # usage text, as bpftool's: its usage() (255) and help with extra words (0)
    usage = text_err.startswith("Usage: bpfinspect ") and status in (0, 255)
    if not usage and (text_err.count("\n") > 1 or (text_err and not text_err.startswith(
            ("Error: ", "Warning: ")))):
        sec.fail("stderr not one line", "%s: %r" % (what, text_err[:200]))
    if json_mode and status != 161 and (out.strip() or status == 0):
        try:
            json.loads(out)
        except ValueError as e:
            sec.fail("invalid JSON", "%s: %s: %r" % (what, e, out[:120]))
    elif json_mode and status not in (0, 161) and not out.strip():
        sec.fail("no JSON error", what)
    # text views escape every control character (C0, DEL, C1); JSON escapes what JSON must
    # (json.loads above rejects a raw C0 control in a string)
    text = "" if json_mode else out.decode("utf-8", errors="replace")
    if CONTROL.search(text):
        m = CONTROL.search(text)
        sec.fail("raw control byte", "%s: %r" % (what, text[max(0, m.start() - 30):m.end() + 10]))
    if CONTROL.search(text_err):
        sec.fail("raw control byte", "%s (stderr): %r" % (what, text_err[:200]))


# ---------------------------------------------------------------------------------- workload

class Workload:
    """A private bpffs with pinned programs and maps; everything goes at close()."""

    def __init__(self, short):
        self.short = short
        self.tmp = tempfile.mkdtemp(prefix="bpfistress", dir="/tmp").replace(".", "_")
        os.makedirs(self.tmp, exist_ok=True)
        self.fs = os.path.join(self.tmp, "fs")
        os.mkdir(self.fs)
        self.mounted = False
        self.procs = []
        self.fds = []

    def setup(self):
        subprocess.run(["mount", "-t", "bpf", "bpf", self.fs], check=True)
        self.mounted = True
        obj = os.path.join(self.tmp, "hostile.o")
        subprocess.run(["clang", "-g", "-O2", "-target", "bpf",
                        "-I/usr/include/%s-linux-gnu" % os.uname().machine,
                        "-c", os.path.join(HERE, "hostile.bpf.c"), "-o", obj], check=True)
        objects = os.path.join(self.tmp, "objects.o")
        subprocess.run(["clang", "-g", "-O2", "-target", "bpf",
                        "-I/usr/include/%s-linux-gnu" % os.uname().machine,
                        "-c", os.path.join(ROOT, "tests", "bpf", "objects.bpf.c"), "-o",
                        objects], check=True)
        self.objfile = obj
        for o, sub in ((obj, "h"), (objects, "o")):
            subprocess.run(["bpftool", "prog", "loadall", o, os.path.join(self.fs, sub + "p"),
                            "pinmaps", os.path.join(self.fs, sub + "m")], check=True,
                           capture_output=True)
        self.prog = os.path.join(self.fs, "hp", "hostile_prog")
        self.vals = os.path.join(self.fs, "hm", "hostile_vals")
        self.data = os.path.join(self.fs, "hm", "h_data")
        # values with control bytes, quotes, invalid UTF-8
        fd = self._get(self.vals)
        for k, s in enumerate((b"\x1b[31m\x07\"\\", b"\xff\xfe\xc2\x85\xc2\x9b", b"\t\n\r\0x")):
            rawbpf.map_update(fd, struct.pack("<I", k), s.ljust(24, b"\0") + struct.pack("<i", k))
        os.close(fd)
        # hostile pins: control bytes, quotes, invalid UTF-8, C1, a newline
        hostile = os.path.join(self.fs, "hostile").encode()
        os.mkdir(hostile)
        self.hostile_pins = []
        fd = self._get(self.vals)
        pfd = self._get(self.prog)
        for i, name in enumerate((b"esc\x1b[2Jx", b"nl\nx", b"q\"uo'te\\", b"bad\xff\xfe",
                                  b"c1\xc2\x85\xc2\x9b", b"bel\x07del\x7f", b"tab\tsp ace")):
            path = hostile + b"/" + name
            rawbpf.pin(pfd if i % 2 else fd, path)
            self.hostile_pins.append(path)
        os.close(fd)
        os.close(pfd)
        # the big hash map (signals, map dump)
        from tests import loader
        self.big = os.path.join(self.fs, "big")
        loader.big_hash_map(self.big, 20000 if self.short else 100000)
        # a process whose comm has control bytes, holding a map and a program
        code = ("import ctypes, os, sys, struct\n"
                "sys.path.insert(0, %r)\n"
                "from tests.stress import rawbpf\n"
                "fds = []\n"
                "for p in sys.argv[1:]:\n"
                "    b = ctypes.create_string_buffer(p.encode())\n"
                "    fds.append(rawbpf.bpf(7, struct.pack('<QII', ctypes.addressof(b), 0, 0)))\n"
                "ctypes.CDLL(None).prctl(15, b'ev\\x1b[1mil\\n\\xff\\x07', 0, 0, 0)\n"
                "print('ready', flush=True)\n"
                "sys.stdin.read()\n" % ROOT)
        holder = subprocess.Popen([sys.executable, "-c", code, self.vals, self.prog],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  start_new_session=True)
        self.procs.append(holder)
        holder.stdout.readline()
        self.vals_id = self.show("map", self.vals)["id"]
        self.prog_id = self.show("prog", self.prog)["id"]
        self.btf_id = self.show("prog", self.prog)["btf_id"]
        self.map_pins = sorted(os.path.join(self.fs, d, n) for d in ("hm", "om")
                               for n in os.listdir(os.path.join(self.fs, d)))
        self.prog_pins = sorted(os.path.join(self.fs, d, n) for d in ("hp", "op")
                                for n in os.listdir(os.path.join(self.fs, d)))
        self.map_ids = [self.show("map", p)["id"] for p in self.map_pins]
        self.prog_ids = [self.show("prog", p)["id"] for p in self.prog_pins]
        self.big_id = self.show("map", self.big)["id"]

    def _get(self, path):
        b = path.encode() if isinstance(path, str) else path
        import ctypes
        buf = ctypes.create_string_buffer(b)
        return rawbpf.bpf(7, struct.pack("<QII", ctypes.addressof(buf), 0, 0))

    @staticmethod
    def show(kind, pin):
        return json.loads(subprocess.run(["bpftool", "-j", kind, "show", "pinned", pin],
                                         capture_output=True, check=True).stdout)

    def close(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        self.procs = []
        if self.mounted:
            subprocess.run(["umount", "-l", self.fs])
            self.mounted = False
        shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- bad input

def bad_argvs(w):
    fifo = os.path.join(w.tmp, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    regular = os.path.join(ROOT, "pyproject.toml")
    missing = os.path.join(w.fs, "missing")
    paths = [fifo, "/dev/null", "/dev/zero", "/tmp", w.fs, regular, missing, "/nonexistent/x",
             "", "-", os.path.join(w.fs, "hostile"), "/proc/self/mem"]
    ids = ["0", "-1", "4294967295", "4294967296", "99999999999999999999999", "0x10", "1e3",
           "abc", "", " 1", "1 ", "-0", "+1", "\u0661"]
    tags = ["", "zz", "0011223344556677", "00112233445566778", "001122334455667", "g" * 16]
    out = []
    for obj, sel in (("prog", ("id", "pinned", "tag", "name")), ("map", ("id", "pinned", "name"))):
        for cmd in ("show", "list", "dump", "lookup", "getnext", "peek", "s", "du"):
            if obj == "prog" and cmd in ("lookup", "getnext", "peek"):
                continue
            head = [obj, cmd] + (["xlated"] if obj == "prog" and cmd in ("dump", "du") else [])
            out.append(head)
            out.append(head + ["id"])
            out += [head + ["id", i] for i in ids]
            out += [head + ["pinned", p] for p in paths]
            out += [head + [s, "x", "extra"] for s in sel]
            out.append(head + ["bogus", "1"])
        out += [[obj, "show", "tag", t] for t in tags]
        out += [[obj, "show", "name", n] for n in ("", "x" * 300, "\x1b[31m", "a\nb", "\xff")]
    out += [["prog", "dump"], ["prog", "dump", "bogus"], ["prog", "dump", "jited"],
            ["prog", "dump", "jited", "id", "4000000000"], ["prog", "dump", "x", "id"],
            ["prog", "dump", "xlated", "pinned", w.prog, "file"],
            ["prog", "dump", "xlated", "pinned", w.prog, "file", "/nonexistent/dir/f"],
            ["prog", "dump", "xlated", "pinned", w.prog, "file", "/dev/full"],
            ["prog", "dump", "xlated", "pinned", w.prog, "opcodes", "bogus"],
            ["prog", "dump", "xlated", "pinned", w.prog, "visual", "file", "/dev/null"],
            ["prog", "dump", "jited", "pinned", w.prog, "visual"],
            ["-o", "/nonexistent/x.png", "prog", "dump", "xlated", "pinned", w.prog, "visual"],
            ["-o", os.path.join(w.tmp, "x.weird"), "prog", "dump", "xlated", "pinned", w.prog,
             "visual"],
            ["prog", "dump", "xlated", "pinned", w.vals], ["map", "dump", "pinned", w.prog]]
    for key in (["key"], ["key", "hex"], ["key", "1"], ["key", "0", "0", "0", "0", "0"],
                ["key", "hex", "zz"], ["key", "256", "0", "0", "0"], ["key", "-1", "0", "0", "0"],
                ["key", "0x0", "0", "0"], ["key", "hex", "00", "00", "00", "00", "extra"],
                ["key", "0", "0", "0", "0", "value", "1"], ["value", "1"]):
        out.append(["map", "lookup", "pinned", w.vals] + key)
        out.append(["map", "getnext", "pinned", w.vals] + key)
    out += [["map", "peek", "pinned", w.vals], ["map", "update", "pinned", w.vals],
            ["map", "delete", "pinned", w.vals], ["map", "pin", "id", "1", "/tmp/x"],
            ["map", "create", "/tmp/x"], ["map", "freeze", "pinned", w.vals]]
    for src in (["id"], ["id", "0"], ["id", "-1"], ["id", "4000000000"], ["prog"], ["map"],
                ["prog", "id", "4000000000"], ["map", "pinned", w.prog],
                ["map", "pinned", w.vals, "bogus"], ["map", "pinned", w.vals, "key", "value"],
                ["file"], ["file", "/nonexistent"], ["bogus"], ["id", str(w.btf_id), "extra"]):
        out.append(["btf", "dump"] + src)
    out += [["btf", "dump", "file", p] for p in paths if p not in ("/proc/self/mem",)]
    for opt in (["format"], ["format", "bogus"], ["format", "c", "format", "raw"],
                ["root_id"], ["root_id", "-1"], ["root_id", "4294967296"], ["root_id", "zz"],
                ["root_id", "99999999"], ["unsorted", "unsorted"], ["format", "raw", "bogus"]):
        out.append(["btf", "dump", "id", str(w.btf_id)] + opt)
    out += [["-B"], ["-B", "/nonexistent", "btf", "dump", "file", VMLINUX],
            ["-B", "/dev/zero", "btf", "dump", "file", VMLINUX], ["btf", "show", "id"],
            ["btf", "show", "id", "x"], ["btf", "show", "name", "x"], ["btf", "show", "id", "1", "2"],
            ["btf"], ["prog"], ["map"], [], ["frob"], ["pro"], ["ma", "sh", "i"], ["p", "d", "x"],
            ["version", "extra"], ["help", "extra"], ["prog", "help", "extra"], ["-x"],
            ["--frob", "prog", "show"], ["prog", "--frob"], ["-o"], ["-o", "", "prog", "show"],
            ["--json=1", "prog", "show"], ["-jx", "prog", "show"], ["--", "prog", "show"],
            ["prog", "show", "--", "id", "1"], ["-d", "-d", "prog", "show", "id", "abc"],
            ["batch", "file", "/dev/null"], ["link", "show"], ["net"], ["feature", "probe"],
            ["gen", "skeleton", w.objfile], ["struct_ops", "show"], ["token"], ["iter"],
            ["cgroup", "tree"], ["perf"], ["prog", "load", w.objfile, "/tmp/x"],
            ["prog", "attach"], ["prog", "run"], ["prog", "profile"], ["prog", "pin", "id", "1"],
            ["\x1b[31m"], ["\xff"], ["prog", "show", "id", "1" * 5000], ["map", "\x00"]]
    return [a for a in out if "\x00" not in "".join(a)]


def section_matrix(w, short):
    sec = Section("bad-input matrix")
    sec.category("traceback", "invalid JSON", "undocumented status", "stderr not one line",
                 "signal", "timeout", "raw control byte")
    argvs = bad_argvs(w)
    total = len(argvs)
    if short:  # every 3rd one (of each kind: the list is systematic), at least 150
        argvs = argvs[::3]
    jobs = [a for a in argvs] + [["-j"] + a for a in argvs]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for args, res in zip(jobs, pool.map(lambda a: run(a, timeout=60), jobs)):
            status, out, err, peak = res
            sec.peak(peak)
            check_output(sec, args, status, out, err)
    sec.tried.append("%d argv's%s x {plain, -j} = %d runs" % (
        len(argvs), " (of %d)" % total if short else "", len(jobs)))
    return sec


# ---------------------------------------------------------------------------------- churn

def _churn_child(stop_at, idfile):
    """Create and close programs (with BTF func/line info), maps (with BTF) and BTF at full
    speed until `stop_at`; the latest ids go to `idfile`; the counts are printed."""
    counts = {"prog": 0, "map": 0, "btf": 0, "errors": 0}
    last = time.monotonic()
    while time.monotonic() < stop_at:
        try:
            b = rawbpf.load_btf()
            m = rawbpf.create_map(rawbpf.HASH, 4, 8, 4, b"churn_m", b, 1, 5)
            p = rawbpf.load_prog(b)
            ids = (rawbpf.fd_id(p), rawbpf.fd_id(m), rawbpf.fd_id(b))
            counts["prog"] += 1
            counts["map"] += 1
            counts["btf"] += 1
            if time.monotonic() - last > 0.005:
                with open(idfile + ".new", "w") as f:
                    f.write("%d %d %d" % ids)
                os.replace(idfile + ".new", idfile)
                last = time.monotonic()
            for fd in (p, m, b):
                os.close(fd)
        except OSError:
            counts["errors"] += 1
            time.sleep(0.001)
    print(json.dumps(counts))


def section_churn(w, short):
    sec = Section("churn")
    sec.category("traceback", "invalid JSON", "undocumented status", "stderr not one line",
                 "signal", "timeout", "raw control byte", "loader errors")
    seconds = 20 if short else 90
    idfile = os.path.join(w.tmp, "churn_ids")
    start = time.monotonic()
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--churn-child",
                              str(seconds), idfile], stdout=subprocess.PIPE, cwd=ROOT,
                             start_new_session=True)
    w.procs.append(child)
    counter = [0]
    try:
        while not os.path.exists(idfile) and time.monotonic() - start < 10:
            time.sleep(0.01)
        lock = threading.Lock()
        threads = [threading.Thread(target=_churn_reader, args=(sec, idfile, start, seconds,
                                                                random.Random(12 + k), lock,
                                                                counter))
                   for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        runs = counter[0]
    finally:
        out, _ = child.communicate(timeout=seconds + 60)
        w.procs.remove(child)
    counts = json.loads(out or b"{}")
    if counts.get("errors"):
        sec.fail("loader errors", "%d bpf(2) calls failed in the loader" % counts["errors"])
    sec.tried.append("loader: %s progs, %s maps, %s BTF created and closed in %d s" % (
        counts.get("prog"), counts.get("map"), counts.get("btf"), seconds))
    sec.tried.append("%d listings and dumps on vanishing ids, plain and -j" % runs)
    return sec


def _churn_reader(sec, idfile, start, seconds, rnd, lock, counter):
    while time.monotonic() - start < seconds - 1:
        try:
            with open(idfile) as f:
                pid, mid, bid = map(int, f.read().split())
        except (OSError, ValueError):
            time.sleep(0.01)
            continue
        d = rnd.choice((-2, -1, 0, 0, 1, 2))
        choices = [["prog", "show"], ["map", "show"], ["btf", "show"],
                   ["prog", "show", "id", str(pid + d)], ["map", "show", "id", str(mid + d)],
                   ["btf", "show", "id", str(bid + d)],
                   ["prog", "dump", "xlated", "id", str(pid + d)],
                   ["prog", "dump", "xlated", "id", str(pid + d), "linum"],
                   ["prog", "dump", "jited", "id", str(pid + d)],
                   ["prog", "dump", "xlated", "id", str(pid + d), "visual"],
                   ["map", "dump", "id", str(mid + d)],
                   ["map", "lookup", "id", str(mid + d), "key", "0", "0", "0", "0"],
                   ["map", "getnext", "id", str(mid + d)],
                   ["btf", "dump", "id", str(bid + d)],
                   ["btf", "dump", "id", str(bid + d), "format", "c"],
                   ["btf", "dump", "map", "id", str(mid + d), "all"],
                   ["btf", "dump", "prog", "id", str(pid + d)],
                   ["-f", "prog", "show"]]
        args = rnd.choice(choices)
        if rnd.random() < 0.5:
            args = ["-j"] + args
        status, out, err, peak = run(args, timeout=60)
        with lock:
            counter[0] += 1
            sec.peak(peak)
            check_output(sec, args, status, out, err)


# ------------------------------------------------------------------------- hostile names

def section_hostile(w, short):
    sec = Section("hostile names")
    sec.category("traceback", "invalid JSON", "undocumented status", "stderr not one line",
                 "signal", "timeout", "raw control byte", "hostile object not shown")
    cmds = [["prog", "show", "pinned", w.prog], ["-f", "prog", "show"], ["-f", "map", "show"],
            ["map", "show", "pinned", w.vals], ["map", "dump", "pinned", w.vals],
            ["map", "dump", "pinned", w.data],
            ["map", "dump", "pinned", os.path.join(w.fs, "hm", "h_rodata")],
            ["map", "lookup", "pinned", w.vals, "key", "0", "0", "0", "0"],
            ["map", "getnext", "pinned", w.vals],
            ["prog", "dump", "xlated", "pinned", w.prog, "linum"],
            ["prog", "dump", "xlated", "pinned", w.prog, "opcodes", "linum"],
            ["prog", "dump", "xlated", "pinned", w.prog, "visual"],
            ["prog", "dump", "jited", "pinned", w.prog, "linum"],
            ["btf", "show"], ["btf", "show", "id", str(w.btf_id)],
            ["btf", "dump", "id", str(w.btf_id)], ["btf", "dump", "map", "pinned", w.vals],
            ["btf", "dump", "prog", "pinned", w.prog],
            ["btf", "dump", "id", str(w.btf_id), "format", "c"],
            ["btf", "dump", "file", w.objfile],
            ["map", "show", "id", str(w.vals_id)], ["prog", "show", "id", str(w.prog_id)]]
    # the hostile pins themselves, as paths on the command line
    for pin in w.hostile_pins:
        p = os.fsdecode(pin)
        cmds += [["prog", "show", "pinned", p], ["map", "show", "pinned", p],
                 ["map", "dump", "pinned", p], ["prog", "dump", "xlated", "pinned", p]]
    # a churn program and BTF: source line and file name with control bytes (raw loader)
    b = rawbpf.load_btf()
    p = rawbpf.load_prog(b)
    m = rawbpf.create_map(rawbpf.HASH, 4, 8, 4, b"hostile_btf", b, 1, 5)
    rawbpf.map_update(m, b"\x1b\x07\n\xff", b"\"\\\xc2\x85\x00\x01\x7f\x9b")
    try:
        pid, bid, mid = rawbpf.fd_id(p), rawbpf.fd_id(b), rawbpf.fd_id(m)
        cmds += [["prog", "dump", "xlated", "id", str(pid), "linum"],
                 ["prog", "dump", "xlated", "id", str(pid), "visual"],
                 ["prog", "dump", "jited", "id", str(pid), "linum"],
                 ["btf", "dump", "id", str(bid)], ["btf", "dump", "id", str(bid), "format", "c"],
                 ["map", "dump", "id", str(mid)], ["map", "lookup", "id", str(mid), "key", "hex",
                                                   "1b", "07", "0a", "ff"]]
        # BTF files with hostile names
        from tests.unit.test_hostile import hostile_btf
        path = os.path.join(w.tmp, "hostile.btf")
        with open(path, "wb") as f:
            f.write(hostile_btf())
        cmds += [["btf", "dump", "file", path], ["btf", "dump", "file", path, "format", "c"]]
        modes = ((), ("-j",)) if short else ((), ("-j",), ("-j", "-p"))
        jobs = [list(j) + args for args in cmds for j in modes]
        n = len(jobs)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for a, (status, out, err, peak) in zip(jobs, pool.map(run, jobs)):
                sec.peak(peak)
                check_output(sec, a, status, out, err)
        # each hostile thing shows up, escaped
        shown = run(["-f", "map", "show"])[1] + run(["-f", "prog", "show"])[1]
        for needle in (b"esc\\x1b[2Jx", b"bad\\xff\\xfe", b"c1\\u0085", b"ev\\x1b[1mil"):
            if needle not in shown:
                sec.fail("hostile object not shown", "%r not in -f map/prog show" % needle)
    finally:
        for fd in (p, m, b):
            os.close(fd)
    sec.tried.append("%d commands x {%s} = %d runs: %d hostile pins, metadata, "
                     "map values, comm, BTF names, source lines" % (len(cmds), ", ".join(
                         " ".join(m) or "plain" for m in modes), n,
                                                                    len(w.hostile_pins)))
    return sec


# -------------------------------------------------------------------------------- signals

def _interrupt(args, delay, sec, full, label, stdout=subprocess.PIPE, cmd=None):
    """With `cmd` (the installed command, which starts Python with SIGINT blocked), a
    traceback from Python's start-up is a failure too."""
    proc = subprocess.Popen((cmd or CMD) + args, stdout=stdout, stderr=subprocess.PIPE,
                            cwd=ROOT)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        sec.fail("timeout", "%s after %.3f s" % (label, delay))
        return None
    _judge(sec, args, proc.returncode, out or b"", err, full, label, delay, strict=bool(cmd))
    return proc.returncode


def _judge(sec, args, status, out, err, full, label, delay, strict=False):
    what = "%s (SIGINT at %.3f s)" % (label, delay)
    text = err.decode(errors="replace")
    if "Traceback" in text or "Fatal Python error" in text:
        # under python -m, Python's own start-up (runpy, the package's __init__, entry.py
        # before it takes SIGINT) is not bpfinspect's to handle (as in test_signals.py):
        # counted apart; the installed command (strict) blocks SIGINT through it
        frames = re.findall(r'File "([^"]+)"', text)
        if strict or any(("bpfinspect/" in f and not f.endswith(STARTUP)) or "click" in f
                         for f in frames):
            sec.fail("traceback", "%s: %s" % (what, " | ".join(text.strip().splitlines()[-3:])))
        else:
            sec.startup += 1
        return
    if status not in (0, 130, -signal.SIGINT):
        sec.fail("undocumented status", "%s: %s %r" % (what, status, text[:200]))
        return
    if status == 0:
        if out != full:
            sec.fail("not a true prefix", "%s: finished with other output" % what)
        return
    if err not in (b"", b"Error: interrupted\n"):
        sec.fail("stderr not one line", "%s: %r" % (what, text[:200]))
    if "-j" in args:
        try:
            json.loads(out)
        except ValueError:
            if out:
                sec.fail("invalid JSON", "%s: %r" % (what, out[-120:]))
    else:
        if not full.startswith(out):
            sec.fail("not a true prefix", "%s: %d bytes" % (what, len(out)))
        elif out and not out.endswith(b"\n"):
            sec.fail("not at a line boundary", "%s: %d bytes" % (what, len(out)))


def section_signals(w, short):
    sec = Section("signals")
    sec.category("traceback", "invalid JSON", "undocumented status", "stderr not one line",
                 "not a true prefix", "not at a line boundary", "timeout", "head -1")
    rnd = random.Random(2)
    targets = [["map", "dump", "pinned", w.big], ["-j", "map", "dump", "pinned", w.big],
               ["btf", "dump", "file", VMLINUX, "format", "c"],
               ["-j", "btf", "dump", "file", VMLINUX], ["prog", "dump", "xlated", "pinned",
                                                        w.prog, "linum"]]
    full = {}
    durations = {}
    for t in targets:
        s = time.monotonic()
        full[tuple(t)] = subprocess.run(CMD + t, capture_output=True, cwd=ROOT).stdout
        durations[tuple(t)] = time.monotonic() - s
    counts = {"random": 0, "early": 0, "blocked write": 0, "SIG_IGN": 0, "head -1": 0}
    # early SIGINTs and SIG_IGN through the installed command (.venv/bin/bpfinspect, SIGINT
    # blocked while Python starts up) when .venv holds this tree's; else python -m
    installed = installed_command()
    n_random = 4 if short else 30
    n_early = 4 if short else 40
    for t in targets:
        f = full[tuple(t)]
        for _ in range(n_random // len(targets) + 1):
            _interrupt(t, rnd.uniform(0, durations[tuple(t)]), sec, f, "random " + " ".join(t))
            counts["random"] += 1
        for _ in range(n_early // len(targets) + 1):
            _interrupt(t, rnd.uniform(0, 0.06), sec, f, "early " + " ".join(t), cmd=installed)
            counts["early"] += 1
    # a blocked write: stdout a pipe nobody reads, then SIGINT, then drain
    for t in targets[:2 if short else 4]:
        f = full[tuple(t)]
        for delay in ((0.5,) if short else (0.3, 0.8, 1.5)):
            proc = subprocess.Popen(CMD + t, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=ROOT)
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            time.sleep(0.2)
            try:
                out, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                sec.fail("timeout", "blocked write " + " ".join(t))
                continue
            _judge(sec, t, proc.returncode, out, err, f, "blocked write " + " ".join(t), delay)
            counts["blocked write"] += 1
    # SIG_IGN inherited: the dump finishes whole
    for t in targets[:2 if short else 5]:
        proc = subprocess.Popen(["bash", "-c", "trap '' INT; exec \"$@\"", "bash"]
                                + (installed or CMD) + t,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        counts["SIG_IGN"] += 1
        if (proc.returncode, err) != (0, b"") or out != full[tuple(t)]:
            sec.fail("undocumented status", "SIG_IGN %s: %s %r" % (" ".join(t), proc.returncode,
                                                                    err[:200]))
    # | head -1
    for t in targets + [["-f", "map", "show"], ["-j", "prog", "show"], ["btf", "show"]]:
        cmd = " ".join("'%s'" % a for a in CMD + t)
        proc = subprocess.run(["bash", "-c", "set -o pipefail; %s | head -1; exit ${PIPESTATUS[0]}"
                               % cmd], capture_output=True, cwd=ROOT, timeout=120)
        counts["head -1"] += 1
        if proc.stderr or proc.returncode not in (0, 141):
            sec.fail("head -1", "%s: %s %r" % (" ".join(t), proc.returncode, proc.stderr[:200]))
    sec.peak(_children_peak())
    sec.tried.append(", ".join("%s %d" % kv for kv in counts.items()))
    sec.tried.append("early and SIG_IGN via %s" % (
        ".venv/bin/bpfinspect" if installed else "python -m (no install of this tree in .venv)"))
    sec.tried.append("%d SIGINTs landed in Python's start-up under python -m, before "
                     "bpfinspect's handler (not counted)" % sec.startup)
    return sec


# ----------------------------------------------------------------------------------- fuzz

def _seeds(w):
    from bpfinspect.btfparse import files
    seeds = [rawbpf.BTF, files.read(w.objfile)]
    from tests.unit.test_hostile import hostile_btf
    seeds.append(hostile_btf())
    with open(os.path.join(w.tmp, "objects.o"), "rb") as f:
        seeds.append(files.elf_section(f.read(), ".BTF", "objects.o"))
    return seeds


def mutate(rnd, blob):
    b = bytearray(blob)
    for _ in range(rnd.choice((1, 1, 2, 3, 8))):
        r = rnd.random()
        if r < 0.4 and b:
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        elif r < 0.7 and len(b) >= 4:
            pos = rnd.randrange(0, len(b) - 3) & ~3
            struct.pack_into("<I", b, pos, rnd.choice((0, 1, 2, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF,
                                                       0x80000000, rnd.randrange(1 << 32),
                                                       rnd.randrange(64))))
        elif r < 0.8 and len(b) > 24:
            del b[rnd.randrange(24, len(b)):]
        elif r < 0.9 and len(b) > 24:
            i, j = sorted(rnd.randrange(24, len(b)) for _ in range(2))
            b[i:i] = b[i:j]
        else:
            k = rnd.randrange(24, max(25, len(b)))
            # kind/vlen/kflag of a record-ish word
            if k + 4 <= len(b):
                struct.pack_into("<I", b, k & ~3, rnd.randrange(20) << 24 | rnd.randrange(5)
                                 | (rnd.randrange(2) << 31))
    return bytes(b)


def _fuzz_child(n_insns, n_btf, seed, seedfile, outdir):
    """In-process fuzz (run with RLIMIT_AS): JSON counts on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (MEM_CAP, MEM_CAP))
    from bpfinspect.btfparse import parser, sort, values
    from bpfinspect.isa import insn as I
    from bpfinspect.isa import printer
    rnd = random.Random(seed)
    res = {"insns": 0, "btf": 0, "unexpected": 0, "examples": [], "bpf_errors": 0}

    def unexpected(what, e, data):
        res["unexpected"] += 1
        if len(res["examples"]) < 8:
            path = os.path.join(outdir, "crash%d.bin" % res["unexpected"])
            with open(path, "wb") as f:
                f.write(data)
            res["examples"].append("%s: %s: %r (input %s)" % (what, type(e).__name__,
                                                              str(e)[:150], path))

    chunk = 4096
    while res["insns"] < n_insns:
        data = rnd.randbytes(chunk * 8)
        # bias towards valid classes/opcodes: half of the chunks take opcodes from a table
        if rnd.random() < 0.5:
            codes = bytes(rnd.choice((0x18, 0x85, 0xdb, 0xc3, 0x95, 0xb7, 0xbf, 0xd4, 0xdc,
                                      0x06, 0xe5, 0x0d, 0x61, 0x79, 0x7b, 0x8d, 0x3c, 0xbc))
                          for _ in range(chunk))
            b = bytearray(data)
            b[0::8] = codes
            data = bytes(b)
        try:
            for ins in I.decode(data):
                printer.text(ins)
                ins.jump_target, ins.call_target, ins.imm64  # noqa: B018
        except BpfError:
            res["bpf_errors"] += 1
        except Exception as e:  # noqa: BLE001
            unexpected("isa", e, data)
        res["insns"] += chunk
    with open(seedfile, "rb") as f:
        seeds = json.load(f)
    seeds = [bytes.fromhex(s) for s in seeds]
    for _ in range(n_btf):
        data = mutate(rnd, rnd.choice(seeds))
        res["btf"] += 1
        try:
            btf = parser.Btf(data)
            btf.check()
            parser.check_references(btf)
            parser.check_names(btf)
            sort.order(btf)
            for t in list(btf.types())[:64]:
                try:
                    values.format_value(btf, t.id, rnd.randbytes(rnd.choice((0, 4, 8, 24, 64))),
                                        plain=rnd.random() < 0.5)
                except BpfError:
                    res["bpf_errors"] += 1
        except BpfError:
            res["bpf_errors"] += 1
        except MemoryError as e:
            unexpected("btf (memory)", e, data)
        except RecursionError as e:
            unexpected("btf (recursion)", e, data)
        except Exception as e:  # noqa: BLE001
            unexpected("btf", e, data)
    res["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(res))


def section_fuzz(w, short):
    sec = Section("fuzz")
    sec.category("unexpected exception", "signal", "timeout", "traceback", "invalid JSON",
                 "undocumented status", "stderr not one line", "raw control byte")
    n_insns = 100_000 if short else 1_000_000
    n_btf = 1000 if short else 10_000
    n_cli = 40 if short else 300
    seeds = _seeds(w)
    seedfile = os.path.join(w.tmp, "seeds.json")
    with open(seedfile, "w") as f:
        json.dump([s.hex() for s in seeds], f)
    outdir = os.path.join(ROOT, "tests", "stress", "crashes")
    os.makedirs(outdir, exist_ok=True)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--fuzz-child",
                           str(n_insns), str(n_btf), "12", seedfile, outdir],
                          capture_output=True, cwd=ROOT, timeout=1800)
    if proc.returncode != 0:
        sec.fail("signal" if proc.returncode < 0 else "unexpected exception",
                 "fuzz child: %s %r" % (proc.returncode, proc.stderr[-300:]))
        res = {}
    else:
        res = json.loads(proc.stdout)
        for _ in range(res["unexpected"]):
            sec.failures["unexpected exception"] += 1
        sec.examples += res["examples"]
        sec.peak(res["peak_kb"])
    if not os.listdir(outdir):
        os.rmdir(outdir)
    sec.tried.append("%s instructions decoded and printed, %s BTF mutations (parser, checks, "
                     "sort, format_value): %s BpfErrors" % (res.get("insns"), res.get("btf"),
                                                            res.get("bpf_errors")))
    # through the command line, capped
    rnd = random.Random(34)
    path = os.path.join(w.tmp, "mutant.btf")
    runs = 0
    jobs = []
    for i in range(n_cli):
        data = mutate(rnd, rnd.choice(seeds))
        p = "%s.%d" % (path, i)
        with open(p, "wb") as f:
            f.write(data)
        for extra in ((), ("-j",), ("format", "c")):
            args = (list(extra[:1]) if extra == ("-j",) else []) + ["btf", "dump", "file", p] + (
                list(extra) if extra != ("-j",) else [])
            jobs.append(args)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for args, res in zip(jobs, pool.map(lambda a: run(a, timeout=30, cap=True), jobs)):
            status, out, err, peak = res
            runs += 1
            sec.peak(peak)
            if status is not None and (status < 0 or "Traceback" in err.decode(errors="replace")):
                keep = os.path.join(ROOT, "tests", "stress", "crashes")
                os.makedirs(keep, exist_ok=True)
                shutil.copy(args[args.index("file") + 1], keep)
            check_output(sec, args, status, out, err)
    sec.tried.append("%d mutants x {raw, -j, format c} through the CLI = %d runs (RLIMIT_AS "
                     "%d MiB, 30 s each)" % (n_cli, runs, MEM_CAP >> 20))
    return sec


# ------------------------------------------------------------------------------ read-only

def _map_sums(ids):
    sums = {}
    for i in ids:
        proc = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(i)], capture_output=True)
        sums[i] = hashlib.sha256(proc.stdout + proc.stderr).hexdigest()
    return sums


def _state(w):
    objs = {}
    for kind, pins in (("prog", w.prog_pins), ("map", w.map_pins)):
        for p in pins:
            info = json.loads(subprocess.run(["bpftool", "-j", kind, "show", "pinned", p],
                                             capture_output=True).stdout or b"{}")
            info.pop("pids", None)
            objs[p] = info
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        objs["bpf_stats_enabled"] = f.read()
    objs["pins"] = sorted(os.listdir(w.fs))
    return objs


def section_readonly(w, short):
    sec = Section("read-only")
    sec.category("map changed", "object changed")
    ids = w.map_ids
    vid, pid = str(w.vals_id), str(w.prog_id)
    cmds = [["prog", "show"], ["map", "show"], ["btf", "show"], ["-f", "prog", "show"],
            ["-j", "map", "show"], ["prog", "show", "id", pid],
            ["prog", "dump", "xlated", "id", pid, "opcodes", "linum"],
            ["prog", "dump", "xlated", "id", pid, "visual"],
            ["prog", "dump", "jited", "id", pid],
            ["prog", "dump", "xlated", "id", pid, "file", os.path.join(w.tmp, "x.bin")],
            ["btf", "dump", "id", str(w.btf_id)], ["btf", "dump", "map", "id", vid, "all"],
            ["btf", "dump", "prog", "id", pid, "format", "c"], ["version"]]
    for i in ids:
        cmds += [["map", "dump", "id", str(i)], ["-j", "map", "dump", "id", str(i)],
                 ["map", "getnext", "id", str(i)], ["map", "peek", "id", str(i)],
                 ["map", "lookup", "id", str(i), "key", "0", "0", "0", "0"]]
    if short:
        cmds = cmds[:14] + cmds[14::3]
    before_all = _map_sums(ids + [w.big_id])
    state = _state(w)
    sums = dict(before_all)
    for args in cmds:
        run(args)
        after = _map_sums(ids)
        for i in ids:
            if after[i] != sums[i]:
                sec.fail("map changed", "map %d after %s" % (i, " ".join(args)))
        sums.update(after)
    after_all = _map_sums(ids + [w.big_id])
    for i in after_all:
        if after_all[i] != before_all[i]:
            sec.fail("map changed", "map %d over the whole section" % i)
    if _state(w) != state:
        sec.fail("object changed", "program/map info, pins or bpf_stats_enabled changed")
    sec.tried.append("%d read commands, checksums of %d maps before and after each (%d checksums)"
                     % (len(cmds), len(ids), len(cmds) * len(ids) + 2 * len(before_all)))
    sec.peak(_children_peak())
    return sec


# ---------------------------------------------------------------------------------- table

def table(sections, total):
    rows = [("section", "tried", "failures", "peak MiB", "time")]
    for s in sections:
        fails = ", ".join("%s %d" % kv for kv in s.failures.items())
        rows.append((s.name, "; ".join(s.tried), fails, "%.0f" % (s.peak_kb / 1024),
                     "%.1f s" % s.seconds))
    widths = [max(len(r[i]) for r in rows) for i in (0, 3, 4)]
    lines = []
    for r in rows:
        lines.append("%-*s  %*s  %*s  %s" % (widths[0], r[0], widths[1], r[3], widths[2], r[4],
                                             r[1]))
        if r is not rows[0]:
            lines.append("%-*s  failures: %s" % (widths[0] + widths[1] + widths[2] + 4, "", r[2]))
    lines.append("peak MiB: the largest resident set of any bpfinspect (or fuzz) process run "
                 "so far, each under RLIMIT_AS %d MiB where fuzzed" % (MEM_CAP >> 20))
    lines.append("total %.1f s; %d failures" % (total, sum(sum(s.failures.values())
                                                          for s in sections)))
    return "\n".join(lines)


SECTIONS = (("matrix", section_matrix), ("churn", section_churn), ("hostile", section_hostile),
            ("signals", section_signals), ("fuzz", section_fuzz), ("readonly", section_readonly))


def main(argv):
    if argv[:1] == ["--churn-child"]:
        return _churn_child(time.monotonic() + float(argv[1]), argv[2])
    if argv[:1] == ["--fuzz-child"]:
        return _fuzz_child(int(argv[1]), int(argv[2]), int(argv[3]), argv[4], argv[5])
    short = "--short" in argv
    only = [a for a in argv if not a.startswith("-")]
    if os.geteuid() != 0:
        print("Error: the stress suite needs root (bpf(2), mount)", file=sys.stderr)
        return 2
    for tool in ("bpftool", "clang"):
        if shutil.which(tool) is None:
            print("Error: %s is not installed (make deps)" % tool, file=sys.stderr)
            return 2
    start = time.monotonic()
    w = Workload(short)
    sections = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        w.setup()
        for name, fn in SECTIONS:
            if only and name not in only:
                continue
            s0 = time.monotonic()
            sec = fn(w, short)
            sec.seconds = time.monotonic() - s0
            sections.append(sec)
            print("%s: %.1f s, %d failures" % (sec.name, sec.seconds,
                                               sum(sec.failures.values())),
                  file=sys.stderr, flush=True)
    finally:
        w.close()
    total = time.monotonic() - start
    print("bpfinspect stress (%s), %s" % ("short" if short else "full",
                                          time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())))
    print(table(sections, total))
    failed = [s for s in sections if any(s.failures.values())]
    for s in failed:
        print("\n%s:" % s.name)
        for e in s.examples:
            print("  " + e.encode("unicode_escape").decode("ascii")[:400])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
