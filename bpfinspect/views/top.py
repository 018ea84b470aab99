"""`prog top` without a terminal: one snapshot per interval, like `top -b`. Text is a header,
a table of programs (busiest first) and a table of totals per type; JSON is one object per
line (JSON Lines), each line whole and flushed when written."""

import time

from bpfinspect.views.textsafe import safe

COLUMNS = ("ID", "TYPE", "NAME", "CPU%", "RUNS/S", "AVG NS", "TOTAL TIME", "PIDS")


def iso_time(epoch):
    """ISO 8601 in UTC with milliseconds: 2026-11-27T00:51:02.123Z."""
    seconds = int(epoch)
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)),
                         int((epoch - seconds) * 1000))


def stats_text(state):
    if not state.enabled:
        return ("statistics off: run time is not counted (kernel.bpf_stats_enabled is 0 and "
                "--no-enable-stats was given)")
    if state.by == "bpfinspect":
        return "statistics on: switched on by bpfinspect while it runs (BPF_ENABLE_STATS)"
    return "statistics on: kernel.bpf_stats_enabled is 1"


def run_time_text(ns):
    return "%.6f s" % (ns / 1e9)


def pids_cell(pids):
    return ",".join("%s(%d)" % (safe(o.comm), o.pid) for o in pids)


def avg_text(avg):
    return "-" if avg is None else str(avg)


def program_cells(r):
    return (str(r.id), safe(str(r.type)), safe(r.name), "%.2f" % r.cpu_pct,
            "%.1f" % r.runs_per_s, avg_text(r.avg_ns), run_time_text(r.run_time_ns_total),
            pids_cell(r.pids))


def header_lines(snap):
    cpu = sum(r.cpu_pct for r in snap.programs)
    runs = sum(r.runs_per_s for r in snap.programs)
    return ["bpfinspect prog top - %s, interval %.2f s" % (iso_time(snap.time), snap.interval_s),
            stats_text(snap.stats),
            "programs: %d, CPU: %.2f%% of one CPU, runs: %.1f/s"
            % (len(snap.programs), cpu, runs)]


def _table(header, rows, right):
    """Columns padded to their widest cell; `right` says which are right-aligned; the last
    column is not padded. One format string for every row: the table is redrawn every
    interval for every program."""
    widths = [max(map(len, column)) for column in zip(header, *rows)]
    last = len(widths) - 1
    fmt = "  ".join("%%%ds" % w if right[i] else ("%s" if i == last else "%%-%ds" % w)
                    for i, w in enumerate(widths))
    return [(fmt % tuple(row)).rstrip() for row in [header] + rows]


def snapshot_text(snap):
    lines = header_lines(snap) + [""]
    rows = snap.programs
    # column by column: this runs every interval for every program
    columns = [
        [str(r[0]) for r in rows],
        [safe(str(r[1])) for r in rows],
        [safe(r[2]) for r in rows],
        ["%.2f" % r[10] for r in rows],
        ["%.1f" % r[9] for r in rows],
        ["-" if r[8] is None else str(r[8]) for r in rows],
        ["%.6f s" % (r[7] / 1e9) for r in rows],
        [pids_cell(r[12]) if r[12] else "" for r in rows],
    ]
    lines += _table(list(COLUMNS), list(zip(*columns)),
                    (True, False, False, True, True, True, True, False))
    lines.append("")
    lines += _table(["TYPE", "PROGS", "CPU%", "RUNS/S"],
                    [[safe(t.type), str(t.programs), "%.2f" % t.cpu_pct,
                      "%.1f" % (t.run_cnt / snap.interval_s)] for t in snap.types],
                    (False, True, True, True))
    return "\n".join(lines) + "\n\n"


def program_json(r):
    d = {"id": r.id, "type": r.type, "name": r.name, "tag": r.tag, "run_cnt": r.run_cnt,
         "run_time_ns": r.run_time_ns, "run_cnt_total": r.run_cnt_total,
         "run_time_ns_total": r.run_time_ns_total, "avg_ns": r.avg_ns,
         "runs_per_s": round(r.runs_per_s, 3), "cpu_pct": round(r.cpu_pct, 4),
         "recursion_misses": r.recursion_misses,
         "pids": [{"pid": o.pid, "comm": o.comm} for o in r.pids]}
    return d


def snapshot_json(snap):
    return {"time": iso_time(snap.time), "interval_s": round(snap.interval_s, 6),
            "stats_enabled": snap.stats.enabled, "stats_enabled_by": snap.stats.by,
            "programs": [program_json(r) for r in snap.programs],
            "types": [{"type": t.type, "programs": t.programs, "run_cnt": t.run_cnt,
                       "run_time_ns": t.run_time_ns, "cpu_pct": round(t.cpu_pct, 4)}
                      for t in snap.types]}


def write_text(out, snapshots):
    for snap in snapshots:
        out.write(snapshot_text(snap))
        out.flush()


def write_json(stream, snapshots):
    for snap in snapshots:
        stream.line(snapshot_json(snap))
        stream.out.flush()
