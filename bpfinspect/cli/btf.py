"""`btf`: BTF objects loaded in the kernel."""

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.kernel.errors import BpfError

VMLINUX = "/sys/kernel/btf/vmlinux"
SYSFS_BTF = "/sys/kernel/btf/"
EINVAL_STATUS = 234  # bpftool exits with -EINVAL for these

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
    "                    {-B|--base-btf} FILE }\n",
)


def _decorations(options):
    from bpfinspect.kernel.query import Decorations

    return Decorations("btf", users=True)


def _describe(fd, deco):
    from bpfinspect.kernel.query import describe_btf

    return describe_btf(fd, deco)


@click.group(cls=BpftoolGroup, usage_lines=USAGE,
             help="BTF objects: kernel, module and program type information, and their users.")
@click.pass_context
def btf(ctx):
    ctx.command.run_default(ctx)


common.add_show_commands(
    btf, "btf", "btf",
    "Show every BTF object, or the one with id BTF_ID, with the programs and maps using it.",
    _describe, _decorations)
common.add_help_command(btf, USAGE)


class _Source:
    """What `btf dump` dumps: the BTF blob, its base (for split BTF), the root ids."""

    def __init__(self, data, base_path=None, roots=(), label="", trusted=False):
        self.label = label  # what the errors name: a file, "id 5"
        self.trusted = trusted  # the kernel loaded it, so checked it
        self.data = data
        self.base_path = base_path
        self.roots = list(roots)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise BpfError("failed to load BTF from %s: %s" % (path, exc.strerror),
                       exit_status=(256 - exc.errno) & 0xFF) from None


def _source(words, options):
    from bpfinspect.kernel import query

    src, words = words[0], words[1:]
    base_path = options.base_btf
    if selectors.is_prefix(src, "map"):
        if len(words) < 2:
            raise common.ShowUsage(USAGE)
        fds = query.select("map", selectors.parse("map", words[:2]))
        words = words[2:]
        try:
            if len(fds) > 1:
                raise BpfError("several maps match this handle")
            info = query.map_info(fds[0].fd)
        finally:
            query.close_all(fds)
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
        return _kernel_source(info.btf_id, roots, base_path), words
    if selectors.is_prefix(src, "prog"):
        if len(words) < 2:
            raise common.ShowUsage(USAGE)
        fds = query.select("prog", selectors.parse("prog", words[:2]))
        try:
            if len(fds) > 1:
                raise BpfError("several programs match this handle")
            info, _ids, _orphaned = query.prog_info(fds[0].fd)
        finally:
            query.close_all(fds)
        if not info.btf_id:
            raise BpfError("get btf by id (0): No such file or directory")
        return _kernel_source(info.btf_id, [], base_path), words[2:]
    if selectors.is_prefix(src, "id"):
        btf_id = selectors.strtoul(words[0])
        if btf_id is None:
            raise BpfError("can't parse %s as ID" % words[0])
        return _kernel_source(btf_id, [], base_path), words[1:]
    if selectors.is_prefix(src, "file"):
        path, words = words[0], words[1:]
        if words and selectors.is_prefix(words[0], "file"):
            raise BpfError("merging several BTF files is not supported by bpfinspect yet",
                           exit_status=EINVAL_STATUS)
        if base_path is None and path.startswith(SYSFS_BTF) and path != VMLINUX:
            base_path = VMLINUX  # module BTF is split over vmlinux
        return _Source(_read(path), base_path, label=path,
                       trusted=path.startswith(SYSFS_BTF)), words
    raise BpfError("unrecognized BTF source specifier: '%s'" % src)


def _kernel_source(btf_id, roots, base_path):
    from bpfinspect.kernel import code, query

    data = code.btf_data(btf_id)
    if base_path is None and query.btf_is_module(btf_id):
        base_path = VMLINUX
    return _Source(data, base_path, roots, label="id %u" % btf_id, trusted=True)


@btf.command("dump", context_settings=common.COMMAND_SETTINGS,
             help="Dump BTF types: raw (text or -j), or as a C header (format c; sorted as "
                  "the newest bpftool sorts, or in id order with unsorted).")
@click.argument("words", metavar="BTF_SRC [format FORMAT] [root_id ROOT_ID] [unsorted]",
                **common.WORDS)
def dump(words):
    from bpfinspect.btf import Btf, BtfError

    words = list(words)
    if len(words) < 2:
        raise common.ShowUsage(USAGE)
    r = common.run()
    source, words = _source(words, r.options)
    have_filter = bool(source.roots)
    dump_c, sort = False, True
    while words:
        word = words.pop(0)
        if selectors.is_prefix(word, "format"):
            if not words:
                raise BpfError("expecting value for 'format' option",
                               exit_status=EINVAL_STATUS)
            value = words.pop(0)
            if value not in ("c", "raw"):
                raise BpfError("unrecognized format specifier: '%s', possible values: raw, c"
                               % value, exit_status=EINVAL_STATUS)
            dump_c = value == "c"
        elif selectors.is_prefix(word, "root_id"):
            if have_filter:
                raise BpfError("cannot use root_id with other type filtering",
                               exit_status=EINVAL_STATUS)
            root = selectors.strtoul(words.pop(0)) if words else None
            if root is None:
                raise BpfError("can't parse %s as root ID" % (words[0] if words else ""))
            if root in source.roots:
                raise BpfError("duplicate root_id %u supplied" % root,
                               exit_status=EINVAL_STATUS)
            source.roots.append(root)
        elif selectors.is_prefix(word, "unsorted"):
            sort = False
        else:
            raise BpfError("unrecognized option: '%s'" % word, exit_status=EINVAL_STATUS)
    try:
        base = Btf.from_file(source.base_path) if source.base_path else None
        btf_obj = Btf(source.data, base)
        if not dump_c or sort or source.roots or not source.trusted:
            btf_obj.check()
        if dump_c and not source.trusted:
            from bpfinspect.btf.parser import check_references

            check_references(btf_obj)
    except BtfError as exc:
        raise BpfError("failed to load BTF from %s: %s" % (source.label, exc.message),
                       exit_status=EINVAL_STATUS) from None
    for root in source.roots:
        if root >= btf_obj.count:
            raise BpfError("invalid root ID: %u" % root, exit_status=EINVAL_STATUS)
    if dump_c:
        if r.options.json:
            raise BpfError("JSON output for C-syntax dump is not supported", exit_status=161)
        from bpfinspect.output import cheader

        cheader.write(source, btf_obj, sort)
        return
    r.formatter.btf_raw(btf_obj, source.roots)

