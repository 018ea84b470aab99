"""`cgroup show|tree` over a private cgroup v2 tree (programs attached with multi, override and
no flags, and a cgroup link), `perf show` with bpftrace holding perf events, `prog tracelog`
(bpf_printk lines, stopped by SIGINT), and `prog show`'s run statistics (BPF_ENABLE_STATS).

Compared with Debian's bpftool 7.1 where it prints the same; where 7.1 queries in another order
(enum order: device before connect4), against bpftool 7.8's exact text built from what the
test attached."""

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from bpfinspect import model
from bpfinspect.views import cgroup as view
from tests.conftest import compile_bpf
from tests.kernel import bpfinspect, bpftool, cgroup2_mount, need, need_root

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_OBJ_GET, BPF_LINK_CREATE, BPF_ENABLE_STATS = 7, 28, 32
A_CGROUP_SYSCTL = 18
HEADER = "ID       AttachType      AttachFlags     Name           \n"
EFFECTIVE_HEADER = "ID       AttachType      Name           \n"


def sys_bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    ret = _libc.syscall(ctypes.c_long(_NR_BPF), ctypes.c_int(cmd), buf, ctypes.c_uint(128))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def obj_get(path):
    name = ctypes.create_string_buffer(path.encode())
    return sys_bpf(BPF_OBJ_GET, ctypes.addressof(name).to_bytes(8, "little") + bytes(8))


def u32s(*values):
    return b"".join(v.to_bytes(4, "little") for v in values)


def row(prog_id, attach_type, flags, name, level=0, btf=""):
    """bpftool 7.8's row; `btf` is the attach BTF name column ("" for programs without an
    attach BTF object, which bpftool names after BTF type 0)."""
    s = "%s%-8u %-15s" % ("    " if level else "", prog_id, attach_type)
    s += " %-15s" % name if flags is None else " %-15s %-15s" % (flags, name)
    return s + " %-15s\n" % btf


def jrow(prog_id, attach_type, flags, name):
    d = {"id": prog_id, "attach_type": attach_type}
    if flags is not None:
        d["attach_flags"] = flags
    d.update(name=name, attach_btf_name="", attach_btf_obj_id=0, attach_btf_id=0)
    return d


@pytest.fixture(scope="module")
def cg_progs(bpffs, tmp_path_factory):
    """tests/bpf/cgroup.bpf.c loaded and pinned at <bpffs>/cgroup/<name>; {name: (pin, id)}."""
    need_root()
    obj = compile_bpf(tmp_path_factory, "cgroup.bpf")
    where = os.path.join(bpffs, "cgroup")
    proc = bpftool("prog", "loadall", str(obj), where)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = {}
    for name in os.listdir(where):
        pin = os.path.join(where, name)
        out[name] = (pin, json.loads(bpftool("-j", "prog", "show", "pinned", pin).stdout)["id"])
    return out


@pytest.fixture(scope="module")
def tree(cg_progs):
    """A private cgroup tree ROOT/{a/b, c}: ROOT ingress+egress×2 (multi), a sock_create
    (override), a/b connect4 (no flags) and device (multi), c a cgroup link (sysctl)."""
    mount = cgroup2_mount()
    need(mount is not None, "cgroup v2 is not mounted")
    root = os.path.join(mount, "bpfi-cg-%d" % os.getpid())
    dirs = [root, root + "/a", root + "/a/b", root + "/c"]
    attached = []
    link_fds = []
    try:
        for d in dirs:
            os.mkdir(d)
        for where, kind, name, flags in (
                ("", "ingress", "cg_ingress", "multi"),
                ("", "egress", "cg_egress", "multi"),
                ("", "egress", "cg_egress_two", "multi"),
                ("/a", "sock_create", "cg_sock_create", "override"),
                ("/a/b", "connect4", "cg_connect4", None),
                ("/a/b", "device", "cg_device_with_long_name", "multi")):
            argv = ["cgroup", "attach", root + where, kind, "pinned", cg_progs[name][0]]
            proc = bpftool(*(argv + ([flags] if flags else [])))
            assert proc.returncode == 0, proc.stderr
            attached.append((root + where, kind, cg_progs[name][0]))
        prog_fd = obj_get(cg_progs["cg_sysctl"][0])
        cg_fd = os.open(root + "/c", os.O_RDONLY)
        try:
            link_fds.append(sys_bpf(BPF_LINK_CREATE, u32s(prog_fd, cg_fd, A_CGROUP_SYSCTL, 0)))
        finally:
            os.close(prog_fd)
            os.close(cg_fd)
        yield root, {name: pid for name, (_pin, pid) in cg_progs.items()}
    finally:
        for fd in link_fds:
            os.close(fd)
        for where, kind, pin in attached:
            bpftool("cgroup", "detach", where, kind, "pinned", pin)
        for d in reversed(dirs):
            if os.path.isdir(d):
                os.rmdir(d)


