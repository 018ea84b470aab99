"""`perf show`: BPF programs attached to perf events, per process and fd."""

from bpfinspect.kernel import perf


def attachments():
    """model.PerfAttachment records, found while they are read (the support check runs
    first, so its error comes before any output)."""
    items = perf.attachments()
    first = next(items, None)
    if first is None:
        return iter(())
    return _chain(first, items)


def _chain(first, items):
    yield first
    yield from items
