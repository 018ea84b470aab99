"""`map diff MAP MAP` and `map diff MAP FILE`: keys added, removed and changed between two
maps, or a map and a saved `-j map dump`.

Bounded memory: the first side is read into a dict of key bytes -> value (the value itself
when it is at most 16 bytes, else its 16-byte blake2b digest); the second side is streamed
against it; what is left of the first side was removed. The old value of a changed or
removed key whose value was digested is looked up again in its map. At the end every key
reported different is read again from the map(s): when one no longer reads as reported, the
result says that the map changed while it was read.
"""

import errno
import hashlib
import json
import operator
import sys
from itertools import compress, repeat

from bpfinspect import model
from bpfinspect.api import dumps
from bpfinspect.errors import BpfError, UsageError

_DIGEST = 16
_RECHECK = 4096  # differences read again at the end, at most
_INTS = {1: "B", 2: "H", 4: "I", 8: "Q"}  # sizes held as ints: smaller and faster to hash


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


class MapDiff(model.Record):
    """What `map diff` found: the layout the entries are formatted by, `differences` as
    (sign, key, old value or None, new value or None) with sign '+', '-' or '~', the number
    of same entries, whether a map changed while it was read, and `maps`, how the note about
    that names the map(s) read."""

    __slots__ = ("layout", "differences", "same", "changed_during_read", "maps")


def _map_chunks(obj, lay, ks, vs):
    """(keys, values) of every entry of the open map, a batch at a time, held as `ks` and
    `vs` (_Side) hold them."""
    dumps.maps.check_dumpable(dumps.map_info_of(obj), dumps.map_label(lay.map))
    for chunk in dumps.maps.chunks(dumps.map_reader(obj), lay):
        if isinstance(chunk, tuple):
            keys, values, n = chunk
            yield ks.split(keys, n), vs.split(values, n)
            continue
        found = [(key, value) for key, value in chunk if not isinstance(value, int)]
        yield ks.from_list([f[0] for f in found]), vs.from_list([f[1] for f in found])


def _byte(item):
    if isinstance(item, str):
        try:
            value = int(item, 16)
        except ValueError:
            return None
        return value if 0 <= value <= 255 else None
    return None


def _bytes(items, size, what, path):
    if not isinstance(items, list) or len(items) != size:
        raise BpfError("%s is not a saved 'map dump' of this map: a %s is not %u bytes"
                       % (path, what, size))
    values = [_byte(i) for i in items]
    if None in values:
        raise BpfError("%s is not a saved 'map dump' of this map: a %s has a byte that is "
                       "not hex" % (path, what))
    return bytes(values)


def file_chunks(path, lay, ks, vs):
    """(keys, values) of a saved `-j map dump` of a map laid out as `lay`, in one chunk."""
    keys, values = [], []
    for key, value in file_entries(path, lay):
        keys.append(key)
        values.append(value)
    yield ks.from_list(keys), vs.from_list(values)


def file_entries(path, lay):
    """(key, value bytes) of a saved `-j map dump` of a map laid out as `lay`."""
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except OSError as exc:
        raise BpfError("can't read %s: %s" % (path, exc.strerror), exc.errno) from None
    except (ValueError, UnicodeDecodeError):
        raise BpfError("%s is not a saved 'map dump': not JSON" % path) from None
    if not isinstance(data, list):
        raise BpfError("%s is not a saved 'map dump': not a JSON array of entries" % path)
    pad = lay.value_stride - lay.value_size
    for entry in data:
        if not isinstance(entry, dict) or "key" not in entry:
            raise BpfError("%s is not a saved 'map dump': an element is not an entry" % path)
        if isinstance(entry.get("value"), dict) and "error" in entry["value"]:
            continue
        key = _bytes(entry["key"], lay.key_size, "key", path)
        if lay.kind == "per_cpu":
            cpus = entry.get("values")
            if not isinstance(cpus, list) or len(cpus) != lay.ncpus or \
                    not all(isinstance(c, dict) for c in cpus):
                raise BpfError("%s is not a saved 'map dump' of this map: an entry has not "
                               "%u CPUs' values" % (path, lay.ncpus))
            value = b"".join(_bytes(c.get("value"), lay.value_size, "value", path) + b"\0" * pad
                             for c in cpus)
        else:
            if "value" not in entry:
                raise BpfError("%s is not a saved 'map dump' of this map: an entry has no "
                               "\"value\"" % path)
            value = _bytes(entry["value"], lay.value_size, "value", path)
        yield key, value


def _digest(value):
    return hashlib.blake2b(value, digest_size=_DIGEST).digest()


def diff(left, right=None, path=None):
    """MapDiff of the open map `left` against the open map `right`, or against the saved
    dump at `path`."""
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
        right_side = _map_chunks(right, rlay, ks, vs)
    else:
        right_side = file_chunks(path, lay, ks, vs)

    digested = lay.value_bytes > _DIGEST
    seen = {}
    for keys, values in _map_chunks(left, lay, ks, vs):
        seen.update(zip(keys, map(_digest, values) if digested else values))

    def old_value(key, fp):
        if digested:
            value = left_reader.lookup(key)
            return None if isinstance(value, int) else value
        return vs.to_bytes(fp)

    differences = []
    same = 0
    pop = seen.pop
    for keys, values in right_side:
        fps = list(map(_digest, values)) if digested else values
        olds = list(map(pop, keys, repeat(None)))
        differ = list(map(operator.ne, olds, fps))
        same += len(keys) - sum(differ)
        for key, value, old in zip(compress(keys, differ), compress(values, differ),
                                   compress(olds, differ)):
            key, value = ks.to_bytes(key), vs.to_bytes(value)
            if old is None:
                differences.append(("+", key, None, value))
            else:
                differences.append(("~", key, old_value(key, old), value))
    removed = [("-", ks.to_bytes(key), old_value(ks.to_bytes(key), fp), None)
               for key, fp in seen.items()]
    del seen
    differences = removed + differences
    differences.sort(key=lambda d: d[1])

    changed = any(d[0] != "+" and d[2] is None for d in differences)
    for _, key, old, new in differences[:_RECHECK]:
        if changed:
            break
        now = left_reader.lookup(key)
        now = None if now == errno.ENOENT else now
        if isinstance(now, int) or now != old:
            changed = True
        if right_reader is not None and not changed:
            now = right_reader.lookup(key)
            now = None if now == errno.ENOENT else now
            if isinstance(now, int) or now != new:
                changed = True
    names = "map %u" % lay.map.id
    if right is not None:
        names = "map %u or map %u" % (lay.map.id, rlay.map.id)
    return MapDiff(layout=lay, differences=differences, same=same, changed_during_read=changed,
                   maps=names)
