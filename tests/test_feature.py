"""`feature probe` and `feature list_builtins` on the live kernel.

Debian's bpftool 7.1 prints the same system, syscall and program/map type lines for what it
knows; past that, 7.8's additions are asserted exactly here (spec: "feature probe"). Its
helper lists are wrong on kernels from 6.10 (libbpf 1.1 misses the verifier's newer
message), so bpfinspect's lists are checked against known facts and must be a subset of
7.1's."""

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.kernel import bpfinspect, bpftool, need, need_root

# 7.8's names past Debian 7.1's (libbpf 1.8 against 1.1)
NEW_PROG_TYPES = ["netfilter"]
NEW_MAP_TYPES = ["cgrp_storage", "arena", "insn_array", "rhash"]
NEW_ATTACH_TYPES = [
    "struct_ops", "netfilter", "tcx_ingress", "tcx_egress", "trace_uprobe_multi",
    "cgroup_unix_connect", "cgroup_unix_sendmsg", "cgroup_unix_recvmsg",
    "cgroup_unix_getpeername", "cgroup_unix_getsockname", "netkit_primary", "netkit_peer",
    "trace_kprobe_session", "trace_uprobe_session", "trace_fsession", "trace_fentry_multi",
    "trace_fexit_multi", "trace_fsession_multi"]
NEW_LINK_TYPES = ["netfilter", "tcx", "uprobe_multi", "netkit", "sockmap", "tracing_multi"]
NEW_HELPERS = ["bpf_cgrp_storage_get", "bpf_cgrp_storage_delete"]
NEW = {"prog_types": NEW_PROG_TYPES, "map_types": NEW_MAP_TYPES,
       "attach_types": NEW_ATTACH_TYPES, "link_types": NEW_LINK_TYPES, "helpers": NEW_HELPERS}
FIRST = {"prog_types": "unspec", "map_types": "unspec", "attach_types": "cgroup_inet_ingress",
         "link_types": "unspec", "helpers": "bpf_unspec"}
COUNT = {"prog_types": 33, "map_types": 36, "attach_types": 62, "link_types": 16,
         "helpers": 212}
BPFILTER = ("CONFIG_BPFILTER", "CONFIG_BPFILTER_UMH")  # 7.1 only


def sections(text):
    """{title: [lines]} of a plain `feature probe` text."""
    out = {}
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if lines and lines[0]:
            out[lines[0]] = lines[1:]
    return out


def helper_lists(lines):
    """{prog type: [helpers] or the one-line reason} from the helpers section's lines."""
    out, cur = {}, None
    for line in lines:
        m = re.fullmatch(r"eBPF helpers supported for program type (\w+):", line)
        if m:
            cur = out.setdefault(m.group(1), [])
        elif line.startswith("\t- "):
            cur.append(line[3:])
        elif line:
            cur.append(line)
    return out


@pytest.fixture(scope="module")
def probed():
    need_root()
    ours = bpfinspect("feature", "probe", check=0)
    theirs = bpftool("feature", "probe")
    assert theirs.returncode == 0, theirs.stderr
    return sections(ours.stdout), sections(theirs.stdout), ours.stdout


@pytest.fixture(scope="module")
def probed_json():
    need_root()
    ours = json.loads(bpfinspect("-j", "feature", "probe", check=0).stdout)
    theirs = bpftool("-j", "feature", "probe")
    assert theirs.returncode == 0, theirs.stderr
    return ours, json.loads(theirs.stdout)


@pytest.mark.parametrize("group", sorted(NEW))
def test_list_builtins(group):
    """7.1's names are a prefix of 7.8's; the rest are 7.8's exactly; JSON is the same list."""
    ours = bpfinspect("feature", "list_builtins", group, check=0).stdout
    theirs = bpftool("feature", "list_builtins", group)
    assert theirs.returncode == 0
    names = ours.splitlines()
    old = theirs.stdout.splitlines()
    assert names[:len(old)] == old
    assert names[len(old):] == NEW[group]
    assert names[0] == FIRST[group] and len(names) == COUNT[group]
    assert ours == "".join(n + "\n" for n in names)
    for args in (("-j",), ("-j", "-p")):
        out = bpfinspect(*args, "feature", "list_builtins", group[:3], check=0).stdout
        assert json.loads(out) == names
        assert out == (json.dumps(names, separators=(",", ":")) + "\n" if len(args) == 1
                       else "[" + ",".join('"%s"' % n for n in names) + "\n]\n")


