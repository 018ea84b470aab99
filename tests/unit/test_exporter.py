"""The exporter's collector on hand-built records (no kernel): hostile names give valid
exposition text, and counters carry Prometheus' units."""

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bpfinspect import model
from bpfinspect.api import exporter


class _Fixed:
    def __init__(self, items):
        self.items = items

    def read(self):
        return self.items


def test_hostile_names_give_valid_exposition():
    name = 'q"u\\o\nte\udcff'
    registry, collector = exporter.registry(model.StatsState(enabled=True, by="bpfinspect"))
    collector._progs = _Fixed([model.ProgCounters(
        7, "xdp", name, "0011223344556677", 2_500_000_000, 10, 1, 16, 32, 4096, ())])
    collector._maps = _Fixed([model.MapSummary(id=3, type=name, name=name, max_entries=5,
                                               bytes_key=4, bytes_value=8,
                                               bytes_memlock=None)])
    collector._links = _Fixed([model.Link(id=4, type="tcx", type_number=13, prog_id=7)])
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (info,) = families["bpf_program_info"].samples
    assert info.labels == {"id": "7", "name": 'q"u\\o\nte\\xff', "type": "xdp",
                           "tag": "0011223344556677"}
    (runs,) = families["bpf_program_runs"].samples
    assert (runs.name, runs.value) == ("bpf_program_runs_total", 10)
    (seconds,) = families["bpf_program_run_time_seconds"].samples
    assert (seconds.name, seconds.value) == ("bpf_program_run_time_seconds_total", 2.5)
    assert [s.labels["name"] for s in families["bpf_map_info"].samples] == ['q"u\\o\nte\\xff']
    assert families["bpf_map_memlock_bytes"].samples == []  # the kernel did not say
    (link,) = families["bpf_link_info"].samples
    assert link.labels == {"id": "4", "type": "tcx", "prog_id": "7"}
    assert families["bpf_stats_enabled"].samples[0].value == 1
    assert 'bpf_program_info{id="7",name="q\\"u\\\\o\\nte\\\\xff"' in text
