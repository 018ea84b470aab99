"""`btf`: BTF objects loaded in the kernel."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup

USAGE = (
    "Usage: bpfinspect btf { show | list } [id BTF_ID]\n",
    "       bpfinspect btf help\n",
    "\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
)


def _decorations(options):
    from bpfinspect.kernel.query import Decorations

    return Decorations("btf", users=True)


def _describe(fd, deco):
    from bpfinspect.kernel.query import describe_btf

    return describe_btf(fd, deco)


@click.group(cls=BpftoolGroup, usage_lines=USAGE,
             help="BTF objects: kernel, module and program type information, and their users.")
@click.pass_context
def btf(ctx):
    ctx.command.run_default(ctx)



common.add_show_commands(
    btf, "btf", "btf",
    "Show every BTF object, or the one with id BTF_ID, with the programs and maps using it.",
    _describe, _decorations)
common.add_help_command(btf, USAGE)
