"""`map diff MAP MAP` and `map diff MAP FILE`: keys added, removed and changed between two
maps, or a map and a saved `-j map dump`.

Bounded memory: the first side is read into a dict of key -> value (the value itself when it
is at most 16 bytes, else its 16-byte blake2b digest); the second side is streamed against
it, a batch at a time; what is left of the first side was removed. The old value of a
changed or removed key whose value was digested is looked up again in its map. The
differences go out as fixed-size records to buckets by their first key byte
(api/prefixsort.py) that spill to a temporary file, and are read back in key order, a
bucket sorted at a time. At the end the first differences in
that order are read again from the map(s): when one no longer reads as reported, the result
says that the map changed while it was read.

A map read in batches is read ahead in a thread (api/readahead.py): bpf(2) copies the next
batch out of the kernel while the last one is compared, on another core.
"""

import errno
import hashlib
import operator
import sys
from array import array
from itertools import chain, compress, islice, repeat

from bpfinspect import model
from bpfinspect.api import diffruns, dumps, prefixsort, readahead, savedmap
from bpfinspect.errors import UsageError

_DIGEST = 16
_RECHECK = 4096  # differences read again at the end, at most
_INTS = {1: "B", 2: "H", 4: "I", 8: "Q"}  # sizes held as ints: smaller and faster to hash
_CHUNK = 16384  # entries of a FILE, or removed keys, handled at a time
_BATCH = 8192  # differences handed out at a time
_AHEAD_BYTES = 8 << 20  # a map's batches read ahead in a thread when one is at most this
SIGNS = "+-~"


class _Side:
    """How one size of bytes is held: as an int (1, 2, 4 or 8 bytes) or as bytes."""

    def __init__(self, size):
        self.size = size
        self.code = _INTS.get(size)

    def split(self, packed, n):
        if self.code:
            return memoryview(packed).cast(self.code)[:n].tolist()
        s = self.size
        return [packed[i:i + s] for i in range(0, n * s, s)]

    def from_list(self, items):
        if self.code:
            return [int.from_bytes(i, sys.byteorder) for i in items]
        return items

    def to_bytes(self, item):
        if self.code:
            return item.to_bytes(self.size, sys.byteorder)
        return item

    def pack(self, items):
        """The items, packed."""
        if self.code:
            return array(self.code, items).tobytes()
        return b"".join(items)


