"""Colour for a terminal (`--color`): the text views' lines, already formatted and escaped,
with ANSI styles laid over them. Painting never changes a character: the output with its
escape sequences removed is the plain output, byte for byte.

Lines are split into spans by regexes and each span styled through rich (a rich.text.Text
with style spans, rendered by a Console forced to be a terminal): never through rich markup,
so a name such as `[bold]x` prints as itself. Control characters in names were escaped by
textsafe before the lines reach here (`\\x1b` is four printable characters).

rich is imported when the first line is painted: this module costs nothing at start-up, and
a command with nothing to paint never loads rich."""

import re

# style of each kind of span (rich style definitions: standard colours only, so every
# colour system renders the same escape sequences)
STYLES = {
    "address": "yellow",  # instruction index or offset
    "opcode": "dim",  # xlated's `(b7)`
    "keyword": "bold",  # goto, call, exit, ...; a JIT instruction's mnemonic
    "register": "cyan",
    "number": "magenta",  # immediates and offsets
    "target": "bold blue",  # where a jump goes
    "call": "bold green",  # helper, kfunc, subprogram
    "map": "bold red",  # map[id:N], map[id:N][0]+off
    "source": "dim italic",  # `; source line [file:... line_num:...]`
    "proto": "bold",  # a function's prototype, a JIT function's symbol
    "bytes": "dim",  # the `opcodes` bytes
    "id": "bold yellow",  # `show`: the object's id
    "name": "bold green",  # `show`: the object's name
    "removed": "red",  # `prog diff`: a line only the old program has
    "added": "green",  # `prog diff`: a line only the new program has
    "hunk": "cyan",  # `prog diff`: `@@ -1,4 +1,5 @@`
    "label": "bold",  # `prog diff`: `--- old` and `+++ new`
}

# xlated: "%4u: (xx) text", `; source` notes, prototypes ending in ':', opcode bytes
_XLATED_LINE = r"(?P<addr> *\d+)(?=: \([0-9a-f]{2}\) )"
_XLATED_REST = r": (?P<op>\([0-9a-f]{2}\))(?P<body> )"
_XLATED_BODY = (
    r"(?P<map>map\[(?:id|idx):\d+\](?:\[\d+\])?(?:\+\d+)?)"
    r"|(?P<subprog>subprog\[[+-]\d+\])"
    r"|(?<=call )(?P<call>\S+)"
    r"|(?P<target>\bpc[+-]\d+)"
    r"|(?P<register>\b[rw](?:10|[0-9])\b)"
    r"|(?P<keyword>\b(?:goto|gotol|gotox|may_goto|if|call|exit|lock|nospec"
    r"|(?:bswap|be|le)(?:16|32|64)|[a-z_][a-z0-9_]*(?=\())\b)"
    r"|(?P<number>(?<![\w.])[-+]?(?:0x[0-9a-f]+|\d+)\b)")
# jited: "%4x:" then the disassembler's text (mnemonic, tab, operands)
_JITED_LINE = r"(?P<addr> *[0-9a-f]+)(?=:[ \t]+\S)"
_JITED_REST = r":[ \t]+(?P<mnemonic>\S+)(?P<body>)"
_JITED_BODY = (
    r"(?P<register>%[a-z][a-z0-9]*|\b(?:[xw](?:30|[12]?[0-9])|sp|fp|lr|xzr|wzr)\b)"
    r"|(?P<number>[$#]-?(?:0x[0-9a-f]+|\d+)|(?<![\w%$#.])-?(?:0x[0-9a-f]+|\d+)\b)")
# a branch whose operand is an address (x86 j*/call*, arm64 b*/cb*/tb*)
_JITED_BRANCH = r"j|call|b(?:l|\.|$)|cb|tb"
_SOURCE = r"; "
_BYTES = r"\s+(?:[0-9a-f]{2} ?)+"
# `show`: "ID: type  name NAME  tag|flags|size ..." (btf: "ID: name NAME  size ...")
_HEADER = r"(?P<id>\d+)(?::.*?\bname (?P<name>.+?)  (?:tag|flags|size) )?"
# characters rich.text.Text drops: painting would lose them (textsafe escapes them first)
_DROPPED = r"[\x07\x08\x0b\x0c\x0d]"

