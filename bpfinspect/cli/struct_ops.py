"""`struct_ops`: BPF implementations of kernel structures (bpftool's struct_ops show, dump)."""

import re

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import EXIT_FAILURE, BpfError, UsageError

USAGE = (
    "Usage: bpfinspect struct_ops { show | list } [STRUCT_OPS_MAP]\n",
    "       bpfinspect struct_ops dump [STRUCT_OPS_MAP]\n",
    "       bpfinspect struct_ops help\n",
    "\n",
    "       STRUCT_OPS_MAP := [ id STRUCT_OPS_MAP_ID | name STRUCT_OPS_MAP_NAME ]\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
)

# bpftool's table: register and unregister change the kernel; they keep their prefix place
# (`struct_ops r` is register) and refuse
NO_BTF = "struct_ops requires kernel CONFIG_DEBUG_INFO_BTF=y"
ORDER = ("show", "list", "register", "unregister", "dump", "help")


@click.group("struct_ops", cls=BpftoolGroup, usage_lines=USAGE,
             help="struct_ops maps: BPF programs implementing a kernel structure "
                  "(tcp_congestion_ops, sched_ext_ops, ...). Needs vmlinux BTF.")
@click.pass_context
def struct_ops(ctx):
    ctx.command.run_default(ctx)


def _map_id(text):
    """bpftool's strtoul(id, &end, 0) with `*end || !id || id > UINT32_MAX`: None if bad."""
    m = re.fullmatch(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if not m:
        return None
    digits = m.group(2)
    value = int(digits, 16) if digits[:2].lower() == "0x" else \
        int(digits, 8) if digits.startswith("0") and len(digits) > 1 else int(digits)
    if m.group(1) == "-" and value:
        value = (1 << 64) - value
    return value if 0 < value <= 0xFFFFFFFF else None


def _selection(words):
    """(map id, name) from `[id ID | name NAME]`."""
    words = list(words)
    if words and len(words) != 2:
        raise common.ShowUsage(USAGE)
    if not words:
        return None, None
    kind, term = words
    if selectors.is_prefix(kind, "id"):
        map_id = _map_id(term)
        if map_id is None:
            raise UsageError("invalid id %s" % term)
        return map_id, None
    if not selectors.is_prefix(kind, "name"):
        raise common.ShowUsage(USAGE)
    return None, term


class _Counted:
    def __init__(self, items):
        self.items = items
        self.count = 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def _run(verb, words):
    from bpfinspect.api import struct_ops as api

    r = common.run()
    words = list(words)
    if words and len(words) != 2:
        raise common.ShowUsage(USAGE)
    produce = api.iter_shown if verb == "show" else api.iter_dumps
    try:
        map_id, name = _selection(words)
        items = _Counted(produce(map_id, name))
    except BpfError as exc:
        if verb == "dump" and not r.options.json and exc.message != NO_BTF:
            # bpftool's text dump has opened its pretty writer, which ends with a newline
            r.output.out.write("\n")
        raise
    r.output.document("struct_ops", (verb, items))
    if name is not None and not items.count:
        if verb == "show" and not r.options.json:
            raise UsageError("no struct_ops found for %s" % name)
        raise common.ExitStatus(EXIT_FAILURE)  # bpftool: `[]` and a failure status


@struct_ops.command("show", context_settings=common.COMMAND_SETTINGS,
                    help="Every struct_ops map (or the one with this id, or those with this "
                         "name): id, name, the kernel structure it implements.")
@click.argument("words", metavar="[STRUCT_OPS_MAP]", **common.WORDS)
def show(words):
    _run("show", words)


@struct_ops.command("list", context_settings=common.COMMAND_SETTINGS, help="Same as show.")
@click.argument("words", metavar="[STRUCT_OPS_MAP]", **common.WORDS)
def list_(words):
    _run("show", words)


@struct_ops.command("dump", context_settings=common.COMMAND_SETTINGS,
                    help="Each struct_ops map's bpf_map_info and value, formatted by vmlinux "
                         "BTF; function pointers name their programs.")
@click.argument("words", metavar="[STRUCT_OPS_MAP]", **common.WORDS)
def dump(words):
    _run("dump", words)


common.add_help_command(struct_ops, USAGE)


common.order_commands(struct_ops, ORDER)
