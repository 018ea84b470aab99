"""Untrusted text (names, paths, comm) made safe for a terminal."""

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")


def _escape(match):
    ch = match.group()
    code = ord(ch)
    if code >= 0xDC80:
        code -= 0xDC00  # a byte that was not UTF-8
    return "\\x%02x" % code


def safe(text):
    """Control characters and bytes that are not UTF-8 as \\xNN."""
    return _UNSAFE.sub(_escape, text)


_UNSAFE_IN_SOURCE = re.compile("[\x00-\x08\x0a-\x1f\x7f\udc80-\udcff]")


def safe_source(text):
    """As safe(), but tabs stay: source lines keep their alignment, as bpftool prints them."""
    return _UNSAFE_IN_SOURCE.sub(_escape, text)


_UNSAFE_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f\udc80-\udcff]")


def safe_block(text):
    """As safe(), for text made of whole lines: newlines and tabs stay."""
    return _UNSAFE_IN_BLOCK.sub(_escape, text)