def test_list_builtins_helpers_are_the_kernels():
    """Helper names come from the kernel's enum bpf_func_id (vmlinux BTF)."""
    need(os.path.exists("/sys/kernel/btf/vmlinux"), "no vmlinux BTF")
    out = bpfinspect("feature", "list_builtins", "helpers", check=0).stdout.split()
    assert out[1] == "bpf_map_lookup_elem" and out[113] == "bpf_probe_read_kernel"
    assert out[211] == "bpf_cgrp_storage_delete"


def test_sections_in_order(probed):
    ours, _theirs, text = probed
    assert list(ours) == ["Scanning system configuration...",
                          "Scanning system call availability...",
                          "Scanning eBPF program types...", "Scanning eBPF map types...",
                          "Scanning eBPF helper functions...",
                          "Scanning miscellaneous eBPF features..."]
    assert text.endswith("\n\n")


def test_system_and_syscall_as_bpftool(probed):
    ours, theirs, _ = probed
    title = "Scanning system configuration..."
    old = [line for line in theirs[title] if not line.startswith(BPFILTER)]
    assert ours[title] == old
    assert ours[title][-1].startswith("CONFIG_HZ ")  # the config was read
    title = "Scanning system call availability..."
    assert ours[title] == theirs[title] == ["bpf() syscall is available"]


def test_prog_and_map_types(probed):
    ours, theirs, _ = probed
    title = "Scanning eBPF program types..."
    assert ours[title][:-1] == theirs[title]
    assert re.fullmatch(r"eBPF program_type netfilter is (NOT )?available", ours[title][-1])
    title = "Scanning eBPF map types..."
    assert ours[title][:-4] == theirs[title]
    # cgrp_storage (6.2) and arena (6.9) exist on every kernel this runs on
    assert ours[title][-4:-2] == ["eBPF map_type cgrp_storage is available",
                                  "eBPF map_type arena is available"]
    for line, name in zip(ours[title][-2:], ("insn_array", "rhash")):
        assert re.fullmatch(r"eBPF map_type %s is (NOT )?available" % name, line)


def test_helpers_are_right(probed):
    """Not every helper for every type (7.1's mistake on new kernels): known facts hold, and
    each list is a subset of 7.1's."""
    ours, theirs, _ = probed
    title = "Scanning eBPF helper functions..."
    mine, old = helper_lists(ours[title]), helper_lists(theirs[title])
    types = [line.split()[2] for line in ours["Scanning eBPF program types..."]]
    assert list(mine) == types
    sf, xdp, cls = mine["socket_filter"], mine["xdp"], mine["sched_cls"]
    assert "bpf_skb_load_bytes" in sf and "bpf_map_lookup_elem" in sf
    for helper in ("bpf_redirect", "bpf_skb_store_bytes", "bpf_xdp_adjust_head",
                   "bpf_get_stackid", "bpf_override_return"):
        assert helper not in sf
    assert "bpf_xdp_adjust_head" in xdp and "bpf_skb_store_bytes" not in xdp
    assert "bpf_redirect" in cls and "bpf_skb_store_bytes" in cls
    assert "bpf_get_stackid" in mine["kprobe"] and "bpf_xdp_adjust_head" not in mine["kprobe"]
    assert len(sf) < len(old["socket_filter"]) - 50
    for noisy in ("bpf_trace_printk", "bpf_trace_vprintk", "bpf_probe_write_user"):
        assert all(noisy not in helpers for helpers in mine.values())
    available = {line.split()[2]: line.endswith(" is available")
                 for line in ours["Scanning eBPF program types..."]}
    for name in ("tracing", "ext", "lsm", "struct_ops"):
        assert mine[name] == (["\tCould not determine which helpers are available"]
                              if available[name] else ["\tProgram type not supported"])
    for name, helpers in mine.items():
        if name in old and helpers[0].startswith("bpf_"):
            assert set(helpers) - set(NEW_HELPERS) <= set(old[name]), name


def test_misc(probed):
    ours, theirs, _ = probed
    title = "Scanning miscellaneous eBPF features..."
    assert ours[title] == theirs[title] + ["ISA extension v4 is available"]


def test_full_adds_noisy_helpers():
    need_root()
    out = helper_lists(sections(bpfinspect("feature", "probe", "full", check=0).stdout)
                       ["Scanning eBPF helper functions..."])
    assert "bpf_trace_printk" in out["kprobe"] and "bpf_trace_vprintk" in out["tracepoint"]
    assert "bpf_trace_printk" in out["socket_filter"]
    # bpf_probe_write_user is probed too: the kernel refuses it under lockdown, as here


