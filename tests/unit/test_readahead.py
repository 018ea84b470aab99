"""Reading ahead in a thread (api/readahead.py), as `map diff` reads a map's batches: every
item in order, no more than `depth` waiting, an exception where its item would have come,
the thread ended when the caller stops, and signals left to the main thread."""

import signal
import threading
import time

import pytest

from bpfinspect.api import readahead


def _threads():
    return [t for t in threading.enumerate() if t.name == "readahead"]


def test_every_item_in_order():
    assert list(readahead.ahead(iter(range(1000)), 3)) == list(range(1000))
    assert list(readahead.ahead(iter(()))) == []
    assert not _threads()


@pytest.mark.parametrize("depth", [1, 2])
def test_no_more_than_depth_ahead(depth):
    made = []

    def counted():
        for i in range(20):
            made.append(i)
            yield i

    got = []
    for item in readahead.ahead(counted(), depth):
        time.sleep(0.01)  # the thread makes all it may meanwhile
        got.append(item)
        # waiting: `depth` in the queue and one the thread holds until there is room
        assert len(made) <= len(got) + depth + 1
    assert got == list(range(20))


def test_exception_where_its_item_would_come():
    def failing():
        yield from range(3)
        raise ValueError("can't read map")

    got = []
    with pytest.raises(ValueError, match="can't read map"):
        for item in readahead.ahead(failing()):
            got.append(item)
    assert got == [0, 1, 2]
    assert not _threads()


def test_caller_stops_early():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    items = readahead.ahead(endless(), 1)
    assert [next(items), next(items)] == [0, 1]
    items.close()
    assert not _threads()


def test_signals_left_to_the_main_thread():
    def masks():
        yield signal.pthread_sigmask(signal.SIG_BLOCK, [])

    (mask,) = readahead.ahead(masks())
    assert signal.SIGINT in mask and signal.SIGTERM in mask
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
