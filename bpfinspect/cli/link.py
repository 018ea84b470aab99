"""`link`: BPF links, where programs are attached."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect link { show | list }   [LINK]\n",
    "       bpfinspect link help\n",
    "\n",
    "       LINK := { id LINK_ID | pinned FILE }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} }\n",
)

# bpftool's link commands that change something keep their place in the prefix table
# (`link p` is `pin`, `link d` is `detach`) and say that bpfinspect only reads.
WRITERS = ("pin", "detach")
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


def _writer(name):
    @click.command(name, context_settings=common.COMMAND_SETTINGS, hidden=True,
                   help="Not available: bpfinspect only reads.")
    @click.argument("words", **common.WORDS)
    def command(words):
        raise UsageError("'link %s' changes the kernel's state; bpfinspect only reads "
                         "(use bpftool)" % name)

    return command


def _order_commands():
    have = dict(link.commands)
    link.commands.clear()
    for name in ORDER:
        link.commands[name] = have.get(name) or _writer(name)


_order_commands()