def both(*args):
    return bpfinspect(*args), bpftool(*args)


def same(*args):
    ours, theirs = both(*args)
    assert (ours.stdout, ours.stderr, ours.returncode) == \
        (theirs.stdout, theirs.stderr, theirs.returncode), args
    return ours


def test_show_root_same_as_bpftool(tree):
    root, ids = tree
    ours = same("cgroup", "show", root)
    assert ours.stdout == HEADER + "".join((
        row(ids["cg_ingress"], "cgroup_inet_ingress", "multi", "cg_ingress"),
        row(ids["cg_egress"], "cgroup_inet_egress", "multi", "cg_egress"),
        row(ids["cg_egress_two"], "cgroup_inet_egress", "multi", "cg_egress_two")))
    ours = same("-j", "cgroup", "show", root)
    assert json.loads(ours.stdout)[0] == jrow(ids["cg_ingress"], "cgroup_inet_ingress",
                                             "multi", "cg_ingress")
    same("-p", "cgroup", "list", root)
    same("cgroup", "show", root + "/a")  # override
    same("-j", "cgroup", "sh", root + "/a", "eff")
    same("cgroup", "show", root + "/c")  # a cgroup link
    same("-j", "cgroup", "show", root + "/c")


def test_show_nested_in_78_order(tree):
    """7.1 queries device before connect4: 7.8's order, asserted exactly."""
    root, ids = tree
    ours = bpfinspect("cgroup", "show", root + "/a/b", check=0)
    assert ours.stdout == HEADER + row(ids["cg_connect4"], "cgroup_inet4_connect", "",
                                       "cg_connect4") + row(
        ids["cg_device_with_long_name"], "cgroup_device", "multi", "cg_device_with_long_name")
    ours = bpfinspect("-j", "cgroup", "show", root + "/a/b", "effective", check=0)
    expected = [jrow(ids[n], t, None, n) for n, t in (
        ("cg_ingress", "cgroup_inet_ingress"), ("cg_egress", "cgroup_inet_egress"),
        ("cg_egress_two", "cgroup_inet_egress"), ("cg_sock_create", "cgroup_inet_sock_create"),
        ("cg_connect4", "cgroup_inet4_connect"), ("cg_device_with_long_name", "cgroup_device"))]
    assert ours.stdout == json.dumps(expected, separators=(",", ":")) + "\n"
    text = bpfinspect("cgroup", "show", root + "/a/b", "effective", check=0).stdout
    assert text == EFFECTIVE_HEADER + "".join(
        row(e["id"], e["attach_type"], None, e["name"]) for e in expected)


