"""`feature probe` and `feature list_builtins`: bpftool 7.8's text, C macros and JSON.

A document is a model.FeatureProbe (its `prefix` set: C macros) or, for list_builtins, a
tuple of names (one per line; a JSON array of strings)."""

from bpfinspect.model import FeatureProbe

_PROCFS_KEYS = ("unprivileged_bpf_disabled", "bpf_jit_enable", "bpf_jit_harden",
                "bpf_jit_kallsyms", "bpf_jit_limit")

_HELPERS_COMMENT = (
    "/*\n"
    " * Use %sHAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n"
    " * to determine if <helper_name> is available for <prog_type_name>,\n"
    " * e.g.\n"
    " *\t#if %sHAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n"
    " *\t\t// do stuff with this helper\n"
    " *\t#elif\n"
    " *\t\t// use a workaround\n"
    " *\t#endif\n"
    " */\n"
    "#define %sHAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n"
    "\t%sBPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n")


def _procfs_lines(values):
    unpriv, jit, harden, kallsyms, limit = values
    out = []
    out.append({
        0: "bpf() syscall for unprivileged users is enabled",
        1: "bpf() syscall restricted to privileged users (without recovery)",
        2: "bpf() syscall restricted to privileged users (admin can change)",
        -1: "Unable to retrieve required privileges for bpf() syscall",
    }.get(unpriv, "bpf() syscall restriction has unknown value %d" % unpriv))
    out.append({
        0: "JIT compiler is disabled",
        1: "JIT compiler is enabled",
        2: "JIT compiler is enabled with debugging traces in kernel logs",
        -1: "Unable to retrieve JIT-compiler status",
    }.get(jit, "JIT-compiler status has unknown value %d" % jit))
    out.append({
        0: "JIT compiler hardening is disabled",
        1: "JIT compiler hardening is enabled for unprivileged users",
        2: "JIT compiler hardening is enabled for all users",
        -1: "Unable to retrieve JIT hardening status",
    }.get(harden, "JIT hardening status has unknown value %d" % harden))
    out.append({
        0: "JIT compiler kallsyms exports are disabled",
        1: "JIT compiler kallsyms exports are enabled for root",
        -1: "Unable to retrieve JIT kallsyms export status",
    }.get(kallsyms, "JIT kallsyms exports status has unknown value %d" % kallsyms))
    if limit == -1:
        out.append("Unable to retrieve global memory limit for JIT compiler for unprivileged "
                   "users")
    else:
        out.append("Global memory limit for JIT compiler for unprivileged users is %d bytes"
                   % limit)
    return "".join(line + "\n" for line in out)


def _config_options(config, prefix):
    from bpfinspect.constants import KERNEL_CONFIG_MACROS, KERNEL_CONFIG_OPTIONS

    if config is None:
        return ()
    names = KERNEL_CONFIG_MACROS if prefix is not None else KERNEL_CONFIG_OPTIONS
    return tuple((name, config.get(name)) for name in names)


def _bool(plain, define, res, prefix):
    if prefix is not None:
        return "#define %s%sHAVE_%s\n" % (prefix, "" if res else "NO_", define)
    return "%s is %savailable\n" % (plain, "" if res else "NOT ")


def text(doc):
    """The whole text (or C macros, with doc.prefix) as one string."""
    p = doc.prefix
    out = []
    if doc.system is not None:
        out.append("/*** Misc kernel config items ***/\n" if p is not None
                   else "Scanning system configuration...\n")
        if p is None and doc.system.procfs is not None:
            out.append(_procfs_lines(doc.system.procfs))
        for name, value in _config_options(doc.system.config, p):
            if p is not None:
                out.append("#define %s%s %s\n" % (p, name, value) if value is not None
                           else "/* %s%s is not set */\n" % (p, name))
            else:
                out.append("%s is set to %s\n" % (name, value) if value is not None
                           else "%s is not set\n" % name)
        out.append("\n")
    out.append("/*** System call availability ***/\n" if p is not None
               else "Scanning system call availability...\n")
    out.append(_bool("bpf() syscall", "BPF_SYSCALL", doc.syscall, p))
    out.append("\n")
    if not doc.syscall:
        return "".join(out)
    out.append("/*** eBPF program types ***/\n" if p is not None
               else "Scanning eBPF program types...\n")
    for name, res in doc.prog_types:
        out.append(_bool("eBPF program_type " + name, (name + "_prog_type").upper(), res, p))
    out.append("\n")
    out.append("/*** eBPF map types ***/\n" if p is not None else "Scanning eBPF map types...\n")
    for name, res in doc.map_types:
        out.append(_bool("eBPF map_type " + name, (name + "_map_type").upper(), res, p))
    out.append("\n")
    if p is not None:
        out.append("/*** eBPF helper functions ***/\n")
        out.append(_HELPERS_COMMENT % (p, p, p, p))
        for h in doc.helpers:
            for helper, res in h.helpers:
                out.append("#define %sBPF__PROG_TYPE_%s__HELPER_%s %s\n"
                           % (p, h.prog_type, helper, "1" if res else "0"))
    else:
        out.append("Scanning eBPF helper functions...\n")
        for h in doc.helpers:
            out.append("eBPF helpers supported for program type %s:" % h.prog_type)
            available = [helper for helper, res in h.helpers if res]
            out.extend("\n\t- %s" % helper for helper in available)
            out.append("\n")
            if not available:
                out.append("\tProgram type not supported\n" if not h.supported
                           else "\tCould not determine which helpers are available\n")
    out.append("\n")
    out.append("/*** eBPF misc features ***/\n" if p is not None
               else "Scanning miscellaneous eBPF features...\n")
    for _key, plain, define, res in doc.misc:
        out.append(_bool(plain, define, res, p))
    out.append("\n")
    return "".join(out)


def json(doc):
    d = {}
    if doc.system is not None:
        s = {}
        if doc.system.procfs is not None:
            s.update(zip(_PROCFS_KEYS, doc.system.procfs))
        s.update(_config_options(doc.system.config, None))  # values are strings, or null
        d["system_config"] = s
    d["syscall_config"] = {"have_bpf_syscall": doc.syscall}
    if not doc.syscall:
        return d
    d["program_types"] = {"have_%s_prog_type" % name: res for name, res in doc.prog_types}
    d["map_types"] = {"have_%s_map_type" % name: res for name, res in doc.map_types}
    d["helpers"] = {"%s_available_helpers" % h.prog_type:
                    [helper for helper, res in h.helpers if res] for h in doc.helpers}
    d["misc"] = {key: res for key, _plain, _define, res in doc.misc}
    return d


def write_text(out, doc):
    if isinstance(doc, FeatureProbe):
        out.write(text(doc))
    else:
        out.write("".join(name + "\n" for name in doc))


def write_json(stream, doc):
    if isinstance(doc, FeatureProbe):
        stream.value(json(doc))
    else:
        stream.value(list(doc))
