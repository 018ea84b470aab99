"""`prog top` on a terminal: the screen's state (sort, filter, selection, the program looked
into), what each key does to it, and the rich renderable drawn from it and a snapshot.

Every string from the kernel (names, types, comm, link and map text) reaches rich as a Text
built from the escaped string, never as markup: a name like `[bold]` prints as itself."""

import collections

from rich.console import Group
from rich.text import Text

from bpfinspect.views import link as link_view
from bpfinspect.views import map as map_view
from bpfinspect.views import top as top_view
from bpfinspect.views.textsafe import safe

MIN_WIDTH, MIN_HEIGHT = 60, 10
HISTORY = 600  # samples kept per program for the chart (10 minutes at the default interval)
BARS = " ▁▂▃▄▅▆▇█"

# (heading, key of a ProgRate to sort on, right-aligned, descending first)
COLUMNS = (
    ("ID", lambda r: r.id, True, False),
    ("TYPE", lambda r: str(r.type), False, False),
    ("NAME", lambda r: r.name, False, False),
    ("CPU%", lambda r: r.cpu_pct, True, True),
    ("RUNS/S", lambda r: r.runs_per_s, True, True),
    ("AVG NS", lambda r: -1 if r.avg_ns is None else r.avg_ns, True, True),
    ("TOTAL TIME", lambda r: r.run_time_ns_total, True, True),
    ("PIDS", None, False, False),
)
SORTABLE = [i for i, c in enumerate(COLUMNS) if c[1] is not None]
_NUMERIC = (0, 3, 4, 5, 6)  # columns whose keys are numbers
HELP = ("q quit  1-7 or </> sort  r reverse  / filter  ↑↓ select  Enter details  "
        "Esc back")


