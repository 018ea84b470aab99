"""A saved `-j map dump` read entry by entry: the JSON array is decoded one element at a
time from a buffer of the file, never as one document."""

import codecs
import json
import re

from bpfinspect.errors import BpfError

CHUNK = 1 << 20  # characters read at a time
MAX_ELEMENT = 64 << 20  # an element longer than this is not an entry of a map dump
_SPACE = re.compile(r"[ \t\n\r]*")
_HEX = re.compile(r"(?:0x[0-9a-fA-F]{2})*")


class _Array:
    """The elements of the JSON array in a text file, decoded one at a time."""

    def __init__(self, f, path):
        self._f = f
        self._path = path
        self._decode = codecs.getincrementaldecoder("utf-8")().decode
        self._raw = json.JSONDecoder().raw_decode
        self._buf = ""
        self._pos = 0
        self._eof = False

    def _bad(self, why="not JSON"):
        return BpfError("%s is not a saved 'map dump': %s" % (self._path, why))

    def _more(self):
        """Read more of the file; False at its end."""
        if self._eof:
            return False
        try:
            data = self._f.read(CHUNK)
            text = self._decode(data, not data)
        except UnicodeDecodeError:
            raise self._bad() from None
        self._eof = not data
        self._buf = self._buf[self._pos:] + text
        self._pos = 0
        return bool(data)

    def _next_char(self):
        """The next character that is not white space (not consumed), "" at the end."""
        while True:
            self._pos = _SPACE.match(self._buf, self._pos).end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _value(self):
        while True:
            try:
                value, end = self._raw(self._buf, self._pos)
            except ValueError:
                if len(self._buf) - self._pos > MAX_ELEMENT or not self._more():
                    raise self._bad() from None
                continue
            if end == len(self._buf) and self._more():
                continue  # a number or literal may go on in the next chunk
            self._pos = end
            return value

    def __iter__(self):
        first = self._next_char()
        if first != "[":
            if first == "":
                raise self._bad()
            self._value()  # "not JSON" unless it is some other JSON value
            if self._next_char():
                raise self._bad()
            raise self._bad("not a JSON array of entries")
        self._pos += 1
        if self._next_char() == "]":
            self._pos += 1
        else:
            while True:
                if self._next_char() == "":
                    raise self._bad()
                yield self._value()
                c = self._next_char()
                self._pos += 1
                if c == "]":
                    break
                if c != ",":
                    raise self._bad()
        if self._next_char():
            raise self._bad()


def _byte(item):
    if isinstance(item, str):
        try:
            value = int(item, 16)
        except ValueError:
            return None
        return value if 0 <= value <= 255 else None
    return None


def _bytes(items, size, what, path):
    """The bytes of a list of hex strings, as bpftool writes them ("0x1f")."""
    if isinstance(items, list) and len(items) == size:
        try:
            text = "".join(items)
        except TypeError:
            text = None
        if text is not None and len(text) == 4 * size and _HEX.fullmatch(text):
            return bytes.fromhex(text.replace("0x", ""))
    if not isinstance(items, list) or len(items) != size:
        raise BpfError("%s is not a saved 'map dump' of this map: a %s is not %u bytes"
                       % (path, what, size))
    values = [_byte(i) for i in items]
    if None in values:
        raise BpfError("%s is not a saved 'map dump' of this map: a %s has a byte that is "
                       "not hex" % (path, what))
    return bytes(values)


def entries(path, lay):
    """(key, value bytes) of a saved `-j map dump` of a map laid out as `lay`, read as they
    are decoded."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BpfError("can't read %s: %s" % (path, exc.strerror), exc.errno) from None
    with f:
        yield from _entries(_Array(f, path), path, lay)


def _entries(elements, path, lay):
    pad = b"\0" * (lay.value_stride - lay.value_size)
    key_size, value_size = lay.key_size, lay.value_size
    per_cpu = lay.kind == "per_cpu"
    try:
        for entry in elements:
            if type(entry) is not dict or "key" not in entry:
                raise BpfError("%s is not a saved 'map dump': an element is not an entry"
                               % path)
            value = entry.get("value")
            if type(value) is dict and "error" in value:
                continue
            key = _bytes(entry["key"], key_size, "key", path)
            if per_cpu:
                cpus = entry.get("values")
                if not isinstance(cpus, list) or len(cpus) != lay.ncpus or \
                        not all(isinstance(c, dict) for c in cpus):
                    raise BpfError("%s is not a saved 'map dump' of this map: an entry has "
                                   "not %u CPUs' values" % (path, lay.ncpus))
                value = b"".join(_bytes(c.get("value"), value_size, "value", path) + pad
                                 for c in cpus)
            else:
                if "value" not in entry:
                    raise BpfError("%s is not a saved 'map dump' of this map: an entry has "
                                   "no \"value\"" % path)
                value = _bytes(value, value_size, "value", path)
            yield key, value
    except OSError as exc:
        raise BpfError("can't read %s: %s" % (path, exc.strerror), exc.errno) from None
