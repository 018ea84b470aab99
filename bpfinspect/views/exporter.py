"""`exporter`'s metrics, from one reading of the kernel (api.exporter.Reading): as the
families of the official client library (prometheus_client, imported by families() alone),
and as the text exposition format, written straight from the records: byte for byte what the
library's generate_latest() writes for those families (a test holds them equal), without
building 10,000 Sample objects and formatting them one by one, which costs more than reading
the kernel (a scrape of 1,000 programs and 1,000 maps has 100 ms).

Per-object metrics carry one label, `id`; what identifies an object otherwise (name, type,
tag) is in its info metric, whose value is always 1, to be joined on `id`:

    rate(bpf_program_run_time_seconds_total[1m]) * on(id) group_left(name, type)
        bpf_program_info

(Prometheus' recommendation for labels that would otherwise multiply every series.)"""

import math
import time

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# (name, type, help); the order in which they are written
_RUN_HELP = ", while run-time statistics were on (kernel.bpf_stats_enabled)"
PROGRAM_METRICS = (
    ("bpf_program_info", "gauge", "A loaded BPF program; always 1"),
    ("bpf_program_run_time_seconds", "counter", "Time the program has run" + _RUN_HELP),
    ("bpf_program_runs", "counter", "Times the program has run" + _RUN_HELP),
    ("bpf_program_recursion_misses", "counter",
     "Times the program was not run because it would have recursed"),
    ("bpf_program_memlock_bytes", "gauge", "Memory the program accounts to the memlock limit"),
    ("bpf_program_xlated_bytes", "gauge",
     "Size of the program's translated (verified) instructions"),
    ("bpf_program_jited_bytes", "gauge",
     "Size of the program's JIT-compiled machine code; 0 when not JIT-compiled"),
    ("bpf_programs", "gauge", "Loaded BPF programs, by type"),
)
MAP_METRICS = (
    ("bpf_map_info", "gauge", "A BPF map; always 1"),
    ("bpf_map_memlock_bytes", "gauge", "Memory the map accounts to the memlock limit"),
    ("bpf_map_max_entries", "gauge", "The map's maximum number of entries"),
    ("bpf_maps", "gauge", "BPF maps, by type"),
)
LINK_METRICS = (
    ("bpf_link_info", "gauge", "A BPF link and the program it attaches; always 1"),
    ("bpf_links", "gauge", "BPF links, by type"),
)
STATS_HELP = ("1 while the kernel counts programs' run time and runs: kernel.bpf_stats_enabled "
              "is 1, or the exporter holds a BPF_ENABLE_STATS fd (another process's fd is not "
              "seen)")
ERROR_HELP = "1 when this scrape could not read the objects of this kind"
DURATION_HELP = "How long this scrape took to read the kernel and build its metrics"


def label(value):
    """A label value: text, with bytes that are not UTF-8 (kept by bpfinspect as surrogate
    escapes) written as \\xNN, since the exposition format is UTF-8."""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _escaped(value):
    """A label value as the text format writes it between quotes."""
    text = label(value)
    if "\\" in text or "\n" in text or '"' in text:
        text = text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return text


def go_float(value):
    """A sample value as the Prometheus client libraries write it (Go's formatting: 300.0,
    1.2345678e+07)."""
    d = float(value)
    if math.isinf(d):
        return "+Inf" if d > 0 else "-Inf"
    if math.isnan(d):
        return "NaN"
    s = repr(d)
    dot = s.find(".")
    if d > 0 and dot > 6:
        mantissa = ("%s.%s%s" % (s[0], s[1:dot], s[dot + 1:])).rstrip("0.")
        return "%se+%02d" % (mantissa, dot - 1)
    return s


def _counts(items):
    counts = {}
    for item in items:
        key = label(item.type)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


def _program_rows(p):
    """The values of PROGRAM_METRICS[1:7] for one program: run time in seconds, runs,
    recursion misses, memlock, xlated and jited bytes (None: no sample)."""
    return (p.run_time_ns * 1e-9, p.run_cnt, p.recursion_misses, p.bytes_memlock,
            p.bytes_xlated, p.bytes_jited)


