"""`prog`: loaded BPF programs."""

import sys

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import EXIT_DIFFERENT, BpfError, UsageError

USAGE = (
    "Usage: bpfinspect prog { show | list } [PROG]\n",
    "       bpfinspect prog dump xlated PROG [{ file FILE | [opcodes] [linum] [visual] }]\n",
    "       bpfinspect prog dump jited  PROG [{ file FILE | [opcodes] [linum] }]\n",
    "       bpfinspect prog tracelog\n",
    "       bpfinspect prog top [--interval SECONDS] [--count N] [--no-enable-stats]\n",
    "       bpfinspect prog diff PROG { PROG | FILE }\n",
    "       bpfinspect prog help\n",
    "\n",
    "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |\n",
    "                    {-o|--output} FILE | --color WHEN }\n",
    "       WHEN := { auto | always | never }\n",
)


@click.group(cls=BpftoolGroup, usage_lines=USAGE,
             help="Loaded BPF programs: their type, tag, sizes, maps, BTF, pins and owners.")
@click.pass_context
def prog(ctx):
    ctx.command.run_default(ctx)


common.add_show_commands(
    prog, "prog",
    "Show every loaded program, or those PROG names (a tag or name may match several). "
    "With -f, the paths where each is pinned.")
common.add_help_command(prog, USAGE)


class DumpRequest:
    """What `prog dump` was asked for, parsed as bpftool parses it."""

    def __init__(self, mode, nb_progs, words):
        self.mode = mode
        self.file = None
        self.opcodes = self.visual = self.linum = False
        while words:
            word = words.pop(0)
            if selectors.is_prefix(word, "file"):
                if not words:
                    raise UsageError("expected file path")
                if nb_progs > 1:
                    raise UsageError("several programs matched")
                self.file = words.pop(0)
            elif selectors.is_prefix(word, "opcodes"):
                self.opcodes = True
            elif selectors.is_prefix(word, "visual") and mode == "xlated":
                if nb_progs > 1:
                    raise UsageError("several programs matched")
                self.visual = True
            elif selectors.is_prefix(word, "linum"):
                self.linum = True
            else:
                raise common.ShowUsage(USAGE)
        if self.file is not None and (self.opcodes or self.visual or self.linum):
            raise UsageError("'file' is not compatible with 'opcodes', 'visual', or 'linum'")


@prog.command("dump", context_settings=common.COMMAND_SETTINGS,
              help="Dump a program's instructions as the verifier left them (xlated) or as "
                   "the JIT compiled them (jited, disassembled with LLVM or capstone): "
                   "opcodes adds the bytes, linum the source positions, visual draws the "
                   "control-flow graph as DOT (-o FILE.png|svg|pdf|dot to render it), file "
                   "FILE writes the raw image.")
@click.argument("words", metavar="{ xlated | jited } PROG [{ file FILE | [opcodes] [linum] "
                                 "[visual] }]",
                **common.WORDS)
def dump(words):
    words = list(words)
    if not words:
        raise common.ShowUsage(USAGE)
    if selectors.is_prefix(words[0], "jited"):
        mode = "jited"
    elif selectors.is_prefix(words[0], "xlated"):
        mode = "xlated"
    else:
        raise UsageError("expected 'xlated' or 'jited', got: %s" % words[0])
    if len(words) < 3:
        raise common.ShowUsage(USAGE)
    from bpfinspect.api import dumps, listing

    r = common.run()
    with listing.opened("prog", selectors.parse("prog", words[1:3])) as fds:
        request = DumpRequest(mode, len(fds), words[3:])
        if mode == "xlated" and r.options.json and request.visual:
            raise UsageError("'visual' is not compatible with JSON output")
        if r.options.output is not None and not request.visual:
            raise UsageError("-o/--output is for 'visual' graphs only")
        if request.file is not None:
            _write_image(r, dumps.program_image(fds[0], jited=mode == "jited"),
                         request.file)
            return
        found = listing.lookups("prog", pids=False, metadata=False)
        programs = [(obj, listing.record("prog", obj, found)) for obj in fds]
        if mode == "jited":
            listings = [dumps.jited_of(obj, p) for obj, p in programs]
        else:
            listings = [dumps.xlated_of(obj, p) for obj, p in programs]
    if mode == "jited":
        r.output.jited(listings, request.opcodes, request.linum)
    elif request.visual:
        _visual(r, [dumps.control_flow(x) for x in listings], request)
    else:
        r.output.xlated(listings, request.opcodes, request.linum)


def _visual(r, graphs, request):
    """DOT on stdout, or rendered into -o FILE (through Graphviz for .png, .svg, .pdf)."""
    from bpfinspect.views import make_output

    if r.options.output is None:
        make_output("dot", sys.stdout).cfg(graphs, request.opcodes, request.linum)
        return
    import io

    from bpfinspect.views import graphviz

    fmt = graphviz.check_path(r.options.output)
    buf = io.StringIO()
    make_output("dot", buf).cfg(graphs, request.opcodes, request.linum)
    graphviz.write(buf.getvalue(), r.options.output, fmt)


