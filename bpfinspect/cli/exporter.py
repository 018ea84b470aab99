"""`exporter`: Prometheus metrics of every BPF program, map and link, read from the kernel at
each scrape; served over HTTP (--listen, 127.0.0.1:9436 by default), and/or written every
--interval seconds to a file for node_exporter's textfile collector (--textfile). Runs until
Ctrl-C or SIGTERM (then exit status 0), holding run-time statistics on meanwhile."""

import os
import signal
import socket
import sys
import threading

import click

from bpfinspect.cli import common
from bpfinspect.errors import BpfError, UsageError, from_errno

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9436
DEFAULT_INTERVAL = 15.0  # seconds between --textfile writes: Prometheus' default scrape interval

USAGE = (
    "Usage: bpfinspect exporter [--listen ADDR:PORT] [--textfile FILE [--interval SECONDS]]\n",
    "                           [--no-enable-stats]\n",
    "\n",
    "       ADDR:PORT := { HOST:PORT | [IPV6]:PORT | :PORT }  (default %s:%d)\n"
    % (DEFAULT_HOST, DEFAULT_PORT),
)


def parse_listen(text):
    """(host, port) of `ADDR:PORT`, `[V6ADDR]:PORT` or `:PORT` (loopback)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise UsageError("invalid listen address '%s': expected ADDR:PORT, [IPV6]:PORT or "
                         ":PORT" % text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise UsageError("invalid listen address '%s': an IPv6 address goes in brackets, "
                         "[ADDR]:PORT" % text)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError("invalid port '%s' in listen address '%s': 1 to 65535" % (port, text))
    return host or DEFAULT_HOST, int(port)


def _check_textfile(path):
    if not path:
        raise UsageError("invalid textfile path: empty")
    if os.path.isdir(path):
        raise BpfError("can't write textfile %s: Is a directory" % path)


def _report(message):
    sys.stdout.flush()
    sys.stderr.write("Error: %s\n" % message)
    sys.stderr.flush()


@click.command("exporter", context_settings=common.COMMAND_SETTINGS,
               help="Prometheus metrics of every program, map and link, read from the kernel "
                    "at each scrape: served at --listen ADDR:PORT (default 127.0.0.1:9436), "
                    "and/or written every --interval seconds (default 15) to --textfile FILE "
                    "for node_exporter's textfile collector (written beside it, then renamed). "
                    "Switches run-time statistics on (BPF_ENABLE_STATS) while it runs, unless "
                    "--no-enable-stats. Runs until Ctrl-C or SIGTERM.")
@click.argument("words", metavar="", **common.WORDS)
def exporter(words):
    if words:
        raise common.ShowUsage(USAGE)
    r = common.run()
    if r.options.json:
        raise UsageError("the exporter writes Prometheus' text format, not JSON: drop -j")
    given = r.options.command_options
    from bpfinspect.cli.top import Settings

    settings = Settings(r.options, default_interval=DEFAULT_INTERVAL)
    textfile = given.get("textfile")
    if "interval" in given and textfile is None:
        raise UsageError("option '--interval' is for '--textfile' (Prometheus chooses when "
                         "it scrapes)")
    listen = None
    if "listen" in given or textfile is None:
        listen = parse_listen(given.get("listen", "%s:%d" % (DEFAULT_HOST, DEFAULT_PORT)))
    if textfile is not None:
        _check_textfile(textfile)

    from bpfinspect.api import exporter as api
    from bpfinspect.api.top import Statistics

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    with Statistics(settings.enable_stats) as statistics:
        _registry, collector = api.registry(statistics.state, on_error=_report)
        collector.text()  # fail now, clearly, rather than at the first scrape
        if collector.errors:
            raise BpfError(collector.errors[0])
        if textfile is not None:
            _write(api, collector, textfile)  # the first write tells whether it can write
        server = None
        if listen is not None:
            server = _serve(api, collector, *listen)
        # Ctrl-C, SIGTERM and SIGHUP end it between writes, never midway through one (a
        # Ctrl-C that the parent ignores stays ignored)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, on_signal)
        try:
            while not stop.wait(settings.interval if textfile is not None else 3600):
                if textfile is not None:
                    try:
                        _write(api, collector, textfile)
                    except BpfError as exc:  # a full disk may empty: report and go on
                        _report(exc.message)
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()


def _serve(api, collector, host, port):
    where = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    try:
        return api.serve(collector, host, port)
    except socket.gaierror as exc:
        raise BpfError("can't listen on %s: %s" % (where, exc.strerror)) from None
    except OSError as exc:
        raise from_errno(exc.errno, "can't listen on %s" % where) from None


def _write(api, collector, path):
    try:
        api.write_textfile(collector, path)
    except OSError as exc:
        if exc.errno is None:
            raise BpfError("can't write textfile %s: %s" % (path, exc)) from None
        raise from_errno(exc.errno, "can't write textfile %s" % path) from None
