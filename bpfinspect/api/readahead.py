"""An iterator's next items made in a thread while the caller works on the last one.

A map's batches are read by bpf(2), which ctypes calls without the GIL: the kernel can copy
the next batch out of a map while Python compares the previous one. `map diff` reads two
maps of a million entries that way, about 0.3 s of the kernel's time each, overlapped with
its own work on another core. No more than `depth` items wait at a time.
"""

import queue
import signal
import threading

_END = object()
_POLL = 0.05  # seconds between looks at whether the caller stopped, while the queue is full


def ahead(iterator, depth=2):
    """The items of `iterator`, made in a thread up to `depth` ahead of the caller. An
    exception it raises is raised here, where its item would have come. When the caller
    stops early the thread ends after the item it is making."""
    items = queue.Queue(depth)
    stop = threading.Event()

    def make():
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())  # for the main thread
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=_POLL)
                        break
                    except queue.Full:
                        pass
                if stop.is_set():
                    return
            items.put((_END, None))
        except BaseException as exc:  # noqa: B036 - handed to the caller, raised there
            items.put((_END, exc))

    thread = threading.Thread(target=make, name="readahead", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = items.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # it may wait to put one more: let it, and end
            try:
                items.get(timeout=_POLL)
            except queue.Empty:
                pass
        thread.join()
