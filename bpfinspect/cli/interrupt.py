"""Ctrl-C that never cuts a write in half.

A long dump writes large chunks; a SIGINT arriving while one is being written would stop it
midway and leave half a JSON element behind. Here a SIGINT during a write waits until the
write is whole, then stops the command: the output closes its stream around an
`interrupted` error, and further Ctrl-Cs are ignored until that is written."""

import os
import signal
import sys

from bpfinspect.errors import BpfError

_LARGE = 1 << 16


class GuardedStream:
    """A text stream whose writes and flushes are never interrupted midway."""

    def __init__(self, stream):
        self._stream = stream
        self._busy = 0
        self._pending = False
        self.failed = None  # the OutputFailed that ended the output

    def _guarded(self, func, *args):
        if self.failed is not None:
            raise self.failed
        self._busy += 1
        try:
            result = func(*args)
        except OSError as exc:  # a full disk, a closed descriptor: no more output
            self.failed = OutputFailed("can't write the output: %s" % exc.strerror, exc.errno)
            raise self.failed from None
        finally:
            self._busy -= 1
        if self._pending and not self._busy:
            self._pending = False
            _stop()
        return result

    def write(self, text):
        if len(text) < _LARGE:
            return self._guarded(self._stream.write, text)
        return self._guarded(self._write_large, text)

    def _write_large(self, text):
        """Straight to the file descriptor, every byte: Python's buffered layers may give
        up on a chunk that a signal interrupted."""
        return self._to_fd(text.encode(self._stream.encoding or "utf-8", "surrogateescape"),
                           text)

    def write_bytes(self, data):
        """`data` as it is, straight to the file descriptor (after what the stream holds)."""
        return self._guarded(self._to_fd, data)

    def _to_fd(self, data, text=None):
        """The bytes `data` (the encoding of `text`, where given) written whole to the
        stream's file descriptor, after what the stream holds; a stream without one is
        given the text."""
        self._stream.flush()
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            return self._stream.write(text if text is not None else data.decode(
                self._stream.encoding or "utf-8", "surrogateescape"))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        return len(data) if text is None else len(text)

    def flush(self):
        return self._guarded(self._stream.flush)

    def on_sigint(self, signum, frame):
        if self._busy:
            self._pending = True
        else:
            _stop()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _stop():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the error must be written whole too
    raise KeyboardInterrupt


class OutputFailed(BpfError):
    """Writing to stdout failed: the error goes to stderr, and nothing more to stdout."""


def install():
    """Guard sys.stdout; returns the guarded stream. Ctrl-C is taken in hand by
    handle_sigint(), once the command is ready to close its output around an error."""
    guarded = GuardedStream(sys.stdout)
    sys.stdout = guarded
    return guarded


def handle_sigint(guarded):
    """SIGINT stops the command (after the write under way): a SIGINT that the parent
    ignores stays ignored."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, guarded.on_sigint)
