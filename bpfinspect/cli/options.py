"""bpftool's global options, accepted anywhere on the line (getopt_long with permutation)."""

# long name: (short letter or None, takes an argument)
LONG_OPTIONS = {
    "json": ("j", False),
    "help": ("h", False),
    "pretty": ("p", False),
    "version": ("V", False),
    "bpffs": ("f", False),
    "mapcompat": ("m", False),
    "nomount": ("n", False),
    "debug": ("d", False),
    "use-loader": ("L", False),
    "base-btf": ("B", True),
    "output": ("o", True),  # bpfinspect's own: where `visual` writes its graph
    "color": (None, True),  # bpfinspect's own, long only: bpftool may take any letter
    # bpfinspect's own, long only, for the commands that take them (COMMAND_OPTIONS)
    "interval": (None, True),
    "count": (None, True),
    "no-enable-stats": (None, False),
    "listen": (None, True),
    "textfile": (None, True),
    "depth": (None, True),
    "btf": (None, False),
}
SHORT_OPTIONS = {short: takes for short, takes in LONG_OPTIONS.values() if short}
COLOR_WHEN = ("auto", "always", "never")

# the commands (as paths of full names) that take each long-only option
COMMAND_OPTIONS = {
    "interval": (("prog", "top"), ("exporter",)),
    "count": (("prog", "top"),),
    "no-enable-stats": (("prog", "top"), ("exporter",)),
    "listen": (("exporter",),),
    "textfile": (("exporter",),),
    "depth": (("graph",),),
    "btf": (("graph",),),
}


class Options:
    """The global options of one run (a plain class: dataclasses cost start-up time)."""

    def __init__(self):
        self.json = False
        self.pretty = False
        self.bpffs = False
        self.nomount = False
        self.debug = False
        self.version = False
        self.help = False
        self.base_btf = None
        self.output = None
        self.color = "auto"
        self.command_options = {}  # long-only options: name -> value (True for flags)
        self.error = None  # an unrecognized option, reported once output is set up


def _apply(opts, letter, value):
    if letter in COMMAND_OPTIONS:
        opts.command_options[letter] = True if value is None else value
    elif letter == "V":
        opts.version = True
    elif letter == "h":
        opts.help = True
    elif letter == "p":
        opts.pretty = True
        opts.json = True
    elif letter == "j":
        opts.json = True
    elif letter == "f":
        opts.bpffs = True
    elif letter == "n":
        opts.nomount = True
    elif letter == "d":
        opts.debug = True
    elif letter == "B":
        opts.base_btf = value
    elif letter == "o":
        opts.output = value
    elif letter == "color":
        if value in COLOR_WHEN:
            opts.color = value
        else:
            opts.error = "invalid argument '%s' for '--color' (valid: %s)" % (
                value, ", ".join(COLOR_WHEN))
    # -m and -L only matter to commands that load programs: accepted and ignored


def _long(name):
    if name in LONG_OPTIONS:
        return name
    matches = [n for n in LONG_OPTIONS if n.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    return None


def split_argv(argv):
    """(Options, the remaining words). Like getopt_long, options stop at `--` and `-h`
    stops the scan; an unknown option is recorded, not raised, so that it can be reported
    in the output mode chosen by the options before it."""
    opts = Options()
    words = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            words.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            full = _long(name)
            if full is None:
                opts.error = "unrecognized option '%s'" % arg
                break
            letter, takes = LONG_OPTIONS[full]
            if takes and not eq:
                if i >= len(argv):
                    opts.error = "option '%s' requires an argument" % arg
                    break
                value = argv[i]
                i += 1
            _apply(opts, letter or full, value if takes else None)
            if opts.help or opts.error:
                break
        elif arg.startswith("-") and arg != "-":
            j = 1
            while j < len(arg):
                letter = arg[j]
                j += 1
                if letter not in SHORT_OPTIONS:
                    opts.error = "unrecognized option '%s'" % arg
                    return opts, words
                value = None
                if SHORT_OPTIONS[letter]:
                    if j < len(arg):
                        value = arg[j:]
                    elif i < len(argv):
                        value = argv[i]
                        i += 1
                    else:
                        opts.error = "option requires an argument -- '%s'" % letter
                        return opts, words
                    j = len(arg)
                _apply(opts, letter, value)
                if opts.help:
                    return opts, words
        else:
            words.append(arg)
    return opts, words


def colour_wanted(when, stream, environ):
    """Whether text output to `stream` is coloured: `always`, `never`, or (`auto`) when
    NO_COLOR is unset or empty and either FORCE_COLOR is set and not empty or `stream` is a
    terminal that is not TERM=dumb."""
    if when != "auto":
        return when == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
