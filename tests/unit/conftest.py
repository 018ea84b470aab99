"""Fixtures for the tests that need nothing: no root, no bpffs, no clang, no bpftool, no
bpftrace, no loaded kernel object. They run as any user (`python -m pytest tests/unit`).

The kernel fixtures of tests/conftest.py (loaded, bpffs, code_loaded, raw_progs,
bpftrace_prog, ...) are visible here too, but no test under tests/unit may use them:
tests/unit/test_needs_nothing.py checks it."""

import atexit
import os
import shutil
import tempfile
import time

import pytest

from tests.kernel import ROOT


def pytest_configure(config):
    """A checkout this user cannot write (root's, run by someone else): ruff's cache and
    Hypothesis's example database go elsewhere, instead of failing or warning."""
    if os.access(ROOT, os.W_OK):
        return
    if "RUFF_CACHE_DIR" not in os.environ:
        cache = tempfile.mkdtemp(prefix="bpfinspect-ruff-")
        atexit.register(shutil.rmtree, cache, True)
        os.environ["RUFF_CACHE_DIR"] = cache
    from hypothesis import settings

    settings.register_profile("read-only-checkout", database=None)
    settings.load_profile("read-only-checkout")


@pytest.fixture
def timezone():
    """set(tz): the process's local time zone for the test (bpftool prints loaded_at in
    local time), restored afterwards."""
    saved = os.environ.get("TZ")

    def set_zone(tz):
        os.environ["TZ"] = tz
        time.tzset()

    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def utc(timezone):
    timezone("UTC")


@pytest.fixture
def libbpf():
    """The few unit tests that go through libbpf.so.1 (a user-space library, no kernel
    object) skip where it is not installed."""
    from bpfinspect.errors import LibraryMissing
    from bpfinspect.kernel.libbpf import lib

    try:
        lib()
    except LibraryMissing as err:
        pytest.skip(str(err))
