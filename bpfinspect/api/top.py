"""What programs cost, interval by interval: the figures of `prog top`, its headless
snapshots and the exporter.

Statistics are the one thing bpfinspect switches on in the kernel: while a `Statistics` is
open it holds a BPF_ENABLE_STATS file descriptor (unless kernel.bpf_stats_enabled was already
1, or the caller asked not to), so run-time counting stops when bpfinspect exits, however it
exits."""

import time

from bpfinspect import model
from bpfinspect.kernel import procfs, stats


class Statistics:
    """Run-time statistics for the life of a `with` block. enable=False never switches them
    on: the counters then show what the kernel already counts."""

    def __init__(self, enable=True):
        self._enable = enable
        self._fd = None
        self.state = model.StatsState(enabled=False, by=None)

    def __enter__(self):
        already = stats.sysctl_enabled()
        if already:
            self.state = model.StatsState(enabled=True, by="sysctl")
        elif self._enable:
            self._fd = stats.enable_run_time_stats()
            self.state = model.StatsState(enabled=True, by="bpfinspect")
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._fd is not None:
            stats.close_fd(self._fd)
            self._fd = None


class Sampler:
    """Successive snapshots of every program's counters; `next()` gives the rates over the
    time since the previous one. pids: look up the processes holding each program, by a
    /proc walk that is repeated only after 20 times its own duration has passed (on a host
    with many processes it would otherwise cost more than the counters)."""

    def __init__(self, state, pids=True):
        self.state = state
        self._reader = stats.CounterReader()
        self._pids = pids
        self._pids_every = 0.0
        self._owners = {}
        self._owners_at = None
        self._prev = None
        self._prev_at = None

    def start(self):
        """The first reading: counters now, against which the first interval is measured."""
        self._prev = {c.id: c for c in self._reader.read()}
        self._prev_at = time.monotonic()

    def next(self):
        """A TopSnapshot of the interval since the previous reading (or start())."""
        if self._prev is None:
            self.start()
        counters = self._reader.read()
        now = time.monotonic()
        wall = time.time()
        interval = max(now - self._prev_at, 1e-9)
        owners = self._owners_now(now)
        rates = []
        for c in counters:
            before = self._prev.get(c.id)
            if before is not None and before.tag == c.tag:
                cnt = c.run_cnt - before.run_cnt
                ns = c.run_time_ns - before.run_time_ns
            else:  # loaded during the interval: all it counted, it counted in it
                cnt, ns = c.run_cnt, c.run_time_ns
            cnt, ns = max(cnt, 0), max(ns, 0)
            rates.append(model.ProgRate(
                id=c.id, type=c.type, name=c.name, tag=c.tag, run_cnt=cnt, run_time_ns=ns,
                run_cnt_total=c.run_cnt, run_time_ns_total=c.run_time_ns,
                avg_ns=ns // cnt if cnt else None, runs_per_s=cnt / interval,
                cpu_pct=ns / (interval * 1e7), recursion_misses=c.recursion_misses,
                pids=tuple(model.Owner(pid, comm) for pid, comm in owners.get(c.id, ()))))
        self._prev = {c.id: c for c in counters}
        self._prev_at = now
        rates.sort(key=lambda r: (-r.run_time_ns, -r.run_cnt, r.id))
        return model.TopSnapshot(time=wall, interval_s=interval, stats=self.state,
                                 programs=tuple(rates), types=type_totals(rates))

    def _owners_now(self, now):
        if not self._pids:
            return {}
        if self._owners_at is None or now - self._owners_at >= self._pids_every:
            self._owners = procfs.owners("prog")
            self._owners_at = time.monotonic()
            self._pids_every = 20 * (self._owners_at - now)
        return self._owners


def type_totals(rates):
    """TypeTotal per program type, busiest first."""
    totals = {}
    for r in rates:
        key = str(r.type)
        n, cnt, ns, pct = totals.get(key, (0, 0, 0, 0.0))
        totals[key] = (n + 1, cnt + r.run_cnt, ns + r.run_time_ns, pct + r.cpu_pct)
    out = [model.TypeTotal(type=k, programs=v[0], run_cnt=v[1], run_time_ns=v[2], cpu_pct=v[3])
           for k, v in totals.items()]
    out.sort(key=lambda t: (-t.run_time_ns, -t.run_cnt, t.type))
    return tuple(out)


def details(prog_id):
    """(maps, links) of the program `prog_id`: the map records it uses and the links that
    attach it; empty when it is gone."""
    from bpfinspect.api import listing
    from bpfinspect.errors import NoSuchObject

    try:
        program = listing.one("prog", model.Selector(by="id", value=prog_id), pids=False,
                              metadata=False)
    except NoSuchObject:
        return (), ()
    maps = []
    for map_id in program.map_ids:
        try:
            maps += listing.selected_records("map", model.Selector(by="id", value=map_id),
                                             pids=False)
        except NoSuchObject:
            continue
    links = [item for item in listing.iter_records("link", pids=False)
             if item.prog_id == prog_id]
    return tuple(maps), tuple(links)
