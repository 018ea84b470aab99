"""A saved `-j map dump` read a part at a time: the JSON array is decoded from a buffer of
the file, never as one document.

Elements in the compact form bpftool and bpfinspect write (`{"key":["0x01",...],"value":
[...]}` and nothing else) all have the same length for one map, so a run of them is checked
and converted column by column (_Stride), with no Python per entry; any other element is
decoded on its own with json's raw_decode."""

import codecs
import json
import re

from bpfinspect.errors import BpfError

CHUNK = 1 << 20  # characters read at a time
MAX_ELEMENT = 64 << 20  # an element longer than this is not an entry of a map dump
_SPACE = re.compile(r"[ \t\n\r]*")
_HEX = re.compile(r"(?:0x[0-9a-fA-F]{2})*")
_DIGITS = b"0123456789abcdefABCDEF"
_RUN = 4096  # regular elements checked and converted at a time, at most
_MARK = 0xE000  # chr(_MARK + 2i) and chr(_MARK + 2i + 1): the digits of entry byte i


class _Stride:
    """The compact text of one element of a map laid out as `lay` and the comma after it:
    where the hex digits of each byte of the key and of the value (as read, with per-CPU
    padding) are."""

    def __init__(self, lay):
        def hexes(first, count):
            return ",".join('"0x%s%s"' % (chr(_MARK + 2 * i), chr(_MARK + 2 * i + 1))
                            for i in range(first, first + count))

        k = lay.key_size
        if lay.kind == "per_cpu":
            value = '"values":[%s]' % ",".join(
                '{"cpu":%u,"value":[%s]}' % (cpu, hexes(k + cpu * lay.value_stride,
                                                         lay.value_size))
                for cpu in range(lay.ncpus))
        else:
            value = '"value":[%s]' % hexes(k, lay.value_size)
        sample = '{"key":[%s],%s},' % (hexes(0, k), value)
        self.key_size, self.value_bytes = k, lay.value_bytes
        self.width = len(sample)
        self.places = []  # (position, entry byte, nibble)
        text = []
        for pos, ch in enumerate(sample):
            if ord(ch) >= _MARK:
                self.places.append((pos, (ord(ch) - _MARK) >> 1, (ord(ch) - _MARK) & 1))
                text.append("0")
            else:
                text.append(ch)
        self.text = "".join(text).encode("ascii")

    def convert(self, text, m):
        """(keys, values, m), packed, of the m elements that `text` (bytes) is, or None when
        it is not m elements of this form."""
        width = self.width
        masked = bytearray(text)
        zeros = b"0" * m
        k2, v2 = 2 * self.key_size, 2 * self.value_bytes
        keys, values = bytearray(k2 * m), bytearray(b"0" * (v2 * m))
        for pos, byte, nibble in self.places:
            col = text[pos::width]
            if col.translate(None, _DIGITS):
                return None
            masked[pos::width] = zeros
            if byte < self.key_size:
                keys[2 * byte + nibble::k2] = col
            else:
                values[2 * (byte - self.key_size) + nibble::v2] = col
        if masked != self.text * m:
            return None
        return bytes.fromhex(keys.decode("ascii")), bytes.fromhex(values.decode("ascii")), m


class _Array:
    """The elements of the JSON array in a text file, decoded one at a time."""

    def __init__(self, f, path, stride=None):
        self._stride = stride
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
                # more of the file, at least as much again as is waiting: a long element
                # is decoded a few times, not once per chunk read
                waiting = len(self._buf) - self._pos
                if waiting > MAX_ELEMENT:
                    raise self._bad() from None
                grown = False
                while len(self._buf) - self._pos < 2 * waiting and self._more():
                    grown = True
                if not grown:
                    raise self._bad() from None
                continue
            if end == len(self._buf) and self._more():
                continue  # a number or literal may go on in the next chunk
            self._pos = end
            return value

    def _run(self):
        """(keys, values, m) of the regular elements (each with the comma after it) from
        here, or None."""
        width = self._stride.width
        if len(self._buf) - self._pos < width * _RUN:
            self._more()
        m = min(_RUN, (len(self._buf) - self._pos) // width)
        while m:
            try:
                text = self._buf[self._pos:self._pos + m * width].encode("ascii")
            except UnicodeEncodeError:
                text = None
            run = text and self._stride.convert(text, m)
            if run:
                self._pos += m * width
                return run
            m //= 2
        return None

    def __iter__(self):
        """Decoded elements, and (keys, values, m) for runs of regular ones."""
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
                run = self._stride and self._run()
                if run:
                    yield run
                    continue
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


def chunks(path, lay, size=4096):
    """The entries of a saved `-j map dump` of a map laid out as `lay`, read as they are
    decoded, in chunks as maps.chunks() gives them: packed (keys, values, n), or lists of
    up to `size` (key, value bytes)."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BpfError("can't read %s: %s" % (path, exc.strerror), exc.errno) from None
    stride = None
    if lay.kind in ("plain", "per_cpu") and lay.key_size and lay.value_size:
        stride = _Stride(lay)
    with f:
        pending = []
        try:
            for element in _Array(f, path, stride):
                if type(element) is tuple:
                    if pending:
                        yield pending
                        pending = []
                    yield element
                    continue
                entry = _entry(element, path, lay)
                if entry is not None:
                    pending.append(entry)
                    if len(pending) >= size:
                        yield pending
                        pending = []
        except OSError as exc:
            raise BpfError("can't read %s: %s" % (path, exc.strerror), exc.errno) from None
        if pending:
            yield pending


def _entry(entry, path, lay):
    """(key, value bytes) of one decoded element, None for an entry bpftool could not
    read."""
    if type(entry) is not dict or "key" not in entry:
        raise BpfError("%s is not a saved 'map dump': an element is not an entry" % path)
    value = entry.get("value")
    if type(value) is dict and "error" in value:
        return None
    key = _bytes(entry["key"], lay.key_size, "key", path)
    if lay.kind == "per_cpu":
        cpus = entry.get("values")
        if not isinstance(cpus, list) or len(cpus) != lay.ncpus or \
                not all(isinstance(c, dict) for c in cpus):
            raise BpfError("%s is not a saved 'map dump' of this map: an entry has not %u "
                           "CPUs' values" % (path, lay.ncpus))
        pad = b"\0" * (lay.value_stride - lay.value_size)
        return key, b"".join(_bytes(c.get("value"), lay.value_size, "value", path) + pad
                             for c in cpus)
    if "value" not in entry:
        raise BpfError("%s is not a saved 'map dump' of this map: an entry has no \"value\""
                       % path)
    return key, _bytes(value, lay.value_size, "value", path)