def families(r):
    """prometheus_client metric families of a Reading."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    def family(name, kind, text, labels=None, value=None):
        cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
        return cls(name, text, labels=labels, value=value)

    out = []
    if r.progs is not None:
        info = family(*PROGRAM_METRICS[0], labels=("id", "name", "type", "tag"))
        per_id = [family(*m, labels=("id",)) for m in PROGRAM_METRICS[1:7]]
        for p in r.progs:
            pid = str(p.id)
            info.add_metric((pid, label(p.name), label(p.type), p.tag), 1)
            for fam, value in zip(per_id, _program_rows(p)):
                if value is not None:
                    fam.add_metric((pid,), value)
        counts = family(*PROGRAM_METRICS[7], labels=("type",))
        for key, n in _counts(r.progs):
            counts.add_metric((key,), n)
        out += [info] + per_id + [counts]
    if r.maps is not None:
        info = family(*MAP_METRICS[0], labels=("id", "name", "type"))
        memlock = family(*MAP_METRICS[1], labels=("id",))
        entries = family(*MAP_METRICS[2], labels=("id",))
        for m in r.maps:
            mid = str(m.id)
            info.add_metric((mid, label(m.name), label(m.type)), 1)
            if m.bytes_memlock is not None:
                memlock.add_metric((mid,), m.bytes_memlock)
            entries.add_metric((mid,), m.max_entries)
        counts = family(*MAP_METRICS[3], labels=("type",))
        for key, n in _counts(r.maps):
            counts.add_metric((key,), n)
        out += [info, memlock, entries, counts]
    if r.links is not None:
        info = family(*LINK_METRICS[0], labels=("id", "type", "prog_id"))
        for k in r.links:
            info.add_metric((str(k.id), label(k.type), str(k.prog_id)), 1)
        counts = family(*LINK_METRICS[1], labels=("type",))
        for key, n in _counts(r.links):
            counts.add_metric((key,), n)
        out += [info, counts]
    out.append(family("bpf_stats_enabled", "gauge", STATS_HELP, value=1 if r.enabled else 0))
    errors = family("bpf_exporter_scrape_error", "gauge", ERROR_HELP, labels=("kind",))
    for kind, got in (("prog", r.progs), ("map", r.maps), ("link", r.links)):
        errors.add_metric((kind,), 0 if got is not None else 1)
    out.append(errors)
    out.append(family("bpf_exporter_scrape_duration_seconds", "gauge", DURATION_HELP,
                      value=time.perf_counter() - r.started))
    return out


def _head(out, name, kind, text):
    exposed = name + "_total" if kind == "counter" else name
    out.append("# HELP %s %s\n# TYPE %s %s\n" % (exposed, text, exposed, kind))
    return exposed


def text(r):
    """A Reading in the text exposition format, as generate_latest() writes its families:
    label names sorted, values in Go's float format."""
    out = []
    if r.progs is not None:
        name = _head(out, *PROGRAM_METRICS[0])
        out += ['%s{id="%d",name="%s",tag="%s",type="%s"} 1.0\n'
                % (name, p.id, _escaped(p.name), p.tag, _escaped(p.type)) for p in r.progs]
        rows = [(p.id, _program_rows(p)) for p in r.progs]
        for i, metric in enumerate(PROGRAM_METRICS[1:7]):
            name = _head(out, *metric)
            out += ['%s{id="%d"} %s\n' % (name, pid, go_float(values[i]))
                    for pid, values in rows if values[i] is not None]
        name = _head(out, *PROGRAM_METRICS[7])
        out += ['%s{type="%s"} %s\n' % (name, _escaped(k), go_float(n))
                for k, n in _counts(r.progs)]
    if r.maps is not None:
        name = _head(out, *MAP_METRICS[0])
        out += ['%s{id="%d",name="%s",type="%s"} 1.0\n'
                % (name, m.id, _escaped(m.name), _escaped(m.type)) for m in r.maps]
        name = _head(out, *MAP_METRICS[1])
        out += ['%s{id="%d"} %s\n' % (name, m.id, go_float(m.bytes_memlock))
                for m in r.maps if m.bytes_memlock is not None]
        name = _head(out, *MAP_METRICS[2])
        out += ['%s{id="%d"} %s\n' % (name, m.id, go_float(m.max_entries)) for m in r.maps]
        name = _head(out, *MAP_METRICS[3])
        out += ['%s{type="%s"} %s\n' % (name, _escaped(k), go_float(n))
                for k, n in _counts(r.maps)]
    if r.links is not None:
        name = _head(out, *LINK_METRICS[0])
        out += ['%s{id="%d",prog_id="%d",type="%s"} 1.0\n'
                % (name, k.id, k.prog_id, _escaped(k.type)) for k in r.links]
        name = _head(out, *LINK_METRICS[1])
        out += ['%s{type="%s"} %s\n' % (name, _escaped(k), go_float(n))
                for k, n in _counts(r.links)]
    _head(out, "bpf_stats_enabled", "gauge", STATS_HELP)
    out.append("bpf_stats_enabled %s\n" % ("1.0" if r.enabled else "0.0"))
    _head(out, "bpf_exporter_scrape_error", "gauge", ERROR_HELP)
    for kind, got in (("prog", r.progs), ("map", r.maps), ("link", r.links)):
        out.append('bpf_exporter_scrape_error{kind="%s"} %s\n'
                   % (kind, "0.0" if got is not None else "1.0"))
    _head(out, "bpf_exporter_scrape_duration_seconds", "gauge", DURATION_HELP)
    out.append("bpf_exporter_scrape_duration_seconds %s\n"
               % go_float(time.perf_counter() - r.started))
    return "".join(out).encode("utf-8")