def _write_image(r, image, path):
    """`file FILE`: the raw image, as bpftool writes it (mode 0600)."""
    import os

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise BpfError("can't open file %s: %s" % (path, exc.strerror)) from None
    try:
        n = os.write(fd, image)
    except OSError as exc:
        raise BpfError("error writing output file: %s" % exc.strerror) from None
    finally:
        os.close(fd)
    if n != len(image):
        raise BpfError("error writing output file: short write")
    if r.options.json:
        r.output.null()


@prog.command("tracelog", context_settings=common.COMMAND_SETTINGS,
              help="Stream the kernel's trace pipe (bpf_printk output) until Ctrl-C; mounts "
                   "tracefs when it is nowhere (not with -n). With -j, an array of the lines, "
                   "closed on Ctrl-C.")
@click.argument("words", metavar="", **common.WORDS)
def tracelog(words):
    words = list(words)
    if words:
        if not (selectors.is_prefix(words[0], "stdout")
                or selectors.is_prefix(words[0], "stderr")):
            raise common.ShowUsage(USAGE)
        raise UsageError("'prog tracelog %s PROG' (a program's BPF stream) is not supported "
                         "by bpfinspect yet" % words[0])
    import signal

    from bpfinspect.api import tracelog as api_tracelog

    r = common.run()

    def notice():
        if not r.options.json:
            sys.stdout.flush()
            sys.stderr.write("could not find tracefs, attempting to mount it now\n")

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        raise KeyboardInterrupt

    # as bpftool: SIGINT, SIGTERM and SIGHUP end the stream, with exit status 0
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        r.output.document("tracelog",
                          api_tracelog.lines(not r.options.nomount, notice))
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


@prog.command("top", context_settings=common.COMMAND_SETTINGS,
              help="What each program costs, live: CPU share, runs per second, average run "
                   "time, pids. Switches run-time statistics on (BPF_ENABLE_STATS) while it "
                   "runs, unless --no-enable-stats. On a terminal a live table (1-7 sort, r "
                   "reverse, / filter, Enter details, q quits); otherwise, or with --count N, "
                   "a snapshot every --interval seconds (default 1), JSON Lines with -j.")
@click.argument("words", metavar="", **common.WORDS)
def top(words):
    from bpfinspect.cli import top as top_command

    top_command.top(list(words))


@prog.command("diff", context_settings=common.COMMAND_SETTINGS,
              help="Compare two programs' translated instructions, or a program's with a "
                   "saved '-j prog dump xlated' FILE: per function (matched by name), a "
                   "unified diff with map ids, kernel addresses and call targets replaced by "
                   "names, and source lines from BTF where both sides have them. Exit status "
                   "as diff's: 0 the same, 1 different, 255 trouble. Equal tags (and maps of "
                   "the same names) are the same without reading instructions. Each PROG "
                   "must name one program.")
@click.argument("words", metavar="PROG { PROG | FILE }", **common.WORDS)
def diff(words):
    words = list(words)
    if len(words) not in (3, 4):
        raise common.ShowUsage(USAGE)
    from bpfinspect.api import progdiff

    old_selector = selectors.parse("prog", words[0:2])
    new_selector = selectors.parse("prog", words[2:4]) if len(words) == 4 else None
    r = common.run()
    with _one_program(old_selector) as (old_obj, old_prog):
        if new_selector is None:
            new = progdiff.from_file(words[2])
            old = _listing(old_obj, old_prog, progdiff)
            doc = progdiff.compare(old, new)
        else:
            with _one_program(new_selector) as (new_obj, new_prog):
                if progdiff.same_by_tag(old_prog, new_prog):
                    doc = progdiff.same(progdiff.program_label(old_prog),
                                        progdiff.program_label(new_prog))
                else:
                    doc = progdiff.compare(_listing(old_obj, old_prog, progdiff),
                                           _listing(new_obj, new_prog, progdiff))
    r.output.document("progdiff", doc)
    if not doc.same:
        raise common.ExitStatus(EXIT_DIFFERENT)


def _listing(obj, program, progdiff):
    from bpfinspect.api import dumps

    return progdiff.from_xlated(dumps.xlated_of(obj, program),
                                progdiff.map_names(program.map_ids))


class _one_program:
    """The open program a selector names, and its record; UsageError unless it names
    exactly one."""

    def __init__(self, selector):
        self.selector = selector
        self.opened = None

    def __enter__(self):
        from bpfinspect.api import listing

        self.opened = listing.opened("prog", self.selector)
        fds = self.opened.__enter__()
        if len(fds) != 1:
            self.opened.__exit__(None, None, None)
            raise UsageError("%s matches %d programs; 'prog diff' compares one with one" % (
                self.selector.text(), len(fds)))
        found = listing.lookups("prog", pids=False, metadata=False)
        return fds[0], listing.record("prog", fds[0], found)

    def __exit__(self, *exc):
        return self.opened.__exit__(*exc)


# bpftool 7.8's prog table; the commands that change the kernel keep their prefix place
# (`prog p` is `pin`, `prog l` is `list`) and refuse
ORDER = ("show", "list", "help", "dump", "pin", "load", "loadall", "attach", "detach",
         "tracelog", "run", "profile", "top", "diff")


common.order_commands(prog, ORDER)
