"""`prog`: loaded BPF programs."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup

USAGE = (
    "Usage: bpfinspect prog { show | list } [PROG]\n",
    "       bpfinspect prog help\n",
    "\n",
    "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} }\n",
)


def _decorations(options):
    from bpfinspect.kernel.query import Decorations

    return Decorations("prog", pinned=options.bpffs)


def _describe(fd, deco):
    from bpfinspect.kernel.query import describe_prog

    return describe_prog(fd, deco)


@click.group(cls=BpftoolGroup, usage_lines=USAGE,
             help="Loaded BPF programs: their type, tag, sizes, maps, BTF, pins and owners.")
@click.pass_context
def prog(ctx):
    ctx.command.run_default(ctx)



common.add_show_commands(
    prog, "prog", "prog",
    ("Show every loaded program, or those PROG names (a tag or name may match "
              "several). With -f, the paths where each is pinned."),
    _describe, _decorations)
common.add_help_command(prog, USAGE)
