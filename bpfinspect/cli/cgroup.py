"""`cgroup`: programs attached to cgroups (v2)."""

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect cgroup { show | list } CGROUP [**effective**]\n",
    "       bpfinspect cgroup tree [CGROUP_ROOT] [**effective**]\n",
    "       bpfinspect cgroup help\n",
    "\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n",
    "                    {-f|--bpffs} }\n",
)

# bpftool's cgroup table; attach and detach change the kernel: they keep their prefix place
ORDER = ("show", "list", "tree", "attach", "detach", "help")


class _Group(BpftoolGroup):
    """Keeps the command word as typed: bpftool's messages quote it (`'s' needs ...`)."""

    def resolve_command(self, ctx, args):
        ctx.meta["bpfinspect.cgroup.word"] = args[0]
        return super().resolve_command(ctx, args)


@click.group("cgroup", cls=_Group, usage_lines=USAGE,
             help="Programs attached to cgroups (v2): per cgroup, or over a tree of them.")
@click.pass_context
def cgroup(ctx):
    ctx.command.run_default(ctx)


def _effective(words):
    """bpftool's loop over the words after the path: `effective` once, nothing else."""
    effective = False
    for word in words:
        if not selectors.is_prefix(word, "effective"):
            raise UsageError("expected no more arguments, 'effective', got: '%s'?" % word)
        if effective:
            raise UsageError("duplicated argument: %s" % word)
        effective = True
    return effective


def _show(words):
    from bpfinspect.api import cgroup as api_cgroup

    words = list(words)
    if not words:
        ctx = click.get_current_context()
        typed = ctx.meta.get("bpfinspect.cgroup.word", ctx.parent.info_name)
        raise UsageError("'%s' needs at least 1 arguments, 0 found" % typed)
    effective = _effective(words[1:])
    common.run().output.document("cgroup", api_cgroup.show(words[0], effective))


for _name, _text in (("show", "The programs attached to CGROUP (a cgroup v2 directory), with "
                              "their attach flags; `effective`: also those it inherits."),
                     ("list", "Same as show.")):
    cgroup.command(_name, context_settings=common.COMMAND_SETTINGS, help=_text)(
        click.argument("words", metavar="CGROUP [effective]", **common.WORDS)(_show))


@cgroup.command("tree", context_settings=common.COMMAND_SETTINGS,
                help="Every cgroup under CGROUP_ROOT (default: the cgroup v2 mount) that has "
                     "programs, with them; `effective` (only after CGROUP_ROOT): also the "
                     "inherited ones.")
@click.argument("words", metavar="[CGROUP_ROOT [effective]]", **common.WORDS)
def tree(words):
    from bpfinspect.api import cgroup as api_cgroup

    words = list(words)
    root = None
    effective = False
    if words:
        root = words[0]
        effective = _effective(words[1:])
    common.run().output.document("cgroup", api_cgroup.tree(root, effective))


common.add_help_command(cgroup, USAGE)


common.order_commands(cgroup, ORDER)
