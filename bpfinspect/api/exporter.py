"""Prometheus metrics of every BPF program, map and link, read from the kernel when they are
scraped. `Collector` is a collector for the official client library (prometheus_client,
imported only when an exporter is made, so that no other command pays for it): collect()
gives the library's metric families, for any registry; bpfinspect's own server and textfile
write the same reading as text (views/exporter.py formats both)."""

import threading
import time

from bpfinspect.errors import BpfError, LibraryMissing
from bpfinspect.kernel import census, stats
from bpfinspect.views import exporter as view


def client():
    """The prometheus_client package, or LibraryMissing saying how to get it."""
    try:
        import prometheus_client
    except ImportError:
        raise LibraryMissing("the exporter needs the prometheus_client package "
                             "(pip install prometheus-client)") from None
    return prometheus_client


class Reading:
    """What one scrape read: records of each kind (None where a kind failed), the messages of
    what failed, whether statistics are on, and when the scrape started."""

    def __init__(self, progs, maps, links, failed, enabled, started):
        self.progs = progs
        self.maps = maps
        self.links = links
        self.failed = failed
        self.enabled = enabled
        self.started = started


class Collector:
    """Reads every program, map and link at scrape time, one scrape at a time (the readers
    keep buffers and caches between scrapes). collect(): prometheus_client's metric families;
    text(): the same, in the text exposition format."""

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
            return view.families(self._reading())

    def text(self):
        """The scrape as the text exposition format (bytes)."""
        with self._lock:
            return view.text(self._reading())

    def _reading(self):
        started = time.perf_counter()
        failed = []
        progs = self._read(self._progs, failed)
        maps = self._read(self._maps, failed)
        links = self._read(self._links, failed)
        # the sysctl does not show BPF_ENABLE_STATS fds: ours is known, others' are not
        enabled = bool((self._state is not None and self._state.by == "bpfinspect")
                       or stats.sysctl_enabled())
        if failed and failed != self.errors and self._on_error is not None:
            for message in failed:  # once, not at every scrape while it lasts
                self._on_error(message)
        self.errors = failed
        return Reading(progs, maps, links, failed, enabled, started)

    @staticmethod
    def _read(reader, failed):
        try:
            return reader.read()
        except BpfError as exc:
            failed.append(exc.message)
            return None


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


def serve(collector, host, port):
    """Serve the collector's text at http://host:port/ (any path) from a daemon thread;
    returns the server (shutdown() and server_close() stop it). OSError when it cannot
    listen."""
    import http.server
    import socket

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = collector.text()
            self.send_response(200)
            self.send_header("Content-Type", view.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # no line per scrape on stderr
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_textfile(collector, path):
    """Write the scrape to `path` in the text format node_exporter's textfile collector
    reads: into a temporary file beside it, then renamed over it. OSError on failure (the
    temporary file is then removed)."""
    import os

    body = collector.text()
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "wb") as f:
            f.write(body)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
