"""`map`: BPF maps."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup

USAGE = (
    "Usage: bpfinspect map { show | list } [MAP]\n",
    "       bpfinspect map help\n",
    "\n",
    "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} }\n",
)


def _decorations(options):
    from bpfinspect.kernel.query import Decorations

    return Decorations("map", pinned=options.bpffs)


def _describe(fd, deco):
    from bpfinspect.kernel.query import describe_map

    return describe_map(fd, deco)


@click.group("map", cls=BpftoolGroup, usage_lines=USAGE,
             help="BPF maps: type, sizes, flags, BTF, owner program type, pins and owners.")
@click.pass_context
def map_group(ctx):
    ctx.command.run_default(ctx)



common.add_show_commands(
    map_group, "map", "map",
    ("Show every map, or those MAP names (a name may match several). "
              "Maps are opened read-only. With -f, the paths where each is pinned."),
    _describe, _decorations)
common.add_help_command(map_group, USAGE)