def test_json(probed_json, probed):
    ours, theirs = probed_json
    assert list(ours) == ["system_config", "syscall_config", "program_types", "map_types",
                          "helpers", "misc"]
    old = {k: v for k, v in theirs["system_config"].items() if k not in BPFILTER}
    assert ours["system_config"] == old
    assert isinstance(ours["system_config"]["CONFIG_HZ"], str)
    assert ours["syscall_config"] == theirs["syscall_config"] == {"have_bpf_syscall": True}
    assert list(ours["program_types"])[:-1] == list(theirs["program_types"])
    assert dict(list(ours["program_types"].items())[:-1]) == theirs["program_types"]
    assert list(ours["program_types"])[-1] == "have_netfilter_prog_type"
    assert dict(list(ours["map_types"].items())[:-4]) == theirs["map_types"]
    assert list(ours["map_types"])[-4:] == ["have_%s_map_type" % n for n in NEW_MAP_TYPES]
    text = helper_lists(probed[0]["Scanning eBPF helper functions..."])
    assert list(ours["helpers"]) == ["%s_available_helpers" % t for t in text]
    for t, helpers in text.items():
        assert ours["helpers"]["%s_available_helpers" % t] == \
            (helpers if helpers[0].startswith("bpf_") else [])
    assert ours["misc"] == dict(theirs["misc"], have_v4_isa_extension=True)
    pretty = bpfinspect("-j", "-p", "feature", "probe", check=0).stdout
    assert pretty.startswith('{\n    "system_config": {\n        "unprivileged_bpf_disabled": ')
    assert json.loads(pretty).keys() == ours.keys()


def test_macros(probed):
    need_root()
    text = bpfinspect("feature", "probe", "macros", "prefix", "BPFI_", check=0).stdout
    theirs = bpftool("feature", "probe", "macros", "prefix", "BPFI_").stdout
    ours = text.split("\n\n")
    old = theirs.split("\n\n")
    assert ours[0] == old[0] and ours[0].startswith("/*** Misc kernel config items ***/\n"
                                                    "#define BPFI_CONFIG_HZ ")
    assert ours[1] == old[1] == "/*** System call availability ***/\n#define BPFI_HAVE_BPF_SYSCALL"
    assert ours[2].startswith(old[2] + "\n#define BPFI_")
    assert ours[2].split("\n")[-1] in ("#define BPFI_HAVE_NETFILTER_PROG_TYPE",
                                       "#define BPFI_NO_HAVE_NETFILTER_PROG_TYPE")
    assert ours[3].split("\n")[:-4] == old[3].split("\n")
    helpers = ours[4].split("\n")
    assert helpers[:13] == old[4].split("\n")[:13]  # the usage comment
    sf = [line for line in helpers if "PROG_TYPE_socket_filter__" in line]
    assert len(sf) == 208  # ids 1-211 but the 3 noisy ones
    assert "#define BPFI_BPF__PROG_TYPE_socket_filter__HELPER_bpf_redirect 0" in sf
    assert "#define BPFI_BPF__PROG_TYPE_xdp__HELPER_bpf_xdp_adjust_head 1" in helpers
    assert ours[5] == old[5] + "\n#define BPFI_HAVE_V4_ISA_EXTENSION"
    # -j ignores macros
    assert json.loads(bpfinspect("-j", "feature", "probe", "macros", check=0).stdout).keys() \
        == {"system_config", "syscall_config", "program_types", "map_types", "helpers", "misc"}


def test_unprivileged():
    """Capabilities dropped for the probe: everything NOT available here (unprivileged bpf()
    is off), as 7.1 says for what it knows; the sysctls only CAP_SYS_ADMIN reads say so."""
    need_root()
    ours = sections(bpfinspect("feature", "probe", "unprivileged", check=0).stdout)
    proc = bpftool("feature", "probe", "unprivileged")
    assert proc.returncode == 0
    theirs = sections(proc.stdout)
    title = "Scanning system configuration..."
    assert ours[title] == [line for line in theirs[title] if not line.startswith(BPFILTER)]
    title = "Scanning eBPF program types..."
    assert ours[title] == theirs[title] + ["eBPF program_type netfilter is %savailable" % (
        "" if theirs[title][0].endswith(" is available") else "NOT ")]
    helpers = helper_lists(ours["Scanning eBPF helper functions..."])
    if all(line.endswith("NOT available") for line in ours[title]):
        assert all(h == ["\tProgram type not supported"] for h in helpers.values())
    # the capabilities come back: a privileged probe right after is unaffected
    assert bpfinspect("feature", "probe", "kernel", check=0).stdout.count(" is NOT available") \
        < 20


