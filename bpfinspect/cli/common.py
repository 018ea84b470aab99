"""What every command shares: the run's options and output, and the show commands."""

import click

from bpfinspect.cli import selectors
from bpfinspect.errors import UsageError

WORDS = dict(nargs=-1, type=click.UNPROCESSED)
COMMAND_SETTINGS = {"ignore_unknown_options": True, "help_option_names": []}


class Run:
    """Per-invocation state kept in ctx.obj: options and the chosen views.Output."""

    def __init__(self, options, output):
        self.options = options
        self.output = output


def run():
    return click.get_current_context().find_object(Run)


def show(kind, words):
    """`KIND show [SELECTOR]`: every object, or those the selector names; with -f, where
    programs and maps are pinned."""
    from bpfinspect.api import listing

    selector = selectors.optional(kind, list(words))
    r = run()
    pinned = r.options.bpffs and kind != "btf"
    if selector is None:
        r.output.objects(kind, listing.iter_records(kind, pinned=pinned), listing=True)
    else:
        r.output.objects(kind, listing.selected_records(kind, selector, pinned=pinned))


class ExitStatus(Exception):
    """The output is complete; exit with this status (bpftool's 254 for `Not found`)."""

    def __init__(self, status):
        super().__init__("exit %d" % status)
        self.status = status


class ShowUsage(Exception):
    """bpftool's usage(): the command's usage text (or `null` with -j), exit status 255."""

    def __init__(self, lines):
        super().__init__("usage")
        self.lines = lines


def help_text(lines):
    """Usage, printed on stderr like bpftool's; `null` in JSON mode."""
    r = run()
    if r.options.json:
        r.output.null()
        return
    click.echo("".join(lines), err=True, nl=False)


def add_show_commands(group, kind, help):
    """`show` and its alias `list`."""

    def _show(words):
        show(kind, words)

    for name, text in (("show", help), ("list", "Same as show.")):
        command = click.argument("words", metavar="[%s]" % kind.upper(), **WORDS)(_show)
        group.command(name, context_settings=COMMAND_SETTINGS, help=text)(command)


def add_help_command(group, usage):
    def _help(words):
        help_text(usage)

    command = click.argument("words", **WORDS)(_help)
    group.command("help", context_settings=COMMAND_SETTINGS, help="Print usage.")(command)


def order_commands(group, order):
    """Put `group`'s commands in bpftool's table `order` (which decides what a prefix means);
    a name there that bpfinspect has no command for is one of bpftool's commands that change
    the kernel: it keeps its place and refuses."""
    have = dict(group.commands)
    group.commands.clear()
    for name in order:
        group.commands[name] = have.get(name) or _refusing(group.name, name)


def _refusing(object_name, name):
    @click.command(name, context_settings=COMMAND_SETTINGS, hidden=True,
                   help="Not available: bpfinspect only reads.")
    @click.argument("words", **WORDS)
    def command(words):
        raise UsageError("'%s %s' changes the kernel's state; bpfinspect only reads "
                         "(use bpftool)" % (object_name, name))

    return command
