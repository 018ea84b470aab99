"""The exporter's collector on hand-built records (no kernel): hostile names give valid
exposition text, and counters carry Prometheus' units."""

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bpfinspect import model
from bpfinspect.api import exporter
from bpfinspect.views import exporter as exporter_view


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


def test_text_is_what_the_library_writes():
    """Collector.text() (the server's and the textfile's) is generate_latest() of the
    collector's families, byte for byte, the scrape's duration aside."""
    name = 'q"u\\o\nte\udcff'
    registry, collector = exporter.registry(model.StatsState(enabled=False, by=None))
    collector._progs = _Fixed([
        model.ProgCounters(7, "xdp", name, "0011223344556677", 2_500_000_000, 10, 1, 16, 32,
                           4096, ()),
        model.ProgCounters(9, 99, "n", "ffeeddccbbaa9988", 12345678901, 123456789, 0, 8, 0,
                           None, ())])
    collector._maps = _Fixed([
        model.MapSummary(id=3, type="hash", name=name, max_entries=5, bytes_key=4,
                         bytes_value=8, bytes_memlock=None),
        model.MapSummary(id=4, type="array", name="a", max_entries=12345678, bytes_key=4,
                         bytes_value=8, bytes_memlock=8192)])
    collector._links = _Fixed([model.Link(id=4, type="tcx", type_number=13, prog_id=7)])

    def lines(text):
        return [x for x in text.decode().split("\n")
                if not x.startswith("bpf_exporter_scrape_duration_seconds ")]

    assert lines(collector.text()) == lines(generate_latest(registry))
    for value, text in ((0, "0.0"), (300, "300.0"), (2.5, "2.5"), (12345678, "1.2345678e+07"),
                        (float("inf"), "+Inf")):
        assert exporter_view.go_float(value) == text
