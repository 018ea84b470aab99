"""`link`: BPF links, where programs are attached."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup

USAGE = (
    "Usage: bpfinspect link { show | list }   [LINK]\n",
    "       bpfinspect link help\n",
    "\n",
    "       LINK := { id LINK_ID | pinned FILE }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |\n",
    "                    --color WHEN }\n",
    "       WHEN := { auto | always | never }\n",
)

# bpftool's table: the commands that change something keep their place in it (`link p` is
# `pin`, `link d` is `detach`) and refuse (common.order_commands)
ORDER = ("show", "list", "help", "pin", "detach")


@click.group("link", cls=BpftoolGroup, usage_lines=USAGE,
             help="BPF links: where each program is attached (tracepoint, cgroup, device, "
                  "netns, netfilter hook, probe, iterator, struct_ops map), with cookies, "
                  "pins and owners.")
@click.pass_context
def link(ctx):
    ctx.command.run_default(ctx)


common.add_show_commands(
    link, "link",
    "Show every link, or the one LINK names: its type, program and attachment. With -f, "
    "the paths where each is pinned.")
common.add_help_command(link, USAGE)


common.order_commands(link, ORDER)
