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

from bpfinspect import model
from bpfinspect.api import dumps
from bpfinspect.errors import BpfError, UsageError

_DIGEST = 16
_RECHECK = 4096  # differences read again at the end, at most


class MapDiff(model.Record):
    """What `map diff` found: the layout the entries are formatted by, `differences` as
    (sign, key, old value or None, new value or None) with sign '+', '-' or '~', the number
    of same entries, whether a map changed while it was read, and `maps`, how the note about
    that names the map(s) read."""

    __slots__ = ("layout", "differences", "same", "changed_during_read", "maps")


def _map_entries(obj, lay):
    d = model.MapDump(layout=lay, chunks=dumps.maps.chunks(dumps.map_reader(obj), lay))
    dumps.maps.check_dumpable(dumps.map_info_of(obj), dumps.map_label(lay.map))
    for key, value in d.entries(skip_empty_slots=True):
        if not isinstance(value, int):
            yield key, value


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


def _fingerprint(value):
    if len(value) <= _DIGEST:
        return value
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
        right_side = _map_entries(right, rlay)
    else:
        right_side = file_entries(path, lay)

    seen = {key: _fingerprint(value) for key, value in _map_entries(left, lay)}

    def old_value(key, fp):
        if len(fp) == _DIGEST and lay.value_bytes > _DIGEST:
            value = left_reader.lookup(key)
            return None if isinstance(value, int) else value
        return fp

    differences = []
    same = 0
    for key, value in right_side:
        fp = seen.pop(key, None)
        if fp is None:
            differences.append(("+", key, None, value))
        elif fp == _fingerprint(value):
            same += 1
        else:
            differences.append(("~", key, old_value(key, fp), value))
    removed = [("-", key, old_value(key, fp), None) for key, fp in seen.items()]
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
