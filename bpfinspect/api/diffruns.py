"""Fixed-size records kept in sorted order without holding them all: an external sort.

Records are bytes of one size, compared as bytes. They are held in memory up to a limit,
then sorted and written to a temporary file as one run; reading merges the runs back in
order, a block of each at a time. The merge is done in bulk: every record up to the
smallest of the blocks' last records can go out now, so those parts of all blocks are
joined and sorted in one call (timsort merges the sorted pieces at C speed).
"""

import os
import tempfile
from bisect import bisect_right

HELD_BYTES = 12 << 20  # records held in memory (with their object overhead) before a spill
BLOCK_BYTES = 256 << 10  # read from each run at a time when merging
_OVERHEAD = 48  # a bytes object and its list slot, beyond its data


def record_bytes(size):
    """Memory one record of `size` bytes takes while held."""
    return size + _OVERHEAD


class SpillFile:
    """The temporary file the runs of several SortedRuns share, created when first needed."""

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


class SortedRuns:
    """Records of `size` bytes added in any order, read back sorted. Those held in memory
    are spilled as one run when they reach `held_bytes`, or when spill() is called (None:
    only then)."""

    def __init__(self, size, spill, held_bytes=HELD_BYTES):
        self.size = size
        self.count = 0
        self._spill = spill
        self._limit = None if held_bytes is None else max(1, held_bytes // record_bytes(size))
        self.held = []
        self._runs = []  # (offset, count) in the spill file

    def add(self, records):
        self.held.extend(records)
        self.count += len(records)
        if self._limit is not None and len(self.held) >= self._limit:
            self.spill()

    def spill(self):
        """The records held, sorted, to the file as one run."""
        if self.held:
            self.held.sort()
            self._runs.append((self._spill.append(b"".join(self.held)), len(self.held)))
            self.held = []

    def sources(self):
        """One iterator of sorted blocks (lists of records) per run."""
        self.held.sort()
        per_block = max(1, BLOCK_BYTES // self.size)
        out = [self._file_blocks(offset, count, per_block) for offset, count in self._runs]
        if self.held:
            held = self.held
            out.append(held[i:i + per_block] for i in range(0, len(held), per_block))
        return out

    def _file_blocks(self, offset, count, per_block):
        size = self.size
        for first in range(0, count, per_block):
            n = min(per_block, count - first)
            data = self._spill.read(offset + first * size, n * size)
            yield [data[i:i + size] for i in range(0, n * size, size)]


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
