"""Prometheus metrics of every BPF program, map and link, read from the kernel when they are
scraped: a collector for the official client library (prometheus_client, imported here only,
when an exporter is made, so that no other command pays for it).

Per-object metrics carry one label, `id`; what identifies an object otherwise (name, type,
tag) is in its info metric, whose value is always 1, to be joined on `id`:

    rate(bpf_program_run_time_seconds_total[1m]) * on(id) group_left(name, type)
        bpf_program_info

(Prometheus' recommendation for labels that would otherwise multiply every series.)"""

import threading
import time

from bpfinspect.errors import BpfError, LibraryMissing
from bpfinspect.kernel import census, stats


def client():
    """The prometheus_client package, or LibraryMissing saying how to get it."""
    try:
        import prometheus_client
    except ImportError:
        raise LibraryMissing("the exporter needs the prometheus_client package "
                             "(pip install prometheus-client)") from None
    return prometheus_client

# (metric name without _total, help, attribute of model.ProgCounters, scale); counters
_PROG_COUNTERS = (
    ("bpf_program_run_time_seconds",
     "Time the program has run, while run-time statistics were on (kernel.bpf_stats_enabled)",
     "run_time_ns", 1e-9),
    ("bpf_program_runs",
     "Times the program has run, while run-time statistics were on (kernel.bpf_stats_enabled)",
     "run_cnt", 1),
    ("bpf_program_recursion_misses",
     "Times the program was not run because it would have recursed", "recursion_misses", 1),
)
# (metric name, help, attribute); gauges of bytes
_PROG_SIZES = (
    ("bpf_program_memlock_bytes", "Memory the program accounts to the memlock limit",
     "bytes_memlock"),
    ("bpf_program_xlated_bytes", "Size of the program's translated (verified) instructions",
     "bytes_xlated"),
    ("bpf_program_jited_bytes", "Size of the program's JIT-compiled machine code; 0 when not "
     "JIT-compiled", "bytes_jited"),
)


def label(value):
    """A label value: text, with bytes that are not UTF-8 (kept by bpfinspect as surrogate
    escapes) written as \\xNN, since the exposition format is UTF-8."""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


