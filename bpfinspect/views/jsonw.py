"""JSON laid out as bpftool's json_writer lays it out, but always valid.

Compact: no spaces at all. Pretty (-p): 4-space indent, a newline before each object member
and before a closing bracket, none before array elements, so arrays of numbers stay on one
line and objects in arrays open as `[{` and `},{`.
"""

import re

from bpfinspect.model import Encoded

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r",
            "\f": "\\f", "\b": "\\b"}


def _escape_char(ch):
    esc = _ESCAPES.get(ch)
    if esc:
        return esc
    if 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte that was not UTF-8
        return "\\ufffd"
    return "\\u%04x" % ord(ch)


def _needs_escape(ch):
    return ch in _ESCAPES or ch < " " or "\ud800" <= ch <= "\udfff"


_NEEDS_ESCAPE = None  # compiled on first use (~1 ms): most text needs no look


def _needs_escape_search(text):
    global _NEEDS_ESCAPE
    if _NEEDS_ESCAPE is None:
        _NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\\ud800-\udfff]')
    return _NEEDS_ESCAPE.search(text)


def quote(text):
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'  # the common case, by C-level checks only
    if not _needs_escape_search(text):
        return '"' + text + '"'
    return '"' + "".join(_escape_char(ch) if _needs_escape(ch) else ch for ch in text) + '"'


# the standard library's C encoder, which escapes exactly as quote() does (`"`, `\\`, \\n, \\t,
# \\r, \\f, \\b, other control characters as \\u00xx in lower case, everything else as it is)
# but for lone surrogates (bytes that were not UTF-8), which must become \\ufffd
_C_COMPACT = None  # made on first use: text output never needs the json module


def encode_plain(value):
    """encode(value) in compact form, for a value known to hold no Encoded text: through the
    C encoder, whose output is the same (a lone surrogate sends it the slow way). The C
    encoder is made once and called directly: JSONEncoder.encode makes a new one per call."""
    global _C_COMPACT
    if _C_COMPACT is None:
        import json
        from json import encoder

        if encoder.c_make_encoder is None:  # a Python built without _json
            whole = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                                     check_circular=False).encode
            _C_COMPACT = lambda value, _level: (whole(value),)  # noqa: E731
        else:
            default = json.JSONEncoder().default  # raises TypeError, as encode() does
            _C_COMPACT = encoder.c_make_encoder(None, default, encoder.encode_basestring,
                                                None, ":", ",", False, False, True)
    text = "".join(_C_COMPACT(value, 0))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return encode(value)
    return text


def encode(value, pretty=False, depth=0):
    """`value` (dict, list, tuple, str, int, bool, None, Encoded) as text; `depth` is its
    nesting level."""
    if isinstance(value, Encoded):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, float):
        return repr(value)
    eol = ("\n" + "    " * depth) if pretty else ""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ("\n" + "    " * (depth + 1)) if pretty else ""
        colon = ": " if pretty else ":"
        parts = [inner + quote(k) + colon + encode(v, pretty, depth + 1) for k, v in value.items()]
        return "{" + ",".join(parts) + eol + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + ",".join(encode(v, pretty, depth + 1) for v in value) + eol + "]"
    raise TypeError("cannot encode %r" % type(value))


class JsonStream:
    """A JSON document written as it is produced: one top-level value, or a top-level array
    whose elements arrive one at a time. close() ends any open array and the line.

    Each call writes once, after updating its state, so that a write that completes just
    before Ctrl-C stops the command leaves the stream ready for the closing error."""

    def __init__(self, out, pretty=False):
        self.out = out
        self.pretty = pretty
        self._in_array = False
        self._count = 0
        self._lines = False
        self.complete = False  # a whole top-level value is out: nothing may follow it

    def line(self, value):
        """One value on a line of its own, always compact: JSON Lines, for streams of
        documents (`prog top -j`), which then end without an extra newline."""
        self._lines = True
        self.out.write(encode(value) + "\n")

    def begin_array(self):
        self._in_array = True
        self._count = 0
        self.out.write("[")

    def _elements(self, text, count):
        first = not self._count
        self._count += count
        self.out.write(text if first else "," + text)

    def element_text(self, value, plain=False):
        """An array element's text (for encoded()); `plain` as for value()."""
        return (encode_plain(value) if plain and not self.pretty
                else encode(value, self.pretty, 1))

    def value(self, value, plain=False):
        """`plain`: the value holds no Encoded text (encoded faster when compact)."""
        if self._in_array:
            self._elements(self.element_text(value, plain), 1)
        else:
            text = (encode_plain(value) if plain and not self.pretty
                    else encode(value, self.pretty, 0))
            self.complete = True
            self.out.write(text)

    def encoded(self, items):
        """Array elements already encoded at nesting level 1."""
        if items:
            self._elements(",".join(items), len(items))

    def encoded_run(self, text, count):
        """`count` array elements already encoded at nesting level 1, each preceded by a
        comma."""
        if count:
            self._elements(text[1:], count)

    def end_array(self):
        self._in_array = False
        self.complete = True
        self.out.write("\n]" if self._count and self.pretty else "]")

    def close(self):
        if self._in_array:
            self.end_array()
        if not self._lines:
            self.out.write("\n")
        self.out.flush()
