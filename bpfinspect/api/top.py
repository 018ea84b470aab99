"""What programs cost, interval by interval: the figures of `prog top`, its headless
snapshots and the exporter.

Statistics are the one thing bpfinspect switches on in the kernel: while a `Statistics` is
open it holds a BPF_ENABLE_STATS file descriptor (unless kernel.bpf_stats_enabled was already
1, or the caller asked not to), so run-time counting stops when bpfinspect exits, however it
exits."""

import time

from bpfinspect import model
from bpfinspect.kernel import owners as owners_lookup, stats


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
    with many processes it would otherwise cost more than the counters), and at most every
    `pids_every` seconds."""

    def __init__(self, state, pids=True, pids_every=0.0, ordered=True):
        self.state = state
        self._ordered = ordered  # busiest first, with totals per type (a live view sorts
        # and sums for itself)
        self._reader = stats.CounterReader()
        self._pids = pids
        self._pids_min = pids_every
        self._pids_every = pids_every
        self._owners = {}
        self._owners_at = None
        self._prev = None
        self._prev_at = None

    def start(self):
        """The first reading: counters now, against which the first interval is measured."""
        self._prev_at = time.monotonic()
        self._prev = {c.id: c for c in self._reader.read()}

    def next(self):
        """A TopSnapshot of the interval since the previous reading (or start())."""
        if self._prev is None:
            self.start()
        # each reading is timed where it starts, the moment the refresh was due: a slower
        # read (more programs, a busy host) does not shorten or stretch the next interval
        now = time.monotonic()
        wall = time.time()
        counters = self._reader.read()
        interval = max(now - self._prev_at, 1e-9)
        owners = self._owners_now(now)
        rates = []
        prev = self._prev
        per_pct = 1.0 / (interval * 1e7)
        rate_of = model.ProgRate
        for c in counters:  # ProgCounters, unpacked: this loop runs for every program
            prog_id, ptype, name, tag, ns_total, cnt_total, misses, _, _, _, _ = c
            before = prev.get(prog_id)
            if before is not None and before[3] == tag:
                cnt = cnt_total - before[5]
                ns = ns_total - before[4]
                if cnt < 0 or ns < 0:
                    cnt = ns = 0
            else:  # loaded during the interval: all it counted, it counted in it
                cnt, ns = cnt_total, ns_total
            rates.append(rate_of(prog_id, ptype, name, tag, cnt, ns, cnt_total, ns_total,
                                 ns // cnt if cnt else None, cnt / interval, ns * per_pct,
                                 misses, owners.get(prog_id, ())))
        self._prev = {c[0]: c for c in counters}
        self._prev_at = now
        if not self._ordered:
            return model.TopSnapshot(time=wall, interval_s=interval, stats=self.state,
                                     programs=tuple(rates), types=())
        rates.sort(key=lambda r: (-r[5], -r[4], r[0]))  # run time, runs, then id
        return model.TopSnapshot(time=wall, interval_s=interval, stats=self.state,
                                 programs=tuple(rates), types=type_totals(rates))

    def _owners_now(self, now):
        if not self._pids:
            return {}
        if self._owners_at is None or now - self._owners_at >= self._pids_every:
            self._owners = {prog_id: tuple(model.Owner(pid, comm) for pid, comm in found)
                            for prog_id, found in owners_lookup.owners("prog").items()}
            self._owners_at = time.monotonic()
            self._pids_every = max(self._pids_min, 20 * (self._owners_at - now))
        return self._owners


def type_totals(rates):
    """TypeTotal per program type, busiest first."""
    totals = {}
    for r in rates:
        key = str(r[1])
        n, cnt, ns, pct = totals.get(key, (0, 0, 0, 0.0))
        totals[key] = (n + 1, cnt + r[4], ns + r[5], pct + r[10])
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