def _tree_text(root, ids, effective=False, nested=False):
    own = {
        root: [("cg_ingress", "cgroup_inet_ingress", "multi"),
               ("cg_egress", "cgroup_inet_egress", "multi"),
               ("cg_egress_two", "cgroup_inet_egress", "multi")],
        root + "/a": [("cg_sock_create", "cgroup_inet_sock_create", "override")],
        root + "/a/b": [("cg_connect4", "cgroup_inet4_connect", ""),
                        ("cg_device_with_long_name", "cgroup_device", "multi")],
        root + "/c": [("cg_sysctl", "cgroup_sysctl", "multi")],
    }
    order = [root]  # nftw: pre-order, readdir order
    for name in os.listdir(root):
        if os.path.isdir(os.path.join(root, name)):
            order.append(root + "/" + name)
            if name == "a":
                order.append(root + "/a/b")
    text = "CgroupPath\n" + (EFFECTIVE_HEADER if effective else HEADER)
    nodes = []
    for path in order:
        rows = list(own[path])
        if effective:
            parent = path.rsplit("/", 1)[0]
            inherited = []
            while parent.startswith(root):
                inherited = own[parent] + inherited
                parent = parent.rsplit("/", 1)[0]
            rows = inherited + rows
            # 7.8's order within a cgroup: by attach type, in its query order
            rank = ("cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create",
                    "cgroup_inet4_connect", "cgroup_device", "cgroup_sysctl")
            rows.sort(key=lambda r: rank.index(r[1]))
        level = 0 if path == root and not nested else 1
        text += path + "\n" + "".join(
            row(ids[n], t, None if effective else f, n, level) for n, t, f in rows)
        nodes.append({"cgroup": path, "programs": [
            jrow(ids[n], t, None if effective else f, n) for n, t, f in rows]})
    return text, nodes


def test_tree(tree):
    root, ids = tree
    for effective in (False, True):
        extra = ["effective"] if effective else []
        text, nodes = _tree_text(root, ids, effective)
        assert bpfinspect("cgroup", "tree", root, *extra, check=0).stdout == text
        ours = bpfinspect("-j", "cgroup", "tree", root + "/", *extra, check=0)
        assert ours.stdout == json.dumps(nodes, separators=(",", ":")) + "\n"
    # the default root is the first cgroup2 mount: our cgroups are in it
    whole = bpfinspect("cgroup", "tree", check=0).stdout
    assert whole.startswith("CgroupPath\n" + HEADER)
    assert _tree_text(root, ids, nested=True)[0][len("CgroupPath\n" + HEADER):] in whole


def test_empty_and_bad_input(tree):
    root, _ids = tree
    os.mkdir(root + "/empty")
    try:
        same("cgroup", "show", root + "/empty")
        assert bpfinspect("cgroup", "show", root + "/empty", check=0).stdout == ""
        # bpftool prints a bare newline here: bpfinspect an empty array
        assert bpfinspect("-j", "cgroup", "show", root + "/empty", check=0).stdout == "[]\n"
        assert bpfinspect("cgroup", "tree", root + "/empty", check=0).stdout == \
            "CgroupPath\n" + HEADER
    finally:
        os.rmdir(root + "/empty")
    missing = root + "/missing"
    for args in (("cgroup", "show", missing), ("-j", "cgroup", "show", missing),
                 ("cgroup", "show", "/tmp"), ("-j", "cgroup", "show", "/tmp"),
                 ("cgroup", "show", "/etc/passwd"), ("cgroup", "show"), ("cgroup", "s"),
                 ("cgroup", "show", root, "bogus"), ("cgroup", "show", root, "eff", "effective"),
                 ("cgroup", "tree", "/tmp"), ("-j", "cgroup", "tree", "/tmp"),
                 ("cgroup", "tree", "/etc/passwd"), ("-j", "cgroup", "tree", "/etc/passwd")):
        same(*args)
    for args in (("cgroup", "tree", missing), ("-j", "cgroup", "tree", missing)):
        # 7.1 words it the same; asserted exactly all the same
        ours = bpfinspect(*args)
        assert ours.returncode == 255
        if args[0] == "-j":
            assert ours.stdout == ('[{"error":"can\'t iterate over %s: No such file or '
                                   'directory"}]\n' % missing)
        else:
            assert ours.stdout == "CgroupPath\n" + HEADER
            assert ours.stderr == ("Error: can't iterate over %s: No such file or directory\n"
                                   % missing)
    assert bpfinspect("cgroup", "show", missing).stderr == "Error: can't open cgroup %s\n" % missing
    assert bpfinspect("cgroup", "show", "/tmp").stderr == \
        "Error: can't query bpf programs attached to /tmp: Bad file descriptor\n"
    for word in ("attach", "a", "detach", "d"):
        proc = bpfinspect("cgroup", word, root, "ingress", "id", "1", check=255)
        assert "bpfinspect only reads" in proc.stderr
    assert len(os.listdir(root)) > 0  # nothing changed
    assert bpfinspect("cgroup", "show", root, check=0).stdout.count("\n") == 4


