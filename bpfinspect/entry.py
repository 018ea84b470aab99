"""The command's entry point, which imports nothing before it has taken Ctrl-C in hand: a
SIGINT while the interpreter loads the command line ends bpfinspect quietly with status 130
(no traceback, and nothing has been written yet), and a SIGINT that the parent ignores
(`trap '' INT`) stays ignored.

The installed command (bin/bpfinspect) starts Python with SIGINT blocked, which closes the
window before this module runs: a SIGINT during the interpreter's own start-up is pending
until main() unblocks it, and then reaches the handler (or, ignored, nothing). main()
unblocks SIGINT whoever blocked it, so that no child (dot, tc) inherits it blocked."""

import os
import signal


def _interrupted_early(signum, frame):
    os._exit(130)


def main():
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted_early)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT,))
    from bpfinspect.cli import main as cli_main

    return cli_main()
