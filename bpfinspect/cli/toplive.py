"""The live `prog top`: the terminal in cbreak mode, keys read between refreshes, the screen
drawn by rich on the alternate screen and restored however the view ends."""

import os
import select
import signal
import sys
import termios
import time
import tty

# escape sequences and control bytes -> the key names views.toplive.TopScreen knows
_SEQUENCES = {
    b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left",
    b"\x1bOA": "up", b"\x1bOB": "down", b"\x1bOC": "right", b"\x1bOD": "left",
    b"\x1b[5~": "pgup", b"\x1b[6~": "pgdn", b"\x1b[H": "home", b"\x1b[F": "end",
    b"\x1bOH": "home", b"\x1bOF": "end", b"\x1b[1~": "home", b"\x1b[4~": "end",
}
_BYTES = {b"\r": "enter", b"\n": "enter", b"\x7f": "backspace", b"\x08": "backspace",
          b"\x03": "ctrl-c", b"\x1b": "esc"}
_DETAILS_EVERY = 5.0  # seconds between two looks at a program's maps and links


def split_keys(data):
    """Key names in what one read of the terminal gave."""
    keys = []
    i = 0
    while i < len(data):
        if data[i:i + 1] == b"\x1b" and data[i + 1:i + 2] in (b"[", b"O"):
            j = i + 2
            while j < len(data) and not 0x40 <= data[j] <= 0x7E:
                j += 1
            seq = data[i:j + 1]
            i = j + 1
            if seq in _SEQUENCES:
                keys.append(_SEQUENCES[seq])
            continue
        byte = data[i:i + 1]
        i += 1
        if byte in _BYTES:
            keys.append(_BYTES[byte])
        elif byte >= b" ":
            j = i
            while j < len(data) and (data[j] & 0xC0) == 0x80:  # the rest of a UTF-8 char
                j += 1
            keys.append(data[i - 1:j].decode("utf-8", "replace"))
            i = j
    return keys


def _terminal_size(console):
    """(columns, lines) of the terminal itself."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return console.size
    return size.columns, size.lines


def run(sampler, interval):
    from rich.console import Console
    from rich.live import Live

    from bpfinspect.api import top as api_top
    from bpfinspect.views.toplive import TopScreen

    import gc

    gc.collect()
    gc.freeze()  # rich and the rest, imported for good: not walked again by the collector

    console = Console(file=sys.stdout)
    screen = TopScreen()
    fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
    keyboard = None
    saved = None
    if fd is None:  # keys come from the terminal itself
        keyboard = os.open("/dev/tty", os.O_RDONLY)
        fd = keyboard
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    # a resize (SIGWINCH) wakes the loop through a pipe: no polling between refreshes
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    old_wakeup = signal.set_wakeup_fd(wake_write)
    old_winch = signal.signal(signal.SIGWINCH, lambda signum, frame: None)
    details, details_of, details_at = None, None, 0.0
    try:
        sampler.start()
        due = time.monotonic() + interval
        with Live(console=console, screen=True, auto_refresh=False) as live:
            size = None
            changed = True
            while True:
                now = time.monotonic()
                if now >= due:
                    screen.update(sampler.next())
                    due = max(due + interval, now + interval / 2)
                    changed = True
                if screen.detail is not None:
                    if details_of != screen.detail or now - details_at >= _DETAILS_EVERY:
                        details = api_top.details(screen.detail)
                        details_of, details_at = screen.detail, now
                        changed = True
                now_size = _terminal_size(console)
                if now_size != size:
                    size = now_size
                    console.size = size  # rich would believe $COLUMNS and $LINES first
                    changed = True
                if changed:
                    live.update(screen.render(size[0], size[1], details), refresh=True)
                    changed = False
                timeout = max(0.0, due - time.monotonic())
                ready, _, _ = select.select([fd, wake_read], [], [], timeout)
                if wake_read in ready:
                    os.read(wake_read, 512)
                if fd in ready:
                    for key in split_keys(os.read(fd, 1024)):
                        if screen.key(key):
                            return
                        changed = True
    except KeyboardInterrupt:
        return
    finally:
        signal.set_wakeup_fd(old_wakeup)
        signal.signal(signal.SIGWINCH, old_winch)
        os.close(wake_read)
        os.close(wake_write)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if keyboard is not None:
            os.close(keyboard)