class Collector:
    """A prometheus_client collector: collect() reads every program, map and link at scrape
    time (one scrape at a time: the readers keep buffers and caches between scrapes)."""

    def __init__(self, state=None, on_error=None):
        self._state = state  # model.StatsState: whether bpfinspect holds statistics on
        self._on_error = on_error  # called with the message when a kind cannot be read
        self._progs = stats.CounterReader(memlock=True)
        self._maps = census.MapReader()
        self._links = census.LinkReader()
        self._lock = threading.Lock()
        self.errors = []  # what the last scrape could not read (messages)

    def describe(self):
        return []  # no fixed set of names to check against other collectors: it is alone

    def collect(self):
        with self._lock:
            return self._collect()

    def _read(self, reader, failed):
        try:
            return reader.read()
        except BpfError as exc:
            failed.append(exc.message)
            return None

    def _collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        start = time.perf_counter()
        failed = []
        progs = self._read(self._progs, failed)
        maps = self._read(self._maps, failed)
        links = self._read(self._links, failed)
        # the sysctl does not show BPF_ENABLE_STATS fds: ours is known, others' are not
        enabled = ((self._state is not None and self._state.by == "bpfinspect")
                   or stats.sysctl_enabled())
        out = []
        if progs is not None:
            info = GaugeMetricFamily("bpf_program_info", "A loaded BPF program; always 1",
                                     labels=("id", "name", "type", "tag"))
            counters = [(CounterMetricFamily(name, text, labels=("id",)), attr, scale)
                        for name, text, attr, scale in _PROG_COUNTERS]
            sizes = [(GaugeMetricFamily(name, text, labels=("id",)), attr)
                     for name, text, attr in _PROG_SIZES]
            for p in progs:
                pid = str(p.id)
                info.add_metric((pid, label(p.name), label(p.type), p.tag), 1)
                for family, attr, scale in counters:
                    family.add_metric((pid,), getattr(p, attr) * scale)
                for family, attr in sizes:
                    value = getattr(p, attr)
                    if value is not None:
                        family.add_metric((pid,), value)
            out.append(info)
            out.extend(f for f, _a, _s in counters)
            out.extend(f for f, _a in sizes)
            out.append(_per_type("bpf_programs", "Loaded BPF programs, by type", progs))
        if maps is not None:
            info = GaugeMetricFamily("bpf_map_info", "A BPF map; always 1",
                                     labels=("id", "name", "type"))
            memlock = GaugeMetricFamily("bpf_map_memlock_bytes",
                                        "Memory the map accounts to the memlock limit",
                                        labels=("id",))
            entries = GaugeMetricFamily("bpf_map_max_entries", "The map's maximum number of "
                                        "entries", labels=("id",))
            for m in maps:
                mid = str(m.id)
                info.add_metric((mid, label(m.name), label(m.type)), 1)
                if m.bytes_memlock is not None:
                    memlock.add_metric((mid,), m.bytes_memlock)
                entries.add_metric((mid,), m.max_entries)
            out += [info, memlock, entries, _per_type("bpf_maps", "BPF maps, by type", maps)]
        if links is not None:
            info = GaugeMetricFamily("bpf_link_info", "A BPF link and the program it attaches; "
                                     "always 1", labels=("id", "type", "prog_id"))
            for k in links:
                info.add_metric((str(k.id), label(k.type), str(k.prog_id)), 1)
            out += [info, _per_type("bpf_links", "BPF links, by type", links)]
        out.append(GaugeMetricFamily(
            "bpf_stats_enabled", "1 while the kernel counts programs' run time and runs: "
            "kernel.bpf_stats_enabled is 1, or the exporter holds a BPF_ENABLE_STATS fd (another "
            "process's fd is not seen)",
            value=1 if enabled else 0))
        errors = GaugeMetricFamily("bpf_exporter_scrape_error", "1 when this scrape could not "
                                   "read the objects of this kind", labels=("kind",))
        for kind, got in (("prog", progs), ("map", maps), ("link", links)):
            errors.add_metric((kind,), 0 if got is not None else 1)
        out.append(errors)
        out.append(GaugeMetricFamily(
            "bpf_exporter_scrape_duration_seconds", "How long this scrape took to read the "
            "kernel and build its metrics", value=time.perf_counter() - start))
        if failed and failed != self.errors and self._on_error is not None:
            for message in failed:  # once, not at every scrape while it lasts
                self._on_error(message)
        self.errors = failed
        return out


def _per_type(name, text, items):
    from prometheus_client.core import GaugeMetricFamily

    counts = {}
    for item in items:
        key = label(item.type)
        counts[key] = counts.get(key, 0) + 1
    family = GaugeMetricFamily(name, text, labels=("type",))
    for key in sorted(counts):
        family.add_metric((key,), counts[key])
    return family


def registry(state=None, on_error=None):
    """A prometheus_client registry holding the exporter's collector alone (no process or
    platform metrics: they would describe bpfinspect's Python process, not BPF), and the
    collector."""
    client()
    from prometheus_client import CollectorRegistry

    collector = Collector(state, on_error)
    reg = CollectorRegistry(auto_describe=False)
    reg.register(collector)
    return reg, collector


def serve(registry, host, port):
    """Serve `registry` at http://host:port/metrics (any path) from a daemon thread; returns
    the server (its shutdown() stops it). OSError when it cannot listen."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, host, registry)
    return server


def write_textfile(registry, path):
    """Write `registry` to `path` in the text format node_exporter's textfile collector
    reads: into a temporary file beside it, then renamed over it. OSError on failure (the
    temporary file is then removed)."""
    from prometheus_client import write_to_textfile

    write_to_textfile(path, registry)