class TopScreen:
    """What the live view shows; `key()` applies one key and says whether to quit."""

    def __init__(self):
        self.sort = 3  # CPU%
        self.descending = True
        self.filter = ""
        self.editing = None  # the filter being typed, or None
        self.selected = None  # id of the highlighted program
        self.detail = None  # id of the program looked into, or None
        self.first_row = 0
        self.history = {}  # id -> deque of cpu_pct
        self.snapshot = None
        self.rows = []

    # data

    def update(self, snapshot):
        self.snapshot = snapshot
        old, history = self.history, {}
        for r in snapshot.programs:
            past = old.get(r[0])
            if past is None:
                past = collections.deque(maxlen=HISTORY)
            past.append(r[10])  # cpu_pct
            history[r[0]] = past
        self.history = history  # programs that are gone are left behind
        self._arrange()

    def _arrange(self):
        if self.snapshot is None:
            self.rows = []
            return
        rows = list(self.snapshot.programs)
        if self.filter:
            needle = self.filter.lower()
            rows = [r for r in rows if needle in r.name.lower() or needle in str(r.type).lower()]
        key = COLUMNS[self.sort][1]
        if self.sort in _NUMERIC:  # one sort: the value, then the id ascending
            sign = -1 if self.descending else 1
            rows.sort(key=lambda r: (sign * key(r), r[0]))
        else:
            rows.sort(key=lambda r: r[0])
            rows.sort(key=key, reverse=self.descending)
        self.rows = rows
        ids = [r.id for r in rows]
        if self.selected not in ids:
            self.selected = ids[0] if ids else None

    # keys

    def key(self, key):
        """Apply one key ("q", "up", "enter", "esc", a character...); True means quit."""
        if self.editing is not None:
            return self._edit_key(key)
        if key in ("q", "Q", "ctrl-c"):
            return True
        if key == "esc":
            if self.detail is not None:
                self.detail = None
            elif self.filter:
                self.filter = ""
                self._arrange()
        elif key == "enter":
            if self.detail is None and self.selected is not None:
                self.detail = self.selected
        elif self.detail is not None:
            if key == "backspace":
                self.detail = None
        elif key in ("up", "k"):
            self._move(-1)
        elif key in ("down", "j"):
            self._move(1)
        elif key == "pgup":
            self._move(-10)
        elif key == "pgdn":
            self._move(10)
        elif key == "home":
            self._move(-len(self.rows))
        elif key == "end":
            self._move(len(self.rows))
        elif key == "r":
            self.descending = not self.descending
            self._arrange()
        elif key in ("<", ">", "left", "right"):
            at = SORTABLE.index(self.sort)
            step = -1 if key in ("<", "left") else 1
            self._sort_by(SORTABLE[(at + step) % len(SORTABLE)])
        elif len(key) == 1 and key.isdigit() and int(key) - 1 in SORTABLE:
            self._sort_by(int(key) - 1)
        elif key == "/":
            self.editing = self.filter
        return False

    def _sort_by(self, column):
        if column == self.sort:
            self.descending = not self.descending
        else:
            self.sort = column
            self.descending = COLUMNS[column][3]
        self._arrange()

    def _edit_key(self, key):
        if key == "enter":
            self.filter, self.editing = self.editing, None
            self._arrange()
        elif key == "esc":
            self.editing = None
        elif key == "backspace":
            self.editing = self.editing[:-1]
        elif key == "ctrl-c":
            return True
        elif len(key) == 1 and key.isprintable():
            self.editing += key
        return False

    def _move(self, step):
        ids = [r.id for r in self.rows]
        if not ids:
            return
        at = ids.index(self.selected) if self.selected in ids else 0
        self.selected = ids[max(0, min(len(ids) - 1, at + step))]

    # drawing

    def render(self, width, height, details=None):
        """The screen for a terminal of `width` x `height`; `details` is (maps, links) of the
        program looked into (model records), when it is."""
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("terminal too small (%dx%d): prog top needs at least %dx%d"
                        % (width, height, MIN_WIDTH, MIN_HEIGHT))
        if self.snapshot is None:
            return Text("bpfinspect prog top: reading the first interval...")
        if self.detail is not None:
            return self._render_detail(width, height, details)
        return self._render_table(width, height)

    def _header(self):
        lines = top_view.header_lines(self.snapshot)
        text = Text(lines[0], style="bold")
        for line in lines[1:]:
            text.append("\n" + line)
        return text

    def _footer(self):
        if self.editing is not None:
            return Text("filter (name or type, Enter applies, Esc cancels): ") + Text(
                safe(self.editing), style="bold") + Text("█")
        status = "sort: %s %s" % (COLUMNS[self.sort][0],
                                  "descending" if self.descending else "ascending")
        if self.filter:
            status += "  filter: " + safe(self.filter)
        status += "  %d of %d programs" % (len(self.rows), len(self.snapshot.programs))
        return Text(status + "\n" + HELP, style="dim")

    def _render_table(self, width, height):
        room = max(1, height - 8)  # header 3, blank, column heads, footer 2, margin
        ids = [r.id for r in self.rows]
        at = ids.index(self.selected) if self.selected in ids else 0
        if at < self.first_row:
            self.first_row = at
        elif at >= self.first_row + room:
            self.first_row = at - room + 1
        self.first_row = max(0, min(self.first_row, max(0, len(self.rows) - room)))
        shown = [top_view.program_cells(r) for r in self.rows[self.first_row:
                                                              self.first_row + room]]
        # every column as wide as its widest cell; NAME at most a quarter of the screen, and
        # PIDS gets what is left (cut with an ellipsis)
        widths = [max([len(c[0]) + 1] + [len(cells[i]) for cells in shown])
                  for i, c in enumerate(COLUMNS)]
        widths[2] = min(widths[2], max(15, width // 4))
        widths[-1] = max(4, width - sum(widths[:-1]) - 2 * (len(COLUMNS) - 1))
        heads = []
        for i, (heading, _, _, _) in enumerate(COLUMNS):
            mark = ("▼" if self.descending else "▲") if i == self.sort else ""
            heads.append(heading + mark)
        lines = [Text(_row(heads, widths), style="bold reverse")]
        for r, cells in zip(self.rows[self.first_row:], shown):
            lines.append(Text(_row(cells, widths), no_wrap=True, overflow="ellipsis",
                              style="reverse" if r.id == self.selected else ""))
        table = Text("\n").join(lines)
        table.no_wrap = True
        table.overflow = "ellipsis"
        return Group(self._header(), Text(""), table, self._footer())

    def _render_detail(self, width, height, details):
        rate = next((r for r in self.snapshot.programs if r.id == self.detail), None)
        parts = [self._header(), Text("")]
        if rate is None:
            parts.append(Text("program %d is gone (Esc: back)" % self.detail, style="bold"))
            return Group(*parts)
        title = Text("%d: %s  name %s  tag %s" % (rate.id, safe(str(rate.type)),
                                                   safe(rate.name), rate.tag), style="bold")
        parts.append(title)
        parts.append(Text("CPU %.2f%%  runs/s %.1f  avg ns %s  runs %d  run time %s  "
                          "recursion misses %d" % (rate.cpu_pct, rate.runs_per_s,
                                                   top_view.avg_text(rate.avg_ns),
                                                   rate.run_cnt_total,
                                                   top_view.run_time_text(rate.run_time_ns_total),
                                                   rate.recursion_misses)))
        if rate.pids:
            parts.append(Text("pids " + top_view.pids_cell(rate.pids)))
        history = list(self.history.get(rate.id, ()))
        chart_width = max(10, width - 12)
        parts.append(Text(""))
        parts.append(Text("CPU%% over the last %d samples (%.0f s)"
                          % (min(len(history), chart_width),
                             min(len(history), chart_width) * self.snapshot.interval_s),
                          style="bold"))
        for line in chart_lines(history[-chart_width:], 5):
            parts.append(Text(line))
        maps, links = details if details is not None else ((), ())
        parts.append(Text(""))
        parts.append(Text("maps", style="bold"))
        used = 9 + len(parts)
        lines = []
        for m in maps:
            lines += map_view.header_text(m).rstrip("\n").expandtabs(8).split("\n")
        lines = lines or ["(none)"]
        lines.append("")
        lines.append("\x00links")
        link_lines = []
        for item in links:
            link_lines += link_view.text(item).rstrip("\n").expandtabs(8).split("\n")
        lines += link_lines or ["(none)"]
        room = max(0, height - used)
        for line in lines[:room]:
            if line == "\x00links":
                parts.append(Text("links", style="bold"))
            else:
                parts.append(Text(line, overflow="ellipsis", no_wrap=True))
        parts.append(Text("Esc back  q quit", style="dim"))
        return Group(*parts)


def _row(cells, widths):
    """One line of the table: each cell cut or padded to its column's width (an ellipsis
    where cut), columns two spaces apart."""
    out = []
    for (_, _, right, _), cell, width in zip(COLUMNS, cells, widths):
        if len(cell) > width:
            cell = cell[:max(0, width - 1)] + "…"
        out.append(cell.rjust(width) if right else cell.ljust(width))
    return "  ".join(out).rstrip()


def chart_lines(values, height):
    """A bar chart of `values` (one column each), `height` rows of eighth blocks, scaled to
    the largest value, with that value on the top row's right."""
    top = max(values) if values else 0.0
    rows = []
    for level in range(height, 0, -1):
        line = []
        for v in values:
            eighths = int(round(v / top * height * 8)) if top > 0 else 0
            fill = eighths - (level - 1) * 8
            line.append(BARS[max(0, min(8, fill))])
        label = " %.2f%%" % top if level == height else (" 0%" if level == 1 else "")
        rows.append("".join(line) + label)
    return rows
