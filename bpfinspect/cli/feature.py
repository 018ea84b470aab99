"""`feature`: what the running kernel's BPF can do (bpftool's feature probe, list_builtins)."""

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect feature probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]\n",
    "       bpfinspect feature list_builtins GROUP\n",
    "       bpfinspect feature help\n",
    "\n",
    "       COMPONENT := { kernel | dev NAME }\n",
    "       GROUP := { prog_types | map_types | attach_types | link_types | helpers }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
)


@click.group("feature", cls=BpftoolGroup, usage_lines=USAGE,
             help="What this kernel's BPF can do: program and map types, helpers per program "
                  "type, kernel configuration. Probing loads tiny programs and maps and closes "
                  "them at once; nothing stays loaded.")
@click.pass_context
def feature(ctx):
    ctx.command.run_default(ctx)


def parse_probe(words):
    """bpftool's do_probe arguments: (target, ifname, full, prefix, unprivileged)."""
    target, ifname, full, prefix, unprivileged = "unspec", None, False, None, False
    words = list(words)
    while words:
        word = words.pop(0)
        if selectors.is_prefix(word, "kernel"):
            if target != "unspec":
                raise UsageError("component to probe already specified")
            target = "kernel"
        elif selectors.is_prefix(word, "dev"):
            if target != "unspec" or ifname is not None:
                raise UsageError("component to probe already specified")
            if not words:
                raise UsageError("'%s' needs at least 1 arguments, 0 found" % word)
            target, ifname = "dev", words.pop(0)
        elif selectors.is_prefix(word, "full"):
            full = True
        elif selectors.is_prefix(word, "macros") and prefix is None:
            prefix = ""
        elif selectors.is_prefix(word, "prefix"):
            if prefix is None:
                raise UsageError("'prefix' argument can only be use after 'macros'")
            if prefix != "":
                raise UsageError("'prefix' already defined")
            if not words:
                raise UsageError("'%s' needs at least 1 arguments, 0 found" % word)
            prefix = words.pop(0)
        elif selectors.is_prefix(word, "unprivileged"):
            unprivileged = True
        else:
            raise UsageError("expected no more arguments, 'kernel', 'dev', 'macros' or "
                             "'prefix', got: '%s'?" % word)
    return target, ifname, full, prefix, unprivileged


@feature.command("probe", context_settings=common.COMMAND_SETTINGS,
                 help="Probe the kernel (or what device NAME can offload): program types, map "
                      "types, helpers per program type, misc features, and the system's BPF "
                      "settings. `macros` prints C #defines; `unprivileged` probes with "
                      "CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON dropped.")
@click.argument("words", metavar="[COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]",
                **common.WORDS)
def probe(words):
    from bpfinspect.api import feature as api

    target, ifname, full, prefix, unprivileged = parse_probe(words)
    r = common.run()
    if r.options.json:
        prefix = None  # bpftool: -j ignores macros
    r.output.document("feature", api.probe(target, ifname, full, prefix, unprivileged))


@feature.command("list_builtins", context_settings=common.COMMAND_SETTINGS,
                 help="The names bpftool 7.8 knows for GROUP, from id 0 up.")
@click.argument("words", metavar="GROUP", **common.WORDS)
def list_builtins(words):
    from bpfinspect.api import feature as api

    if not words:
        raise common.ShowUsage(USAGE)
    for group in api.BUILTIN_GROUPS:
        if selectors.is_prefix(words[0], group):
            break
    else:
        raise UsageError("expected 'prog_types', 'map_types', 'attach_types', 'link_types' or "
                         "'helpers', got: %s" % words[0])
    common.run().output.document("feature", api.builtins(group))


common.add_help_command(feature, USAGE)
