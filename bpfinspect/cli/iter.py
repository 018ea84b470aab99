"""`iter`: bpftool's iterator command group. Its one verb, `pin`, loads and attaches an
iterator program and pins the link: it changes the kernel, so bpfinspect keeps its place in
the prefix table and refuses it. With no command word, `iter` prints its usage, as bpftool's
(whose first command is help)."""

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect iter pin OBJ PATH [map MAP]\n",
    "       bpfinspect iter help\n",
    "\n",
    "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
)


@click.group("iter", cls=BpftoolGroup, usage_lines=USAGE,
             help="BPF iterators. `iter pin` loads and pins one: bpfinspect only reads and "
                  "refuses it (use bpftool).")
@click.pass_context
def iter_group(ctx):
    ctx.command.run_default(ctx)


common.add_help_command(iter_group, USAGE)


@iter_group.command("pin", context_settings=common.COMMAND_SETTINGS, hidden=True,
                    help="Not available: bpfinspect only reads.")
@click.argument("words", **common.WORDS)
def pin(words):
    raise UsageError("'iter pin' changes the kernel's state; bpfinspect only reads (use bpftool)")
