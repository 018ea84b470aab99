"""`feature probe` and `feature list_builtins`: what the running kernel's BPF can do.

Probing is the one thing bpfinspect does that loads anything: tiny programs and maps, each
closed as soon as the kernel has said yes or no, so nothing stays loaded. `unprivileged`
drops CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON from this thread's effective
capabilities for the probe (as bpftool does with libcap) and raises them again afterwards.
"""

from bpfinspect import constants as C
from bpfinspect.errors import AccessDenied, BpfError, UsageError, strerror
from bpfinspect.kernel import features

BUILTIN_GROUPS = ("prog_types", "map_types", "attach_types", "link_types", "helpers")


def helper_names():
    """{id: "bpf_<name>"}: bpftool 7.8's table (ids 0-211), with the running kernel's own
    names from its BTF (enum bpf_func_id) over it and past it."""
    from bpfinspect.kernel.symbols import helper_names as kernel_names

    names = {i: "bpf_" + n for i, n in enumerate(C.HELPER_NAMES)}
    try:
        names.update(kernel_names() or {})
    except BpfError:
        pass
    out = {}
    for i in range(len(names) + 1):  # from 0 up to the first missing id
        if i not in names:
            break
        out[i] = names[i]
    return out


def builtins(group):
    """The names bpftool 7.8 knows for `group` (one of BUILTIN_GROUPS), from id 0 up."""
    if group == "prog_types":
        return C.PROG_TYPE_NAMES
    if group == "map_types":
        return C.MAP_TYPE_NAMES
    if group == "attach_types":
        return C.ATTACH_TYPE_NAMES
    if group == "link_types":
        return C.LINK_TYPE_NAMES
    if group == "helpers":
        names = helper_names()
        return tuple(names[i] for i in sorted(names))
    raise UsageError("unknown group %s" % group)


def _caps_to_drop(unprivileged):
    """bpftool's handle_perms (libcap build): the capabilities to drop from the effective
    set, or an error when a privileged probe lacks some."""
    try:
        have = features.effective_caps()
    except OSError as exc:
        raise BpfError("failed to get capabilities for process: %s" % strerror(exc.errno)) from None
    sys_admin_only = not features.cap_bpf_supported()
    caps = C.FEATURE_CAPS[:1] if sys_admin_only else C.FEATURE_CAPS
    present = [(cap, name) for cap, name in caps if have & (1 << cap)]
    if unprivileged:
        return sum(1 << cap for cap, _ in present)
    if len(present) == len(caps):
        return 0
    if sys_admin_only:
        raise AccessDenied("missing %s, required for full feature probing; run as root or use "
                           "'unprivileged'" % caps[0][1])
    missing = "".join(name + ", " for cap, name in caps if not have & (1 << cap))
    raise AccessDenied("missing %srequired for full feature probing; run as root or use "
                       "'unprivileged'" % missing)


def interface_index(name):
    index, err = features.if_index(name)
    if not index:
        raise BpfError("unrecognized netdevice '%s': %s" % (name, strerror(err)), err)
    return index


def probe(target="unspec", ifname=None, full=False, prefix=None, unprivileged=False):
    """model.FeatureProbe of the running kernel (`target` "unspec" or "kernel"), or of the
    network device `ifname` (target "dev": what it can offload). `prefix`: print C macros
    with this prefix (None: plain text). `full`: also probe the helpers that write to the
    kernel log (trace_printk, trace_vprintk, probe_write_user)."""
    ifindex = interface_index(ifname) if target == "dev" else 0
    drop = _caps_to_drop(unprivileged)
    names = helper_names()
    before = features.effective_caps() if drop else 0
    if drop:
        try:
            features.set_effective(before & ~drop)
        except OSError as exc:
            raise BpfError("failed to drop capabilities: %s" % strerror(exc.errno)) from None
    try:
        return features.probe(target, ifindex, full, prefix, unprivileged, names)
    finally:
        if drop:
            features.set_effective(before)
