"""`prog tracelog`: the trace pipe's lines (bpf_printk output), as they come."""

from bpfinspect.kernel import tracefs


def lines(may_mount=True, on_mount=None):
    """Text lines of the trace pipe, each with its newline, until the caller stops reading
    (tracefs is mounted first when it is nowhere, unless not `may_mount`)."""
    path = tracefs.trace_pipe(may_mount, on_mount)
    for line in tracefs.lines(path):
        yield line.decode("utf-8", "surrogateescape")
