"""`graph`: programs, maps, links, processes, pins and attach points, and how they relate."""

import sys

import click

from bpfinspect.cli import common, selectors
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect graph [SELECTOR] [--depth N] [--btf] [-o FILE]\n",
    "       bpfinspect graph help\n",
    "\n",
    "       SELECTOR := { prog PROG | map MAP | link LINK | pid PID | cgroup PATH |\n",
    "                     dev NAME }\n",
    "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n",
    "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
    "       LINK := { id LINK_ID | pinned FILE }\n",
    "       FILE := { FILE.dot | FILE.svg | FILE.png | FILE.pdf }\n",
)

KINDS = ("prog", "map", "link", "pid", "cgroup", "dev")


def _selector(words):
    """(kind, value) or None, from the words after `graph`."""
    if not words:
        return None
    kind = words[0]
    matches = [k for k in KINDS if k.startswith(kind)]
    if len(matches) != 1:
        raise UsageError("expected %s, got: '%s'?" % (", ".join("'%s'" % k for k in KINDS),
                                                      kind))
    kind = matches[0]
    if kind in ("prog", "map", "link"):
        if len(words) != 3:
            raise UsageError("'%s' needs %s" % (kind, "two words: id ID, pinned FILE, ..."))
        return kind, selectors.parse(kind, words[1:])
    if len(words) != 2:
        raise UsageError("'%s' needs exactly one argument" % kind)
    if kind == "pid":
        pid = selectors.strtoul(words[1])
        if pid is None:
            raise UsageError("can't parse %s as PID" % words[1])
        return kind, pid
    return kind, words[1]


def _depth(value):
    if value is None:
        return None
    try:
        depth = int(value, 10)
    except ValueError:
        depth = -1
    if depth < 0:
        raise UsageError("invalid --depth '%s': a number of edges, 0 or more" % value)
    return depth


@click.command("graph", context_settings=common.COMMAND_SETTINGS,
               help="Draw BPF objects and how they relate: processes, programs, maps, links, "
                    "attach points (of links, and of programs attached without one: XDP "
                    "through netlink, tc filters, cgroups, perf events a process holds), "
                    "pins (BTF objects with --btf). DOT on stdout, a tree on a "
                    "terminal, JSON with -j, or an image with -o FILE.{dot,svg,png,pdf}; "
                    "SELECTOR narrows it to a neighbourhood (--depth N edges; default: the "
                    "connected component).")
@click.argument("words", metavar="[SELECTOR]", **common.WORDS)
def graph(words):
    words = list(words)
    if words and words[0] == "help":
        common.help_text(USAGE)
        return
    r = common.run()
    selector = _selector(words)
    opts = r.options.command_options
    depth = _depth(opts.get("depth"))
    fmt = None
    if r.options.output is not None:
        from bpfinspect.views import graphviz

        fmt = graphviz.check_path(r.options.output)
    from bpfinspect.api import graph as api_graph
    from bpfinspect.views import graph as view

    g = api_graph.graph(selector, depth, btf=bool(opts.get("btf")))
    if fmt is not None:
        from bpfinspect.views import graphviz

        graphviz.write(view.dot(g), r.options.output, fmt)
        if r.options.json:
            r.output.null()
    elif r.options.json:
        r.output.document("graph", g)
    elif sys.stdout.isatty():
        r.output.document("graph", g)
    else:
        sys.stdout.write(view.dot(g))
