"""`exporter` against the kernel and a real Prometheus server: a program the test runs (with
BPF_PROG_TEST_RUN through `bpftool prog run`) is scraped over loopback, Prometheus' query
API returns its runs and a rate above 0; the exposition text, the textfile, and bad input."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.kernel import ROOT, bpfinspect, bpftool, need, need_root, run_prog, stats_held_elsewhere

STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def probe(bpffs):
    """(pin, id): a fresh socket filter named exp_probe (r0 = 0; exit)."""
    from tests import loader

    need_root()
    os.makedirs(os.path.join(bpffs, "exporter"), exist_ok=True)
    pin = os.path.join(bpffs, "exporter", "exp_probe_%d" % time.monotonic_ns())
    loader.load_and_pin(loader.return_zero(), pin,
                        "exp_probe")
    info = json.loads(bpftool("-j", "prog", "show", "pinned", pin).stdout)
    try:
        yield pin, info
    finally:
        os.unlink(pin)


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class Exporter:
    def __init__(self, *args):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bpfinspect", "exporter", "--listen",
             "127.0.0.1:%d" % self.port, *args], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.metrics()
                return
            except OSError:
                assert self.proc.poll() is None, self.proc.communicate()
                assert time.monotonic() < deadline, "the exporter never answered"
                time.sleep(0.1)

    def metrics(self):
        return _get("http://127.0.0.1:%d/metrics" % self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, err


def test_exposition_of_a_program(probe, tmp_path):
    pin, info = probe
    with open(STATS_SYSCTL) as f:
        need(f.read().strip() == "0", "kernel.bpf_stats_enabled is 1: runs before the test "
                                      "would count")
    exporter = Exporter()
    try:
        run_prog(pin, tmp_path, 300)
        text = exporter.metrics()
    finally:
        status = exporter.stop()
    assert status == (0, "", "")
    lines = text.split("\n")
    pid = info["id"]
    assert ('bpf_program_info{id="%d",name="exp_probe",tag="%s",type="socket_filter"} 1.0'
            % (pid, info["tag"])) in lines
    assert 'bpf_program_runs_total{id="%d"} 300.0' % pid in lines
    assert 'bpf_program_recursion_misses_total{id="%d"} 0.0' % pid in lines
    assert 'bpf_program_xlated_bytes{id="%d"} %d.0' % (pid, info["bytes_xlated"]) in lines
    assert 'bpf_program_jited_bytes{id="%d"} %d.0' % (pid, info["bytes_jited"]) in lines
    assert 'bpf_program_memlock_bytes{id="%d"} %d.0' % (pid, info["bytes_memlock"]) in lines
    run_time = [x for x in lines if x.startswith('bpf_program_run_time_seconds_total{id="%d"}'
                                                 % pid)]
    assert len(run_time) == 1 and float(run_time[0].split()[1]) > 0
    assert "# TYPE bpf_program_runs_total counter" in lines
    assert "bpf_stats_enabled 1.0" in lines
    assert any(x.startswith('bpf_programs{type="socket_filter"} ') for x in lines)
    duration = [x for x in lines if x.startswith("bpf_exporter_scrape_duration_seconds ")]
    assert len(duration) == 1 and 0 < float(duration[0].split()[1]) < 10
    assert 'bpf_exporter_scrape_error{kind="prog"} 0.0' in lines
    # statistics went off with the exporter: runs no longer count
    run_prog(pin, tmp_path, 10)
    after = json.loads(bpfinspect("-j", "prog", "show", "pinned", pin, check=0).stdout)
    if not stats_held_elsewhere():
        assert after["run_cnt"] == 300


def test_maps_and_links_are_exported(probe):
    from tests import loader

    fd = loader.create_map(loader.HASH, 4, 8, 77, name="exp_map")
    try:
        info = json.loads(bpftool("-j", "map", "show", "id", str(_map_id(fd))).stdout)
        exporter = Exporter("--no-enable-stats")
        try:
            lines = exporter.metrics().split("\n")
        finally:
            assert exporter.stop()[0] == 0
    finally:
        os.close(fd)
    mid = info["id"]
    assert 'bpf_map_info{id="%d",name="exp_map",type="hash"} 1.0' % mid in lines
    assert 'bpf_map_max_entries{id="%d"} 77.0' % mid in lines
    assert 'bpf_map_memlock_bytes{id="%d"} %d.0' % (mid, info["bytes_memlock"]) in lines
    assert any(x.startswith('bpf_maps{type="hash"} ') for x in lines)


def _map_id(fd):
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("map_id:"):
                return int(line.split()[1])
    raise AssertionError("no map_id in fdinfo")


def test_a_real_prometheus_scrapes_it(probe, tmp_path):
    """Prometheus (Debian's package), scraping the exporter every second on loopback: its
    query API returns the program's runs, and their rate is above 0."""
    pin, info = probe
    need(shutil.which("prometheus") is not None, "prometheus is not installed")
    exporter = Exporter()
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                      "scrape_configs:\n  - job_name: bpfinspect\n    static_configs:\n"
                      "      - targets: ['127.0.0.1:%d']\n" % exporter.port)
    server = subprocess.Popen(
        ["prometheus", "--config.file=%s" % config, "--storage.tsdb.path=%s" % (tmp_path / "db"),
         "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    api = "http://127.0.0.1:%d/api/v1/query?query=" % port
    try:
        runs = rate = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run_prog(pin, tmp_path, 200)
            time.sleep(0.5)
            try:
                runs = json.loads(_get(api + urllib.parse.quote(
                    'bpf_program_runs_total{id="%d"}' % info["id"])))
                rate = json.loads(_get(api + urllib.parse.quote(
                    'rate(bpf_program_runs_total{id="%d"}[5s])' % info["id"])))
            except OSError:
                assert server.poll() is None, server.communicate()
                continue
            if rate["status"] == "success" and rate["data"]["result"] and \
                    float(rate["data"]["result"][0]["value"][1]) > 0:
                break
        assert runs is not None and runs["status"] == "success", runs
        (series,) = runs["data"]["result"]
        assert series["metric"]["id"] == str(info["id"])
        assert series["metric"]["job"] == "bpfinspect"
        assert float(series["value"][1]) >= 200
        (series,) = rate["data"]["result"]
        assert float(series["value"][1]) > 0, rate
    finally:
        server.terminate()
        server.wait(timeout=30)
        status = exporter.stop()
    assert status == (0, "", "")


def test_textfile_written_atomically(probe, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    pin, info = probe
    target = tmp_path / "out" / "bpf.prom"
    target.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "bpfinspect", "exporter", "--textfile",
                             str(target), "--interval", "0.3"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not target.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        first = target.stat().st_mtime_ns
        while target.stat().st_mtime_ns == first:  # rewritten every interval
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert (proc.returncode, out, err) == (0, "", "")
    families = {f.name: f for f in text_string_to_metric_families(target.read_text())}
    assert {"bpf_program_info", "bpf_program_runs", "bpf_stats_enabled",
            "bpf_exporter_scrape_duration_seconds"} <= set(families)
    ids = {s.labels["id"] for s in families["bpf_program_info"].samples}
    assert str(info["id"]) in ids
    assert os.listdir(target.parent) == ["bpf.prom"]  # no temporary file left behind


@pytest.mark.parametrize("args,message", [
    (["--listen", "127.0.0.1:0x50"],
     "invalid port '0x50' in listen address '127.0.0.1:0x50': 1 to 65535"),
    (["--listen", "nowhere"],
     "invalid listen address 'nowhere': expected ADDR:PORT, [IPV6]:PORT or :PORT"),
    (["--listen", "::1:80"],
     "invalid listen address '::1:80': an IPv6 address goes in brackets, [ADDR]:PORT"),
    (["--interval", "5"],
     "option '--interval' is for '--textfile' (Prometheus chooses when it scrapes)"),
    (["--textfile", "/nonexistent/dir/bpf.prom"],
     "can't write textfile /nonexistent/dir/bpf.prom: No such file or directory"),
    (["--textfile", "/tmp/x.prom", "--interval", "0"],
     "invalid interval '0': seconds, more than 0 and at most 86400"),
    (["--count", "2"], "option '--count' is for 'prog top' only"),
])
def test_bad_input(args, message):
    need_root()
    proc = bpfinspect("exporter", *args, check=255)
    assert (proc.stdout, proc.stderr) == ("", "Error: %s\n" % message)


def test_port_in_use():
    need_root()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = bpfinspect("exporter", "--listen", "127.0.0.1:%d" % port, check=255)
    assert proc.stderr == "Error: can't listen on 127.0.0.1:%d: Address already in use\n" % port
