"""The command's entry point, which imports nothing before it has taken Ctrl-C in hand: a
SIGINT while the interpreter loads the command line ends bpfinspect quietly with status 130
(no traceback, and nothing has been written yet), and a SIGINT that the parent ignores
(`trap '' INT`) stays ignored."""

import os
import signal


def _interrupted_early(signum, frame):
    os._exit(130)


def main():
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted_early)
    from bpfinspect.cli import main as cli_main

    return cli_main()
