"""`perf`: BPF programs attached to perf events, found per process and fd."""

import sys

import click

from bpfinspect.cli import common
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import BpfError

USAGE = (
    "Usage: bpfinspect perf { show | list }\n",
    "       bpfinspect perf help\n",
    "\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
)


@click.group("perf", cls=BpftoolGroup, usage_lines=USAGE,
             help="BPF programs attached to perf events (tracepoints, kprobes, uprobes), "
                  "with the process and fd holding each.")
@click.pass_context
def perf(ctx):
    ctx.command.run_default(ctx)


def _show(words):
    from bpfinspect.api import perf as api_perf

    # bpftool's do_show ignores any words after `show`
    r = common.run()
    try:
        items = api_perf.attachments()
    except BpfError as exc:
        if not exc.message.startswith("perf_query_support: ") or "directory" in exc.message:
            raise
        r.output.error(exc.message)  # then bpftool's hint, on stderr in both modes
        sys.stdout.flush()
        sys.stderr.write("HINT: non root or kernel doesn't support TASK_FD_QUERY\n")
        raise common.ExitStatus(exc.exit_status) from None
    r.output.document("perf", items)


for _name, _text in (("show", "Every process fd that holds a perf event with a BPF program: "
                              "pid, fd, prog_id and where the event is."),
                     ("list", "Same as show.")):
    perf.command(_name, context_settings=common.COMMAND_SETTINGS, help=_text)(
        click.argument("words", metavar="", **common.WORDS)(_show))

common.add_help_command(perf, USAGE)
