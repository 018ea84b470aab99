"""`map`: BPF maps."""

import errno

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import EXIT_DIFFERENT, EXIT_NOT_FOUND, BpfError, UsageError, status_of_errno, strerror

USAGE = (
    "Usage: bpfinspect map { show | list } [MAP]\n",
    "       bpfinspect map dump       MAP\n",
    "       bpfinspect map lookup     MAP [key DATA]\n",
    "       bpfinspect map getnext    MAP [key DATA]\n",
    "       bpfinspect map peek       MAP\n",
    "       bpfinspect map diff       MAP { MAP | FILE }\n",
    "       bpfinspect map help\n",
    "\n",
    "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
    "       DATA := { [hex] BYTES }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |\n",
    "                    --color WHEN }\n",
    "       WHEN := { auto | always | never }\n",
)

# bpftool's table: the commands that change something keep their place in it (`map p` is
# `pin`, as in bpftool) and refuse (common.order_commands)
ORDER = ("show", "list", "help", "dump", "update", "lookup", "getnext", "delete", "pin",
         "event_pipe", "create", "peek", "push", "enqueue", "pop", "dequeue", "freeze",
         "diff")


@click.group("map", cls=BpftoolGroup, usage_lines=USAGE,
             help="BPF maps: type, sizes, flags, BTF, owner program type, pins and owners, "
                  "and what they hold.")
@click.pass_context
def map_group(ctx):
    ctx.command.run_default(ctx)


common.add_show_commands(
    map_group, "map",
    "Show every map, or those MAP names (a name may match several). Maps are opened "
    "read-only. With -f, the paths where each is pinned.")
common.add_help_command(map_group, USAGE)


@map_group.command("dump", context_settings=common.COMMAND_SETTINGS,
                   help="Every entry of MAP (several maps when a name matches several): hex "
                        "bytes, or the values formatted by the map's BTF. Read in batches.")
@click.argument("words", metavar="MAP", **common.WORDS)
def dump(words):
    from bpfinspect.api import dumps, listing

    words = list(words)
    if len(words) != 2:
        raise common.ShowUsage(USAGE)
    r = common.run()
    with listing.opened("map", selectors.parse("map", words)) as fds:
        r.output.map_dump([dumps.map_dump(obj) for obj in fds])


def parse_bytes(words, what, size):
    """bpftool's parse_bytes: `[hex] B0 B1 ...`, each byte by strtoul (base 0, or 16 after
    `hex`); returns (bytes, the words left)."""
    base = 0
    if words and selectors.is_prefix(words[0], "hex"):
        base = 16
        words = words[1:]
    out = bytearray()
    i = 0
    while i < size and i < len(words):
        value = _strtoul(words[i], base)
        if value is None:
            raise UsageError("error parsing byte: %s" % words[i])
        out.append(value & 0xFF)
        i += 1
    if i != size:
        raise UsageError("%s expected %u bytes got %u" % (what, size, i))
    return bytes(out), words[i:]


def _strtoul(text, base):
    if base == 16:
        t = text[2:] if text[:2].lower() == "0x" else text
        try:
            return int(t, 16) if t and all(c in "0123456789abcdefABCDEF" for c in t) else None
        except ValueError:
            return None
    value = selectors.strtoul(text)
    return value


def parse_key(words, key_size):
    """bpftool's parse_elem for lookup, getnext and peek: `key [hex] BYTES`; None when the
    map has no keys and none is given."""
    key = None
    wanted = key_size > 0
    while True:
        if not words:
            if wanted:
                raise UsageError("did not find key")
            return key
        word = words[0]
        if selectors.is_prefix(word, "key"):
            if not wanted:
                raise UsageError("duplicate key" if key_size else "unnecessary key")
            key, words = parse_bytes(words[1:], "key", key_size)
            wanted = False
        elif selectors.is_prefix(word, "value"):
            raise UsageError("unnecessary value")
        elif any(selectors.is_prefix(word, f) for f in ("any", "noexist", "exist")):
            raise UsageError("flags specified multiple times: %s" % word)
        else:
            raise UsageError("expected key or value, got: %s" % word)


def _one_map(words):
    """(the ObjectFds the first two words name, the words after MAP): one map, read-only;
    the caller closes the fds."""
    from bpfinspect.api import listing

    words = list(words)
    if len(words) < 2:
        raise common.ShowUsage(USAGE)
    obj = listing.opened_one("map", selectors.parse("map", words[:2]),
                                 "several maps match this handle")
    return obj, words[2:]


def _lookup(words):
    from bpfinspect.api import dumps

    r = common.run()
    obj, rest = _one_map(words)
    with obj:
        info, lay = dumps.map_layout(obj)
        key = parse_key(rest, info.key_size)
        value = dumps.map_reader(obj, info).lookup(key)
        if isinstance(value, int):
            if value == errno.ENOENT:
                r.output.map_not_found(lay, key)
                raise common.ExitStatus(EXIT_NOT_FOUND)
            # bpftool exits with libbpf's -errno
            raise BpfError("lookup failed: %s" % strerror(value), value,
                           exit_status=status_of_errno(value))
        r.output.map_entry(lay, key, value)


@map_group.command("lookup", context_settings=common.COMMAND_SETTINGS,
                   help="The value at key DATA ([hex] bytes). Not found: exit status 254.")
@click.argument("words", metavar="MAP [key DATA]", **common.WORDS)
def lookup(words):
    _lookup(words)


@map_group.command("getnext", context_settings=common.COMMAND_SETTINGS,
                   help="The key after key DATA, or the first key.")
@click.argument("words", metavar="MAP [key DATA]", **common.WORDS)
def getnext(words):
    from bpfinspect.api import dumps

    r = common.run()
    obj, rest = _one_map(words)
    with obj:
        info, lay = dumps.map_layout(obj)
        key = parse_key(rest, info.key_size) if rest else None
        next_key = dumps.map_reader(obj, info).next_key(key)
        if next_key is None:
            # bpftool exits with libbpf's -ENOENT here
            raise BpfError("can't get next key: %s" % strerror(errno.ENOENT), errno.ENOENT,
                           exit_status=EXIT_NOT_FOUND)
        r.output.map_next_key(lay, key, next_key)


@map_group.command("peek", context_settings=common.COMMAND_SETTINGS,
                   help="The next value a queue or stack would give, without taking it.")
@click.argument("words", metavar="MAP", **common.WORDS)
def peek(words):
    _lookup(words)


@map_group.command("diff", context_settings=common.COMMAND_SETTINGS,
                   help="Keys added, removed and changed from the first MAP to the second, or "
                        "to FILE, a saved '-j map dump' of a map like it; values decoded by "
                        "BTF where the map has it. Exit status 0: the same, 1: different.")
@click.argument("words", metavar="MAP { MAP | FILE }", **common.WORDS)
def diff(words):
    from bpfinspect.api import listing, mapdiff

    words = list(words)
    if len(words) not in (3, 4):
        raise common.ShowUsage(USAGE)
    r = common.run()
    left, rest = _one_map(words)
    with left:
        if len(rest) == 2:
            right = listing.opened_one("map", selectors.parse("map", rest),
                                       "several maps match this handle")
            with right:
                result = mapdiff.diff(left, right)
        else:
            result = mapdiff.diff(left, path=rest[0])
    try:
        r.output.map_diff(result)
    finally:
        result.differences.close()
    if result.differences:
        raise common.ExitStatus(EXIT_DIFFERENT)


common.order_commands(map_group, ORDER)
