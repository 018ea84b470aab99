"""`prog top`: what programs cost, interval by interval. On a terminal a live table (keys
to sort, filter and look into a program); otherwise, or with --count, one snapshot per
interval as text or JSON Lines, like `top -b`."""

import math
import signal
import sys
import time

from bpfinspect.cli import common
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect prog top [--interval SECONDS] [--count N] [--no-enable-stats]\n",
)


def parse_interval(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value <= 86400):
        raise UsageError("invalid interval '%s': seconds, more than 0 and at most 86400" % text)
    return value


def parse_count(text):
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError("invalid count '%s': a whole number of snapshots, at least 1" % text)
    return value


class Settings:
    """What `prog top` (and the exporter, for interval and statistics) was asked for."""

    def __init__(self, options, default_interval=1.0):
        given = options.command_options
        self.interval = (parse_interval(given["interval"]) if "interval" in given
                         else default_interval)
        self.count = parse_count(given["count"]) if "count" in given else None
        self.enable_stats = "no-enable-stats" not in given


def snapshots(sampler, interval, count):
    """A TopSnapshot every `interval` seconds (on a fixed schedule), `count` of them or
    until stopped."""
    sampler.start()
    due = time.monotonic()
    done = 0
    while count is None or done < count:
        due += interval
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:  # a refresh took longer than the interval: start the schedule again
            due = time.monotonic()
        yield sampler.next()
        done += 1


def top(words):
    if words:
        raise common.ShowUsage(USAGE)
    r = common.run()
    settings = Settings(r.options)
    live = (settings.count is None and not r.options.json and _is_terminal(sys.stdout)
            and _has_keyboard())
    from bpfinspect.api import top as api_top

    import gc

    # everything imported so far lives as long as the command: keep the collector from
    # walking it at every full collection while the refreshes allocate their rows
    gc.collect()
    gc.freeze()
    with api_top.Statistics(settings.enable_stats) as statistics:
        # on the terminal, who holds a program changes rarely: look every 5 s at most
        sampler = api_top.Sampler(statistics.state, pids_every=5.0 if live else 0.0,
                                  ordered=not live)
        if live:
            from bpfinspect.cli import toplive

            toplive.run(sampler, settings.interval)
            return
        try:
            r.output.document("top", snapshots(sampler, settings.interval, settings.count))
        except KeyboardInterrupt:  # Ctrl-C ends the stream; what was written is whole
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _has_keyboard():
    """The live view reads keys from stdin when it is a terminal, else from /dev/tty."""
    import os

    if _is_terminal(sys.stdin):
        return True
    try:
        os.close(os.open("/dev/tty", os.O_RDONLY))
    except OSError:
        return False
    return True


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
