"""The decimal texts of 0, 1, 2, ... up to a limit, for listings that number every
instruction. Made a thousand at a time, by adding a prefix to ready-made three-digit
suffixes: str() of each int costs twice as much (100,000 numbers: 28 -> 12 ms)."""

_SUFFIXES = []  # "000" .. "999", made on first use


def numbers(limit, width=0):
    """["%*u" % (width, i) for i in range(limit)]; `width` at most 4."""
    if limit <= 1000:
        return ["%*u" % (width, i) for i in range(limit)]
    if not _SUFFIXES:
        _SUFFIXES.extend("%03u" % i for i in range(1000))
    out = ["%*u" % (width, i) for i in range(1000)]
    for high in range(1, (limit + 999) // 1000):
        out.extend(map(str(high).__add__, _SUFFIXES))
    del out[limit:]
    return out