class Differences:
    """The differences found, read back in key order (see batches()) however many there are.

    Each is a record of `size` bytes: the key (`key_size` bytes), an 8-byte big-endian
    sequence number (so that equal keys keep the order they were found in), the sign at
    `sign_at` ('+' added, '-' removed, '~' changed), a flag byte at `flags_at` (1: the old
    value could not be read again, the map changed while it was read), then two values of
    `value_size` bytes: at `first_at` the added or removed value, or the old one of a
    changed key; at `second_at` the new value of a changed key (zeros otherwise)."""

    def __init__(self, key_size, value_size, held_bytes=diffruns.HELD_BYTES):
        self.key_size = key_size
        self.value_size = value_size
        self.sign_at = key_size + 8
        self.flags_at = self.sign_at + 1
        self.first_at = self.sign_at + 2
        self.second_at = self.first_at + value_size
        self.size = self.second_at + value_size
        self._seq = 0
        self._spill = diffruns.SpillFile()
        self._signs = {s: prefixsort.PrefixBuckets(self.size, self._spill) for s in SIGNS}
        self._limit = max(1, held_bytes // diffruns.record_bytes(self.size))

    @property
    def counts(self):
        """{sign: how many}."""
        return {s: b.count for s, b in self._signs.items()}

    def __len__(self):
        return sum(b.count for b in self._signs.values())

    def add(self, sign, keys, firsts, seconds, n, flags=None):
        """n differences of one sign, their keys and values packed (seconds and flags may be
        None)."""
        size = self.size
        buf = bytearray(size * n)

        def put(at, column, width):
            if width <= n:
                for j in range(width):
                    buf[at + j::size] = column[j::width]
            else:
                for i in range(n):
                    buf[at + i * size:at + i * size + width] = column[i * width:(i + 1) * width]

        seq = array("Q", range(self._seq, self._seq + n))
        self._seq += n
        if sys.byteorder == "little":
            seq.byteswap()
        put(0, keys, self.key_size)
        put(self.key_size, seq.tobytes(), 8)
        buf[self.sign_at::size] = sign.encode() * n
        if flags:
            buf[self.flags_at::size] = flags
        put(self.first_at, firsts, self.value_size)
        if seconds:
            put(self.second_at, seconds, self.value_size)
        data = bytes(buf)
        self._signs[sign].add(prefixsort.split(data, size), data)
        if sum(b.held for b in self._signs.values()) >= self._limit:
            max(self._signs.values(), key=lambda b: b.held).spill()

    def batches(self, signs=SIGNS):
        """(records, n): the differences with these signs in key order, n records joined at
        a time. The signs' buckets of one leading key byte are merged, then the next."""
        limit = max(1, self._limit // len(signs))
        for i in range(256):
            sources = [self._signs[s].bucket_blocks(i, limit) for s in signs]
            for block in diffruns.merged(sources):
                for j in range(0, len(block), _BATCH):
                    part = block[j:j + _BATCH]
                    yield b"".join(part), len(part)

    def decode(self, records, i):
        """(sign, key, old value or None, new value or None) of record i."""
        r = records[i * self.size:(i + 1) * self.size]
        sign = chr(r[self.sign_at])
        key = r[:self.key_size]
        first = None if r[self.flags_at] else r[self.first_at:self.second_at]
        if sign == "+":
            return sign, key, None, first
        if sign == "-":
            return sign, key, first, None
        return sign, key, first, r[self.second_at:]

    def __iter__(self):
        for records, n in self.batches():
            for i in range(n):
                yield self.decode(records, i)

    def close(self):
        self._spill.close()


class MapDiff(model.Record):
    """What `map diff` found: the layout the entries are formatted by, `differences` (a
    Differences: iterated, (sign, key, old value or None, new value or None) with sign
    '+', '-' or '~', in key order), the number of same entries, whether a map changed while
    it was read, and `maps`, how the note about that names the map(s) read."""

    __slots__ = ("layout", "differences", "same", "changed_during_read", "maps")


def _map_chunks(obj, lay, ks, vs, lazy=False):
    """(keys, values, packed keys, packed values) of every entry of the open map, a batch at
    a time, the lists held as `ks` and `vs` (_Side) hold them; `lazy`: values None where
    they are ints in the packed form (_Differ.right() makes the list when it needs it)."""
    dumps.maps.check_dumpable(dumps.map_info_of(obj), dumps.map_label(lay.map))
    source = dumps.maps.chunks(dumps.map_reader(obj), lay)
    first = next(source, None)
    if isinstance(first, tuple) and len(first[0]) + len(first[1]) <= _AHEAD_BYTES:
        source = readahead.ahead(source, 1)  # read in batches, one system call each
    for chunk in chain(() if first is None else (first,), source):
        if isinstance(chunk, tuple):
            keys, values, n = chunk
            yield ks.split(keys, n), None if lazy and vs.code else vs.split(values, n), \
                keys, values
            continue
        found = [(key, value) for key, value in chunk if not isinstance(value, int)]
        keys, values = [f[0] for f in found], [f[1] for f in found]
        yield ks.from_list(keys), vs.from_list(values), b"".join(keys), b"".join(values)


def _file_chunks(path, lay, ks, vs, lazy=False):
    """As _map_chunks, the entries of a saved `-j map dump` of a map laid out as `lay`."""
    for chunk in savedmap.chunks(path, lay, _CHUNK):
        if isinstance(chunk, tuple):
            keys, values, n = chunk
            yield ks.split(keys, n), None if lazy and vs.code else vs.split(values, n), \
                keys, values
            continue
        keys, values = [c[0] for c in chunk], [c[1] for c in chunk]
        yield ks.from_list(keys), vs.from_list(values), b"".join(keys), b"".join(values)


def _digest(value):
    return hashlib.blake2b(value, digest_size=_DIGEST).digest()


class _Differ:
    """The second side streamed against the first (`seen`), differences into `out`."""

    def __init__(self, lay, left_reader, ks, vs, out):
        self.digested = lay.value_bytes > _DIGEST
        self.reader = left_reader
        self.ks, self.vs = ks, vs
        self.out = out
        self.seen = {}
        self.same = 0
        self.missing = False  # an old value no longer read: the map changed

    def old_values(self, keys, fps):
        """(packed old values of `keys`, flags or None)."""
        if not self.digested:
            return self.vs.pack(fps), None
        to_bytes, lookup = self.ks.to_bytes, self.reader.lookup
        values = [lookup(to_bytes(k)) for k in keys]
        flags = bytes(isinstance(v, int) for v in values)
        if not any(flags):
            return b"".join(values), None
        self.missing = True
        zero = b"\0" * self.vs.size
        return b"".join(zero if isinstance(v, int) else v for v in values), flags

    def right(self, keys, values, packed_keys, packed_values):
        """A batch of the second side; `values` None: not made yet (ints)."""
        ks, vs, out = self.ks, self.vs, self.out
        held = len(self.seen)
        olds = list(map(self.seen.pop, keys, repeat(None)))
        if vs.code and held - len(self.seen) == len(keys):
            self._all_found(keys, olds, packed_keys, packed_values)
            return
        if values is None:
            values = vs.split(packed_values, len(keys))
        fps = list(map(_digest, values)) if self.digested else values
        differ = list(map(operator.ne, olds, fps))
        nd = differ.count(True)
        self.same += len(keys) - nd
        if not nd:
            return
        if nd == len(keys):  # all differ: the packed forms as read
            dk, do = keys, olds
            pk, pv = packed_keys, packed_values
        else:
            dk, do = list(compress(keys, differ)), list(compress(olds, differ))
            pk, pv = None, list(compress(values, differ))
        na = len(keys) - (held - len(self.seen))  # added: no old value
        if na == nd:
            out.add("+", ks.pack(dk) if pk is None else pk, vs.pack(pv) if pk is None else pv,
                    None, na)
            return
        if na:
            new = list(map(operator.is_, do, repeat(None)))
            if pk is not None:
                pv = values
            out.add("+", ks.pack(compress(dk, new)), vs.pack(compress(pv, new)), None, na)
            kept = list(map(operator.not_, new))
            dk, do = list(compress(dk, kept)), list(compress(do, kept))
            pk, pv = None, list(compress(pv, kept))
        firsts, flags = self.old_values(dk, do)
        out.add("~", ks.pack(dk) if pk is None else pk, firsts,
                vs.pack(pv) if pk is None else pv, nd - na, flags)

    def _all_found(self, keys, olds, packed_keys, packed_values):
        """right() where every key was in the first side and values are ints: the old
        values are packed first and compared packed, so that the old value objects,
        scattered over memory, are visited once (comparing them, then packing those that
        differ, visited most of them twice)."""
        vs = self.vs
        packed_olds = vs.pack(olds)
        if packed_olds == packed_values:
            self.same += len(keys)
            return
        news = memoryview(packed_values).cast(vs.code)
        differ = list(map(operator.ne, memoryview(packed_olds).cast(vs.code), news))
        nd = differ.count(True)
        self.same += len(keys) - nd
        if nd == len(keys):
            self.out.add("~", packed_keys, packed_olds, packed_values, nd)
            return
        self.out.add("~", self.ks.pack(compress(keys, differ)), vs.pack(compress(olds, differ)),
                     vs.pack(compress(news, differ)), nd)

    def removed(self):
        items = iter(self.seen.items())
        while True:
            part = list(islice(items, _CHUNK))
            if not part:
                break
            keys = [p[0] for p in part]
            firsts, flags = self.old_values(keys, [p[1] for p in part])
            self.out.add("-", self.ks.pack(keys), firsts, None, len(part), flags)
        self.seen = {}


def _changed(out, left_reader, right_reader):
    """Whether the first differences in key order no longer read as reported."""
    checked = 0
    for records, n in out.batches():
        for i in range(min(n, _RECHECK - checked)):
            _, key, old, new = out.decode(records, i)
            now = left_reader.lookup(key)
            now = None if now == errno.ENOENT else now
            if isinstance(now, int) or now != old:
                return True
            if right_reader is not None:
                now = right_reader.lookup(key)
                now = None if now == errno.ENOENT else now
                if isinstance(now, int) or now != new:
                    return True
        checked += n
        if checked >= _RECHECK:
            break
    return False


def diff(left, right=None, path=None, held_bytes=diffruns.HELD_BYTES):
    """MapDiff of the open map `left` against the open map `right`, or against the saved
    dump at `path`; `held_bytes`, how many bytes of differences are held in memory before
    they go to a temporary file. Its differences are to be closed when read."""
    _, lay = dumps.map_layout(left)
    left_reader = dumps.map_reader(left)
    right_reader = None
    if right is not None:
        _, rlay = dumps.map_layout(right)
        if rlay.map.id == lay.map.id:
            raise UsageError("both handles name map %u: nothing to compare" % lay.map.id)
        for what in ("key_size", "value_size", "kind", "ncpus"):
            if getattr(lay, what) != getattr(rlay, what):
                raise UsageError("maps %s and %s differ in %s (%s, %s): nothing to compare"
                                 % (dumps.map_label(lay.map), dumps.map_label(rlay.map),
                                    what.replace("_", " "), getattr(lay, what),
                                    getattr(rlay, what)))
        right_reader = dumps.map_reader(right)
    ks, vs = _Side(lay.key_size), _Side(lay.value_bytes)
    if right is not None:
        right_side = _map_chunks(right, rlay, ks, vs, True)
    else:
        right_side = _file_chunks(path, lay, ks, vs, True)

    out = Differences(lay.key_size, lay.value_bytes, held_bytes)
    try:
        d = _Differ(lay, left_reader, ks, vs, out)
        for keys, values, _, _ in _map_chunks(left, lay, ks, vs):
            d.seen.update(zip(keys, map(_digest, values) if d.digested else values))
        for chunk in right_side:
            d.right(*chunk)
        d.removed()
        changed = d.missing or _changed(out, left_reader, right_reader)
    except BaseException:
        out.close()
        raise
    names = "map %u" % lay.map.id
    if right is not None:
        names = "map %u or map %u" % (lay.map.id, rlay.map.id)
    return MapDiff(layout=lay, differences=out, same=d.same, changed_during_read=changed,
                   maps=names)