def test_view_attach_btf_forms():
    """lsm_cgroup needs a BPF trampoline (EPERM at load here): the view from records."""
    rows = [model.CgroupProg(id=7, attach_type="lsm_cgroup", attach_flags="",
                             name="lsm_prog", attach_btf_name="bpf_lsm_socket_bind",
                             attach_btf_obj_id=1, attach_btf_id=12345),
            model.CgroupProg(id=8, attach_type="lsm_cgroup", attach_flags="unknown(6)",
                             name="other", attach_btf_obj_id=40, attach_btf_id=9, level=2),
            model.CgroupProg(id=9, attach_type=99, name="future", level=1)]
    assert [view.row_text(r) for r in rows] == [
        "7        lsm_cgroup                      lsm_prog        bpf_lsm_socket_bind\n",
        "    8        lsm_cgroup      unknown(6)      other           "
        "attach_btf_obj_id=40 attach_btf_id=9\n",
        "    9        type 99         future         \n"]
    assert view.row_json(rows[0]) == {
        "id": 7, "attach_type": "lsm_cgroup", "attach_flags": "", "name": "lsm_prog",
        "attach_btf_name": "bpf_lsm_socket_bind", "attach_btf_obj_id": 1,
        "attach_btf_id": 12345}
    assert view.row_json(rows[2]) == {"id": 9, "attach_type": 99, "name": "future",
                                      "attach_btf_obj_id": 0, "attach_btf_id": 0}


# perf show