def test_device_in_own_netns():
    """`dev lo` in a namespace of the test's own: only sched_cls/xdp, hash/array, no system
    section; lo cannot offload, so nothing is available (as 7.1 says, plus ISA v4)."""
    need_root()
    need(shutil.which("ip") is not None, "iproute2 is not installed")
    ns = "bpfi-feature-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        def run(*cmd):
            return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True,
                                  text=True, cwd=os.path.dirname(os.path.dirname(__file__)))

        ours = run(os.sys.executable, "-m", "bpfinspect", "feature", "probe", "dev", "lo")
        theirs = run("bpftool", "feature", "probe", "dev", "lo")
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout.replace(
            "ISA extension v3 is NOT available\n",
            "ISA extension v3 is NOT available\nISA extension v4 is NOT available\n")
        assert ours.stdout.startswith("Scanning system call availability...\n")
        assert "eBPF program_type sched_cls is NOT available\n" \
               "eBPF program_type xdp is NOT available\n\n" in ours.stdout
        js = json.loads(run(os.sys.executable, "-m", "bpfinspect", "-j", "feature", "probe",
                            "dev", "lo").stdout)
        assert js == {"syscall_config": {"have_bpf_syscall": True},
                      "program_types": {"have_sched_cls_prog_type": False,
                                        "have_xdp_prog_type": False},
                      "map_types": {"have_hash_map_type": False, "have_array_map_type": False},
                      "helpers": {"sched_cls_available_helpers": [],
                                  "xdp_available_helpers": []},
                      "misc": {"have_large_insn_limit": False, "have_bounded_loops": False,
                               "have_v2_isa_extension": False, "have_v3_isa_extension": False,
                               "have_v4_isa_extension": False}}
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


@pytest.mark.parametrize("args", [
    ("feature", "probe", "dev", "bpfi-nosuch0"),
    ("feature", "probe", "kernel", "kernel"),
    ("feature", "probe", "kernel", "dev", "lo"),
    ("feature", "probe", "prefix", "X"),
    ("feature", "probe", "macros", "prefix", "A", "prefix", "B"),
    ("feature", "probe", "macros", "macros"),
    ("feature", "probe", "bogus"),
    ("feature", "probe", "dev"),
    ("feature", "probe", "macros", "prefix"),
    ("feature", "list_builtins", "bogus"),
    ("-j", "feature", "probe", "dev", "bpfi-nosuch0"),
    ("-j", "feature", "list_builtins", "bogus"),
])
def test_bad_input_as_bpftool(args):
    need_root()
    ours = bpfinspect(*args)
    theirs = bpftool(*args)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr) == \
        (255, ours.stdout, ours.stderr)
    assert ours.stdout.count("\n") + ours.stderr.count("\n") == 1


def test_missing_capabilities_as_bpftool():
    need_root()
    need(shutil.which("setpriv") is not None, "setpriv (util-linux) is not installed")
    drop = ["setpriv", "--bounding-set=-bpf,-perfmon", "--inh-caps=-all"]
    ours = subprocess.run(drop + [os.sys.executable, "-m", "bpfinspect", "feature", "probe"],
                          capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    theirs = subprocess.run(drop + ["bpftool", "feature", "probe"], capture_output=True,
                            text=True)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr) == \
        (255, "", "Error: missing CAP_BPF, CAP_PERFMON, required for full feature probing; "
                  "run as root or use 'unprivileged'\n")


def _bpf_fds():
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + fd).startswith("anon_inode:bpf"):
                out.add(fd)
        except OSError:
            pass
    return out


def test_nothing_stays_loaded():
    """Every probe object is closed at once: the probing process holds no new BPF fd, and no
    object created during the probe that looks like a probe's (no name; a program of at most
    two instructions, or a map of at most one entry) is left in the kernel. Objects that
    other tests create meanwhile are named, so they do not count."""
    need_root()
    from bpfinspect.api import feature
    from bpfinspect.kernel import info, objects, uapi

    def last_id(kind):
        ids = list(objects.object_ids(kind))
        return ids[-1] if ids else 0

    fds = _bpf_fds()
    marks = {kind: last_id(kind) for kind in ("prog", "map")}
    doc = feature.probe()
    assert doc.syscall and len(doc.helpers) == 32
    assert _bpf_fds() == fds
    left = []
    for kind in ("prog", "map"):
        for obj_id in objects.object_ids(kind):
            if obj_id <= marks[kind]:
                continue
            try:
                obj = objects.open_by_id(kind, obj_id)
            except Exception:
                continue  # freed meanwhile
            with obj:
                if kind == "prog":
                    i = info.prog_info(obj.fd)[0]
                    if not uapi.cstr(i.name) and i.xlated_prog_len <= 16:
                        left.append((kind, obj_id))
                else:
                    i = info.map_info(obj.fd)
                    if not uapi.cstr(i.name) and i.max_entries <= 1:
                        left.append((kind, obj_id))
    assert left == []