SHOWN = ("prog", "map", "btf", "link")


def colour_system(environ):
    """rich's colour system for this terminal, from COLORTERM and TERM."""
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    if "256color" in environ.get("TERM", ""):
        return "256"
    return "standard"


class Painter:
    """Paints whole lines of text output for a terminal of `system` (colour_system())."""

    def __init__(self, system="standard"):
        self.system = system
        self._console = None
        self._re = None
        self._codes = None
        self._cache = {}

    # --- what the text output calls ---------------------------------------------------------

    def shown(self, kind, render):
        """`render` (record -> text of a `show`) with each record's first line painted."""
        if kind not in SHOWN:
            return render
        return lambda item: self.show(render(item))

    def listing(self, mode, chunks):
        """`chunks` (listing -> chunks of text) with every chunk painted as `mode`
        ("xlated" or "jited")."""
        paint = self.xlated if mode == "xlated" else self.jited
        return lambda x: map(paint, chunks(x))

    # --- painting ---------------------------------------------------------------------------

    def show(self, text):
        """A `show` record: the id and name on its first line."""
        end = text.find("\n")
        m = self._regexes()["header"].match(text, 0, len(text) if end < 0 else end)
        if m is None:
            return text
        spans = [(m.start("id"), m.end("id"), "id")]
        if m.group("name") is not None:
            spans.append((m.start("name"), m.end("name"), "name"))
        return self.render(text, spans)

    def xlated(self, chunk):
        """A chunk of `prog dump xlated` lines."""
        return self._lines(chunk, self._regexes()["xlated"], "xlated")

    def jited(self, chunk):
        """A chunk of `prog dump jited` lines."""
        return self._lines(chunk, self._regexes()["jited"], "jited")

    def diff(self, line):
        """A line of `prog diff` (without its newline), painted whole by its first
        characters."""
        if line.startswith(("--- ", "+++ ")):
            style = "label"
        elif line.startswith("@@"):
            style = "hunk"
        elif line.startswith("-"):
            style = "removed"
        elif line.startswith("+"):
            style = "added"
        else:
            return line
        return self.fast_render(line, [(0, len(line), style)])

    def _lines(self, chunk, pattern, mode):
        """Each line painted: the address on its own, the rest as found once per distinct
        text (large programs repeat their instructions, and every line has its own
        address)."""
        codes = self._codes or self._rich_codes()
        on, off = codes["address"]
        cache = self._cache
        out = []
        append = out.append
        match = pattern.match
        for line in chunk.split("\n"):
            m = match(line)
            if m is None:
                key = (None, line)
                rest, cut = line, 0
            else:
                cut = m.end("addr")
                rest = line[cut:]
                key = (mode, rest)
            painted = cache.get(key)
            if painted is None:
                painted = self.fast_render(rest, self._spans(rest, mode if m else None))
                if len(cache) < 65536:
                    cache[key] = painted
            append(on + line[:cut] + off + painted if cut else painted)
        return "\n".join(out)

    def _spans(self, text, mode):
        """(start, end, style) of each styled span in a listing's line, without its
        address."""
        r = self._regexes()
        if mode is None:
            return self._other_spans(text, r)
        if mode == "xlated":
            m = r["xlated_rest"].match(text)
            spans = [(m.start("op"), m.end("op"), "opcode")]
            branch = False
        else:
            m = r["jited_rest"].match(text)
            spans = [(m.start("mnemonic"), m.end("mnemonic"), "keyword")]
            branch = r["branch"].match(m.group("mnemonic")) is not None
        body = m.start("body")
        for t in r[mode + "_body"].finditer(text, body):
            style = t.lastgroup
            if style == "subprog":
                style = "call"
            elif branch and style == "number" and t.group()[0] not in "$#":
                style = "target"
            spans.append((t.start(), t.end(), style))
        return spans

    def _other_spans(self, line, r):
        """Source notes, opcode bytes, prototypes and symbols (`...:`); anything else
        stays plain."""
        if not line:
            return []
        if line.startswith(_SOURCE):
            return [(0, len(line), "source")]
        if r["bytes"].fullmatch(line):
            return [(len(line) - len(line.lstrip()), len(line.rstrip()), "bytes")]
        if line.endswith(":"):
            return [(0, len(line), "proto")]
        return []

    def _regexes(self):
        if self._re is None:
            self._re = {
                "xlated": re.compile(_XLATED_LINE),
                "xlated_rest": re.compile(_XLATED_REST),
                "xlated_body": re.compile(_XLATED_BODY),
                "jited": re.compile(_JITED_LINE),
                "jited_rest": re.compile(_JITED_REST),
                "jited_body": re.compile(_JITED_BODY),
                "branch": re.compile(_JITED_BRANCH),
                "bytes": re.compile(_BYTES),
                "header": re.compile(_HEADER),
                "dropped": re.compile(_DROPPED),
            }
        return self._re

    # --- rich -------------------------------------------------------------------------------

    def _rich(self):
        if self._console is None:
            import io

            from rich.console import Console
            from rich.segment import Segments
            from rich.style import Style
            from rich.text import Span, Text

            # everything explicit: NO_COLOR, FORCE_COLOR, TERM and the terminal's width were
            # the command line's to weigh, and nothing may wrap, crop or expand tabs
            self._console = Console(file=io.StringIO(), force_terminal=True,
                                    color_system=self.system, no_color=False, markup=False,
                                    emoji=False, highlight=False, soft_wrap=True,
                                    legacy_windows=False, width=1 << 20, height=25)
            self._styles = {name: Style.parse(s) for name, s in STYLES.items()}
            self._classes = Segments, Span, Text
        return self._console

    def render(self, text, spans):
        """`text` with the styles of `spans` ((start, end, style name), in order, not
        overlapping), through a rich.text.Text rendered by the Console. Text drops a few
        control characters, which textsafe has escaped: text that still holds one stays
        plain rather than lose it."""
        if not spans or self._regexes()["dropped"].search(text):
            return text
        console = self._rich()
        Segments, Span, Text = self._classes
        styles = self._styles
        painted = Text(text)
        painted.spans = [Span(s, e, styles[style]) for s, e, style in spans if e > s]
        with console.capture() as capture:
            # Segments: the spans as they are, no wrapping and no tab expansion
            console.print(Segments(painted.render(console)), end="")
        return capture.get()

    def _rich_codes(self):
        """{style name: (what turns it on, what turns it off)}, as the Console renders one
        character in each style."""
        codes = {}
        for name in STYLES:
            on, mark, off = self.render("\x00", [(0, 1, name)]).partition("\x00")
            codes[name] = (on, off) if mark else ("", "")
        self._codes = codes
        return codes

    def fast_render(self, text, spans):
        """What render() gives for spans that do not overlap (each span is its codes
        around its text, the text between them as it is), without building a Text: a
        listing has a dozen spans a line, and rich's Text rendering takes microseconds
        each."""
        codes = self._codes or self._rich_codes()
        out = []
        at = 0
        for s, e, style in spans:
            if e <= s:
                continue
            on, off = codes[style]
            out.append(text[at:s])
            out.append(on)
            out.append(text[s:e])
            out.append(off)
            at = e
        out.append(text[at:])
        return "".join(out)


def strip(text):
    """`text` without ANSI SGR sequences (what a pager that ignores colour shows)."""
    return re.sub("\x1b\\[[0-9;]*m", "", text)