@pytest.fixture(scope="module")
def perf_holder():
    """bpftrace holding a tracepoint and a uprobe perf event with BPF programs."""
    need_root()
    need(shutil.which("bpftrace") is not None, "bpftrace is not installed")
    libc = "/lib/%s-linux-gnu/libc.so.6" % os.uname().machine
    proc = subprocess.Popen(
        ["bpftrace", "-e", 'tracepoint:syscalls:sys_enter_getppid { @a = count(); } '
                           'uprobe:%s:getppid { @b = count(); } '
                           'uretprobe:%s:getppid { @c = count(); }' % (libc, libc)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 30
        lines = []
        while time.time() < deadline and proc.poll() is None:
            lines = [x for x in bpftool("perf", "show").stdout.splitlines()
                     if x.startswith("pid %d " % proc.pid)]
            if len(lines) >= 3:
                break
            time.sleep(0.3)
        need(len(lines) >= 3, "bpftrace did not attach its probes")
        yield proc.pid, libc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_perf_show(perf_holder):
    pid, libc = perf_holder
    for args in (("perf", "show"), ("perf", "list"), ("-j", "perf", "show"), ("-p", "perf"),
                 ("perf", "show", "extra")):
        for _ in range(3):  # other processes may come and go between the two runs
            ours, theirs = both(*args)
            if ours.stdout == theirs.stdout:
                break
        assert (ours.stdout, ours.stderr, ours.returncode) == \
            (theirs.stdout, theirs.stderr, theirs.returncode), args
    text = bpfinspect("perf", "show", check=0).stdout
    mine = sorted((x for x in text.splitlines() if x.startswith("pid %d " % pid)),
                  key=lambda x: x.split("  ")[2])
    assert len(mine) == 3
    assert re.fullmatch(r"pid %d  fd \d+: prog_id \d+  tracepoint  sys_enter_getppid" % pid,
                        mine[0])
    for kind, line in zip(("uprobe", "uretprobe"), mine[1:]):
        assert re.fullmatch(r"pid %d  fd \d+: prog_id \d+  %s  filename %s  offset [1-9]\d*"
                            % (pid, kind, re.escape(libc)), line)
    entries = [e for e in json.loads(bpfinspect("-j", "perf", "show", check=0).stdout)
               if e["pid"] == pid]
    assert sorted(e["fd_type"] for e in entries) == ["tracepoint", "uprobe", "uretprobe"]
    assert sorted(entries, key=lambda e: e["fd_type"])[0]["tracepoint"] == "sys_enter_getppid"


def test_perf_query_support_error():
    """Without privileges the support check fails: bpftool's error and hint, exit 255."""
    need_root()
    need(shutil.which("setpriv") is not None, "setpriv is not installed")
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for json_flag in ([], ["-j"]):
        ours = subprocess.run(argv + [os.sys.executable, "-m", "bpfinspect", *json_flag,
                                      "perf", "show"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.dirname(__file__)))
        theirs = subprocess.run(argv + ["bpftool", *json_flag, "perf", "show"],
                                capture_output=True, text=True)
        assert (ours.stdout, ours.stderr, ours.returncode) == \
            (theirs.stdout, theirs.stderr, theirs.returncode)
        assert ours.returncode == 255
        assert "HINT: non root or kernel doesn't support TASK_FD_QUERY\n" in ours.stderr


# prog tracelog and run statistics

def _run_prog(pin, size, repeat, tmp_path):
    data = tmp_path / ("pkt%d" % size)
    data.write_bytes(bytes(size))
    proc = subprocess.Popen(["bpftool", "prog", "run", "pinned", pin, "data_in", str(data),
                             "repeat", str(repeat)], stdout=subprocess.DEVNULL)
    assert proc.wait() == 0
    return proc.pid


# the comm is `<...>` when the tracer's comm cache no longer has the pid
LINE = r"\s*(?:bpftool|<\.\.\.>)-%d\s+\[\d{3}\] \S{4,5}\s+\d+\.\d{6}: bpf_trace_printk: bpfinspect tracelog %d\n"


@pytest.mark.parametrize("json_mode", [False, True])
def test_tracelog(cg_progs, tmp_path, json_mode):
    size = 77 + json_mode
    argv = [os.sys.executable, "-m", "bpfinspect"] + (["-j"] if json_mode else []) + \
        ["prog", "tracelog"]
    reader = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        time.sleep(1.5)  # started and reading
        pid = _run_prog(cg_progs["printk_prog"][0], size, 2, tmp_path)
        time.sleep(0.5)
    finally:
        reader.send_signal(signal.SIGINT)
        out, err = reader.communicate(timeout=10)
    assert (reader.returncode, err) == (0, "")
    lines = json.loads(out) if json_mode else out.splitlines(True)
    if json_mode:
        assert out.startswith("[") and out.endswith("]\n")
    mine = [x for x in lines if "bpfinspect tracelog %d" % size in x]
    assert len(mine) == 2
    for line in mine:
        assert re.fullmatch(LINE % (pid, size), line), line


def test_tracelog_prefix_and_writers():
    proc = bpfinspect("prog", "tracelog", "bogus", check=255)
    assert proc.stderr.startswith("Usage: bpfinspect prog { show | list } [PROG]\n")
    for word in ("pin", "p", "load", "loadall", "attach", "detach", "run", "profile"):
        proc = bpfinspect("prog", word, "x", check=255)
        assert "changes the kernel's state; bpfinspect only reads" in proc.stderr, word
    assert bpfinspect("p", "s", "id", "1").returncode == bpfinspect("prog", "show", "id",
                                                                     "1").returncode
    assert bpfinspect("prog", "d", "x").stderr.startswith("Usage: ")  # dump, as before
    assert bpfinspect("prog", "l").returncode == 0  # list


def test_run_statistics(cg_progs, tmp_path):
    """run_time_ns/run_cnt with statistics switched on (by this process, off again after)."""
    pin = cg_progs["printk_prog"][0]
    stats_fd = sys_bpf(BPF_ENABLE_STATS, u32s(0))
    try:
        _run_prog(pin, 64, 3, tmp_path)
        ours = same("prog", "show", "pinned", pin)
        head = ours.stdout.splitlines()[0]
        assert re.fullmatch(r"\d+: sched_cls  name printk_prog  tag [0-9a-f]{16}  gpl"
                            r" run_time_ns [1-9]\d* run_cnt 3", head), head
        ours, theirs = both("-j", "prog", "show", "pinned", pin)
        mine = json.loads(ours.stdout)
        assert mine["run_cnt"] == 3 and mine["run_time_ns"] > 0
        assert mine.pop("orphaned") is False
        assert mine == json.loads(theirs.stdout)
    finally:
        os.close(stats_fd)
