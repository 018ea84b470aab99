# bpfinspect: `make run` shows the live kernel's programs, `make test` runs the test suite,
# `make bench` times bpfinspect against bpftool, `make stress` runs the stress suite
# (tests/stress/run.py; STRESS_ARGS=--short for CI's short form). All set up what they need.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
DEBIAN_PACKAGES := bpftool clang bpftrace graphviz libbpf1 libbpf-dev linux-libc-dev util-linux binutils iproute2 tmux prometheus
STAMP := $(VENV)/.installed

.PHONY: run test test-unit stress bench docs check-root deps mounts clean

$(VPY):
	$(PYTHON) -m venv $(VENV)

# A regular (not editable) install: an editable one costs every command ~10 ms of start-up.
# Tests and the bench run `python -m bpfinspect` from the source tree; the installed copy
# (for `make run` and the command, bin/bpfinspect) is refreshed whenever a source file changes.
$(STAMP): $(VPY) pyproject.toml bin/bpfinspect $(shell find bpfinspect -name '*.py')
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q '.[test]'
	rm -rf build
	touch $(STAMP)

check-root:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "bpfinspect reads BPF objects through bpf(2), which needs root (CAP_SYS_ADMIN): run 'sudo make $(MAKECMDGOALS)'" >&2; \
		exit 1; \
	fi

# Debian packages the tests need, installed only when one is missing.
deps: check-root
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

mounts: check-root
	@mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	@mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	@mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug || true

run: check-root $(STAMP)
	@dpkg-query -W -f='$${Status}' libbpf1 2>/dev/null | grep -q "install ok installed" || \
		ls /usr/lib*/libbpf.so.1 /usr/lib/*/libbpf.so.1 >/dev/null 2>&1 || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbpf1; }
	$(VENV)/bin/bpfinspect prog show

test: deps mounts $(STAMP)
	$(VPY) -m pytest -ra

# the tests that need nothing: no root, bpffs, clang, bpftool or bpftrace (any user, < 20 s)
test-unit: $(STAMP)
	$(VPY) -m pytest -q -p no:cacheprovider tests/unit

# bad input, churn, hostile names, signals, fuzz, read-only: one table of figures, status 1 on
# any failure (issue 12)
STRESS_ARGS ?=
stress: deps mounts $(STAMP)
	$(VPY) tests/stress/run.py $(STRESS_ARGS)

# BENCH_JSON=FILE also writes the table as JSON; BENCH_ONLY=WORD times the commands naming
# WORD; BPFTOOL_NEWEST=/path/to/bpftool adds the newest bpftool's column
bench: deps mounts $(STAMP)
	BENCH_JSON="$(BENCH_JSON)" $(VPY) tests/perf/bench.py

docs: $(STAMP)
	$(VPY) tools/gen_docs.py

clean:
	rm -rf $(VENV) build *.egg-info
