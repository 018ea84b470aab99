#!/usr/bin/env python3
"""Write completions/ and man/ from bpfinspect's click command tree.

    tools/gen_docs.py          write the files
    tools/gen_docs.py --check  exit 1 if any file differs from what would be written
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from click.shell_completion import get_completion_class  # noqa: E402

from bpfinspect.cli import root  # noqa: E402
from bpfinspect.constants import VERSION  # noqa: E402
from bpfinspect.errors import EXIT_STATUSES  # noqa: E402

SHELLS = {"bash": "bpfinspect.bash", "zsh": "_bpfinspect", "fish": "bpfinspect.fish"}
OPTIONS = (
    ("-j, --json", "Print JSON, as bpftool does; bpfinspect's is always valid JSON."),
    ("-p, --pretty", "Print indented JSON (implies -j)."),
    ("-f, --bpffs", "Show the paths where objects are pinned, on every mounted bpffs."),
    ("-d, --debug", "Show a traceback with internal errors."),
    ("-n, --nomount", "Accepted for bpftool compatibility; bpfinspect never mounts."),
    ("-B, --base-btf FILE", "The base BTF of a split BTF dumped by btf dump (default: "
                            "vmlinux's, for kernel modules)."),
    ("-o, --output FILE", "Where prog dump xlated ... visual and graph write their graph: "
                          "FILE.dot, or "
                          "FILE.png, .svg or .pdf rendered through Graphviz's dot "
                          "(bpfinspect's own)."),
    ("--color WHEN", "Colour for a terminal (bpfinspect's own): auto (the default) colours "
                     "prog dump xlated and jited listings and the first line of each object "
                     "of prog, map, btf and link show when stdout is a terminal, unless "
                     "NO_COLOR is set (not empty) or TERM is dumb, or when FORCE_COLOR is set "
                     "(not empty); always colours even into a pipe; never never does. JSON is "
                     "never coloured, and the text without its escape sequences is the plain "
                     "output."),
    ("--depth N, --btf", "graph only (bpfinspect's own): how many edges out from what a "
                         "selector names (default: its connected component); BTF objects "
                         "as nodes too."),
    ("-m, --mapcompat, -L, --use-loader", "Accepted for bpftool compatibility; they only "
                                          "matter to commands that load programs."),
    ("-V, --version", "Print the version."),
    ("-h, --help", "Print usage."),
)


def completions():
    files = {}
    for shell, name in SHELLS.items():
        cls = get_completion_class(shell)
        source = cls(root, {}, "bpfinspect", "_BPFINSPECT_COMPLETE").source()
        files[os.path.join("completions", name)] = source.rstrip("\n") + "\n"
    return files


def _roff(text):
    return text.replace("\\", "\\\\").replace("-", "\\-")


def _page(name, title, description, usage, commands):
    lines = [
        '.TH %s 8 "" "bpfinspect %s" "System Administration"' % (name.upper(), VERSION),
        ".SH NAME",
        "%s \\- %s" % (_roff(name), _roff(title)),
        ".SH SYNOPSIS",
        ".nf",
    ]
    lines += [_roff(u.rstrip("\n")) for u in usage]
    lines += [".fi", ".SH DESCRIPTION", _roff(description)]
    if commands:
        lines.append(".SH COMMANDS")
        for cmd_name, help_text in commands:
            lines += [".TP", ".B " + _roff(cmd_name), _roff(help_text)]
    lines.append(".SH OPTIONS")
    for opt, text in OPTIONS:
        lines += [".TP", ".B " + _roff(opt), _roff(text)]
    lines += [".SH EXIT STATUS",
              "An error is one line: \\fBError: ...\\fR on stderr, or "
              "\\fB{\"error\": ...}\\fR on stdout with \\fB\\-j\\fR. The statuses are "
              "bpftool's (a negated errno where it has one):"]
    for status, meaning in EXIT_STATUSES.items():
        lines += [".TP", ".B %d" % status, _roff(meaning)]
    lines += [".TP", ".B 256 \\- errno",
              "where bpftool returns a failed call's errno: btf dump of a file that cannot be "
              "read, a map lookup that fails otherwise."]
    lines += [".SH SEE ALSO",
              "bpftool(8), bpf(2)"]
    return "\n".join(lines) + "\n"


def _title(help_text):
    head = help_text.split(":")[0]
    return head[:1].lower() + head[1:]


def man_pages():
    files = {}
    visible = [(n, c) for n, c in root.loaded_commands().items() if not c.hidden]
    files["man/bpfinspect.8"] = _page(
        "bpfinspect", "inspect BPF programs, maps and BTF in the running kernel",
        root.help, root.usage_lines, [(n, c.help or "") for n, c in visible])
    for name, group in visible:
        if not hasattr(group, "commands"):
            continue
        subs = [(n, c.help or "") for n, c in group.commands.items() if not c.hidden]
        files["man/bpfinspect-%s.8" % name] = _page(
            "bpfinspect-" + name, _title(group.help), group.help,
            group.usage_lines, subs)
    return files


def main():
    check = "--check" in sys.argv[1:]
    files = {**completions(), **man_pages()}
    stale = []
    for rel, text in sorted(files.items()):
        path = os.path.join(ROOT, rel)
        try:
            with open(path) as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(rel)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
    if check and stale:
        print("stale (run tools/gen_docs.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
