"""`btf`: BTF objects loaded in the kernel."""

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import EXIT_INVALID, EXIT_NOT_SUPPORTED, BpfError

USAGE = (
    "Usage: bpfinspect btf { show | list } [id BTF_ID]\n",
    "       bpfinspect btf dump BTF_SRC [format FORMAT] [root_id ROOT_ID] [unsorted]\n",
    "       bpfinspect btf help\n",
    "\n",
    "       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] |\n",
    "                    file FILE }\n",
    "       FORMAT  := { raw | c }\n",
    "       MAP     := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
    "       PROG    := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n",
    "                    {-B|--base-btf} FILE | --color WHEN }\n",
    "       WHEN := { auto | always | never }\n",
)


@click.group(cls=BpftoolGroup, usage_lines=USAGE,
             help="BTF objects: kernel, module and program type information, and their users.")
@click.pass_context
def btf(ctx):
    ctx.command.run_default(ctx)


common.add_show_commands(
    btf, "btf",
    "Show every BTF object, or the one with id BTF_ID, with the programs and maps using it.")
common.add_help_command(btf, USAGE)


def _source(words, options):
    """(api.btfdump.BtfSource, the words left) from `BTF_SRC ...`."""
    from bpfinspect.api import btfdump

    src, words = words[0], words[1:]
    base_path = options.base_btf
    if selectors.is_prefix(src, "map") or selectors.is_prefix(src, "prog"):
        return _object_source(src, words, base_path)
    if selectors.is_prefix(src, "id"):
        btf_id = selectors.strtoul(words[0])
        if btf_id is None:
            raise BpfError("can't parse %s as ID" % words[0])
        return btfdump.kernel_source(btf_id, (), base_path), words[1:]
    if selectors.is_prefix(src, "file"):
        path, words = words[0], words[1:]
        if words and selectors.is_prefix(words[0], "file"):
            raise BpfError("merging several BTF files is not supported by bpfinspect yet",
                           exit_status=EXIT_INVALID)
        return btfdump.file_source(path, base_path), words
    raise BpfError("unrecognized BTF source specifier: '%s'" % src)


def _object_source(src, words, base_path):
    """_source() of `map MAP ...` and `prog PROG`: the BTF that a map or program uses."""
    from bpfinspect.api import btfdump, dumps, listing

    if selectors.is_prefix(src, "map"):
        if len(words) < 2:
            raise common.ShowUsage(USAGE)
        with listing.opened_one("map", selectors.parse("map", words[:2]),
                                    "several maps match this handle") as obj:
            info = dumps.map_info_of(obj)
        words = words[2:]
        roots = [info.btf_key_type_id, info.btf_value_type_id]
        if words and selectors.is_prefix(words[0], "key"):
            roots, words = [info.btf_key_type_id], words[1:]
        elif words and selectors.is_prefix(words[0], "value"):
            roots, words = [info.btf_value_type_id], words[1:]
        elif words and selectors.is_prefix(words[0], "all"):
            roots, words = [], words[1:]
        elif words and selectors.is_prefix(words[0], "kv"):
            words = words[1:]
        if not info.btf_id:
            raise BpfError("get btf by id (0): No such file or directory")
        return btfdump.kernel_source(info.btf_id, roots, base_path), words
    if selectors.is_prefix(src, "prog"):
        if len(words) < 2:
            raise common.ShowUsage(USAGE)
        with listing.opened_one("prog", selectors.parse("prog", words[:2]),
                                    "several programs match this handle") as obj:
            btf_id = dumps.prog_info_of(obj).btf_id
        if not btf_id:
            raise BpfError("get btf by id (0): No such file or directory")
        return btfdump.kernel_source(btf_id, (), base_path), words[2:]
    raise BpfError("unrecognized BTF source specifier: '%s'" % src)


def write_lines(out, text, chunk=1 << 16):
    """`text` in chunks that end at a line's end: Ctrl-C (held while a write is under way)
    leaves whole lines only."""
    start = 0
    while start < len(text):
        end = text.rfind("\n", start, start + chunk) + 1 if start + chunk < len(text) \
            else len(text)
        if end <= start:
            end = min(len(text), start + chunk)
        out.write(text[start:end])
        start = end


@btf.command("dump", context_settings=common.COMMAND_SETTINGS,
             help="Dump BTF types: raw (text or -j), or as a C header (format c; sorted as "
                  "the newest bpftool sorts, or in id order with unsorted).")
@click.argument("words", metavar="BTF_SRC [format FORMAT] [root_id ROOT_ID] [unsorted]",
                **common.WORDS)
def dump(words):
    import sys

    from bpfinspect.api import btfdump

    words = list(words)
    if len(words) < 2:
        raise common.ShowUsage(USAGE)
    r = common.run()
    source, words = _source(words, r.options)
    have_filter = bool(source.roots)
    roots = list(source.roots)
    dump_c, sort = False, True
    while words:
        word = words.pop(0)
        if selectors.is_prefix(word, "format"):
            if not words:
                raise BpfError("expecting value for 'format' option", exit_status=EXIT_INVALID)
            value = words.pop(0)
            if value not in ("c", "raw"):
                raise BpfError("unrecognized format specifier: '%s', possible values: raw, c"
                               % value, exit_status=EXIT_INVALID)
            dump_c = value == "c"
        elif selectors.is_prefix(word, "root_id"):
            if have_filter:
                raise BpfError("cannot use root_id with other type filtering",
                               exit_status=EXIT_INVALID)
            if not words:
                raise BpfError("expecting value for 'root_id' option", exit_status=EXIT_INVALID)
            value = words.pop(0)
            root = selectors.strtoul(value)
            if root is None:
                raise BpfError("can't parse %s as root ID" % value)
            if root in roots:
                raise BpfError("duplicate root_id %u supplied" % root, exit_status=EXIT_INVALID)
            roots.append(root)
        elif selectors.is_prefix(word, "unsorted"):
            sort = False
        else:
            raise BpfError("unrecognized option: '%s'" % word, exit_status=EXIT_INVALID)
    source = source.with_roots(roots)
    btf_obj = btfdump.load(source, for_c=dump_c, sort=sort)
    if dump_c:
        if r.options.json:
            raise BpfError("JSON output for C-syntax dump is not supported",
                           exit_status=EXIT_NOT_SUPPORTED)
        header = btfdump.c_header_bytes(source, btf_obj, sort)
        if hasattr(sys.stdout, "write_bytes"):
            sys.stdout.write_bytes(header)
        else:
            write_lines(sys.stdout, header.decode("utf-8", "surrogateescape"))
        return
    r.output.btf_raw(btf_obj, source.roots)
