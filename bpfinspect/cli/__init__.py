"""bpfinspect's command line: bpftool's grammar on a click command tree.

Global options are taken out of argv first (anywhere on the line, as getopt_long does);
the remaining words go to click, whose groups resolve prefixes in bpftool's table order.
Errors leave as one line (`Error: ...`, or `{"error": ...}` with -j) and exit status 255.
"""

import os
import signal
import sys

import click

from bpfinspect.cli import common, interrupt
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.cli.options import colour_wanted, split_argv
from bpfinspect.errors import EXIT_FAILURE, EXIT_INTERRUPTED, BpfError, UsageError
from bpfinspect.views import make_output

USAGE = (
    "Usage: bpfinspect [OPTIONS] OBJECT { COMMAND | help }\n",
    "       bpfinspect version\n",
    "\n",
    "       OBJECT := { prog | map | link | cgroup | perf | net | feature | btf | struct_ops |\n",
    "                   iter | graph }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |\n",
    "                    {-V|--version} | {-o|--output} FILE | --color WHEN }\n",
    "       WHEN := { auto | always | never }\n",
)


@click.group("bpfinspect", cls=BpftoolGroup, usage_lines=USAGE,
             help="Show what BPF is doing inside the running kernel: a drop-in for bpftool's "
                  "read-only commands.")
@click.pass_context
def root(ctx):
    ctx.command.run_default(ctx)


@root.command("help", context_settings=common.COMMAND_SETTINGS, help="Print usage.")
@click.argument("words", **common.WORDS)
def help_command(words):
    common.help_text(USAGE)


# bpftool's top-level table, in its order: the order decides what a prefix means
# (p = prog, b = batch, bt = btf); the ones bpfinspect lacks say so.
TABLE_ORDER = ("help", "batch", "prog", "map", "link", "cgroup", "perf", "net", "feature",
               "btf", "gen", "struct_ops", "iter", "token", "version",
               "exporter", "graph")

# the commands bpfinspect has: name -> (module of bpfinspect.cli, its click command)
COMMANDS = {
    "prog": ("prog", "prog"),
    "map": ("map", "map_group"),
    "link": ("link", "link"),
    "btf": ("btf", "btf"),
    "net": ("net", "net"),
    "cgroup": ("cgroup", "cgroup"),
    "perf": ("perf", "perf"),
    "feature": ("feature", "feature"),
    "struct_ops": ("struct_ops", "struct_ops"),
    "iter": ("iter", "iter_group"),
    "version": ("version", "version"),
    "exporter": ("exporter", "exporter"),  # bpfinspect's own, after bpftool's table
    "graph": ("graph", "graph"),
}


def _not_supported(name):
    @click.command(name, context_settings=common.COMMAND_SETTINGS, hidden=True,
                   help="Not supported by bpfinspect yet.")
    @click.argument("words", **common.WORDS)
    def command(words):
        raise UsageError("command '%s' is not supported by bpfinspect yet" % name)

    return command


def _add_objects():
    help_cmd = root.commands.pop("help")
    for name in TABLE_ORDER:
        if name == "help":
            root.add_command(help_cmd)
        elif name in COMMANDS:
            root.add_lazy(name, "bpfinspect.cli." + COMMANDS[name][0], COMMANDS[name][1])
        else:
            root.add_command(_not_supported(name))


_add_objects()


def _output(options):
    if options.json:
        return make_output("json", sys.stdout, options.pretty)  # JSON is never coloured
    output = make_output("text", sys.stdout)
    if colour_wanted(options.color, sys.stdout, os.environ):
        from bpfinspect.views import colour

        output.paint = colour.Painter(colour.colour_system(os.environ))
    return output


def main(argv=None):
    if "_BPFINSPECT_COMPLETE" in os.environ:
        return root.main(prog_name="bpfinspect")  # click's shell completion
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a closed pipe ends us quietly, as bpftool
    if not _streams_ready():
        sys.exit(EXIT_FAILURE)
    guarded = interrupt.install()
    if argv is None:
        argv = sys.argv[1:]
    options, words = split_argv(argv)
    if options.debug:  # libbpf's own messages too (quiet by default)
        from bpfinspect.kernel import libbpf

        libbpf.show_messages(True)
    output = _output(options)
    status = 0
    interrupt.handle_sigint(guarded)  # until here, bpfinspect.entry's handler: exit 130
    try:
        if options.error:
            raise UsageError(options.error)
        if options.help:
            words = ["help"]
        elif options.version:
            words = ["version"]
        if options.command_options:
            _check_command_options(options.command_options, words)
        run = common.Run(options, output)
        # not root.main(): its handling of Ctrl-C and errors is ours to do
        with root.make_context("bpfinspect", list(words), obj=run) as ctx:
            root.invoke(ctx)
    except common.ExitStatus as exc:
        status = exc.status
    except interrupt.OutputFailed as exc:
        _stderr("Error: %s\n" % exc.message)
        status = EXIT_FAILURE
    except common.ShowUsage as exc:
        if options.json:
            output.null()
        else:
            sys.stdout.flush()
            sys.stderr.write("".join(exc.lines))
        status = EXIT_FAILURE
    except BpfError as exc:
        output.error(exc.message)
        status = exc.exit_status
        if options.debug and not isinstance(exc, UsageError):
            import traceback

            traceback.print_exc()
    except click.ClickException as exc:
        output.error(exc.format_message())
        status = EXIT_FAILURE
    except KeyboardInterrupt:
        output.error("interrupted")
        status = EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line, the traceback only with -d
        output.error("internal error: %s: %s" % (type(exc).__name__, exc))
        status = EXIT_FAILURE
        if options.debug:
            import traceback

            traceback.print_exc()
    if guarded.failed is None:
        try:
            output.close()
        except interrupt.OutputFailed as exc:
            _stderr("Error: %s\n" % exc.message)
            status = EXIT_FAILURE
        except KeyboardInterrupt:  # while the last write waited on a full pipe: it is whole
            status = EXIT_INTERRUPTED
    if guarded.failed is not None:
        # what stdout still buffers cannot be written either: leave without flushing it
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def _command_path(words):
    """The full names of the commands `words` choose: ("prog", "top") for `p to`."""
    group, path = root, []
    for word in words:
        if not isinstance(group, click.Group):
            break
        command = group.get_command(None, word)
        if command is None:
            break
        path.append(command.name)
        group = command
    return tuple(path)


def _check_command_options(given, words):
    """bpfinspect's long-only options belong to the commands that take them."""
    from bpfinspect.cli.options import COMMAND_OPTIONS

    path = _command_path(words)
    for name in given:
        takers = COMMAND_OPTIONS[name]
        if not any(path[:len(p)] == p for p in takers):
            raise UsageError("option '--%s' is for %s only"
                             % (name, " and ".join("'%s'" % " ".join(p) for p in takers)))


def _stderr(text):
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _streams_ready():
    """Standard output and error as bpftool's stdio: bytes as they are (a path that is not
    UTF-8 or a locale that is not: the bytes still go out), and buffered even under
    PYTHONUNBUFFERED (one write per 8 KiB). False, after one line on stderr, when stdout is
    closed."""
    if sys.stdout is None:
        _stderr("Error: standard output is closed\n")
        return False
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        try:
            stream.reconfigure(encoding="utf-8", errors=errors)
        except (AttributeError, ValueError):
            pass
    try:
        sys.stdout.reconfigure(write_through=False)
    except (AttributeError, ValueError):
        pass
    return True
