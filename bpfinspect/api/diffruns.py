"""What `map diff`'s difference records are held in: the temporary file they spill to, the
memory one record takes, and the merge of sorted streams of them.

Records are bytes of one size, compared as bytes (api/prefixsort.py sorts them). The merge
is done in bulk: every record up to the smallest of the blocks' last records can go out
now, so those parts of all blocks are joined and sorted in one call (timsort merges the
sorted pieces at C speed).
"""

import os
import tempfile
from bisect import bisect_right

HELD_BYTES = 12 << 20  # records held in memory (with their object overhead) before a spill
_OVERHEAD = 48  # a bytes object and its list slot, beyond its data


def record_bytes(size):
    """Memory one record of `size` bytes takes while held."""
    return size + _OVERHEAD


class SpillFile:
    """The temporary file the records spill to, created when first needed."""

    def __init__(self):
        self._file = None

    def append(self, data):
        """Offset at which `data` was written."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="bpfinspect-diff")
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        return offset

    def read(self, offset, size):
        self._file.flush()
        return os.pread(self._file.fileno(), size, offset)

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


def merged(sources):
    """Sorted lists of records: the blocks of the sorted `sources` merged."""
    live = []
    for source in sources:
        block = next(source, None)
        if block:
            live.append([block, source])
    if len(live) == 1:
        yield live[0][0]
        yield from live[0][1]
        return
    while live:
        bound = min(b[0][-1] for b in live)
        out = []
        keep = []
        for b in live:
            block = b[0]
            cut = bisect_right(block, bound)
            if cut == len(block):
                out.extend(block)
                block = next(b[1], None)
                if not block:
                    continue
            elif cut:
                out.extend(block[:cut])
                block = block[cut:]
            b[0] = block
            keep.append(b)
        live = keep
        out.sort()
        yield out
