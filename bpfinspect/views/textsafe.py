"""Untrusted text (names, paths, comm, source lines) made safe for a terminal: one rule for
every text view. C0 controls and DEL print as \\xNN, C1 controls (U+0080..U+009F, which
some terminals obey) as \\u00NN, and bytes that are not UTF-8 as \\xNN.

The patterns are compiled when first used: compiling them costs every command a few
milliseconds of start-up, and most commands print no untrusted text on some paths."""

import re

_PATTERNS = {
    "safe": "[\x00-\x1f\x7f-\x9f\udc80-\udcff]",
    "source": "[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udcff]",  # tabs stay
    "block": "[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff]",  # newlines and tabs stay
}
_compiled = {}


def _escape(match):
    ch = match.group()
    code = ord(ch)
    if code >= 0xDC80:
        code -= 0xDC00  # a byte that was not UTF-8
    elif code >= 0x80:
        return "\\u%04x" % code
    return "\\x%02x" % code


def _sub(kind, text):
    if text.isprintable():  # no control character, no byte that was not UTF-8: as it is
        return text
    pattern = _compiled.get(kind)
    if pattern is None:
        pattern = _compiled[kind] = re.compile(_PATTERNS[kind])
    return pattern.sub(_escape, text)


def safe(text):
    """Control characters and bytes that are not UTF-8 as \\xNN."""
    return _sub("safe", text)


def safe_source(text):
    """As safe(), but tabs stay: source lines keep their alignment, as bpftool prints them."""
    return _sub("source", text)


def safe_block(text):
    """As safe(), for text made of whole lines: newlines and tabs stay."""
    return _sub("block", text)
