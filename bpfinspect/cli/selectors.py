"""bpftool's object selectors: PROG := id ID | pinned FILE | tag TAG | name NAME, and MAP, BTF."""

import re

from bpfinspect.constants import BPF_OBJ_NAME_LEN, MAX_PROG_FULL_NAME
from bpfinspect.errors import UsageError

# keywords per object kind, in the order bpftool tries them as prefixes
KEYWORDS = {
    "prog": ("id", "tag", "name", "pinned"),
    "map": ("id", "name", "pinned"),
    "btf": ("id",),
    "link": ("id", "pinned"),
}


def is_prefix(word, full):
    return full.startswith(word)


def strtoul(text):
    """strtoul(text, &end, 0) truncated to 32 bits, or None when characters are left over."""
    m = re.fullmatch(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*|)", text)
    if m is None:
        return None
    sign, digits = m.groups()
    if digits == "":
        if sign or text.strip():
            return None
        return 0
    value = int(digits, 0) if not re.fullmatch(r"0[0-7]+", digits) else int(digits, 8)
    if sign == "-":
        value = -value
    return value & 0xFFFFFFFF


def parse_tag(text):
    """Eight bytes in hex, optionally separated by spaces or colons."""
    digits = re.sub(r"[\s:]", "", text)
    if not re.fullmatch(r"[0-9a-fA-F]{16}.*", digits):
        return None
    return bytes.fromhex(digits[:16])


def parse(kind, words):
    """A model.Selector from exactly two words, with bpftool's errors."""
    from bpfinspect.model import Selector  # here: `version` and `help` parse no selector
    keyword, value = words
    for name in KEYWORDS[kind]:
        if is_prefix(keyword, name):
            break
    else:
        if kind == "btf":
            raise UsageError("expected 'id', got: '%s'?" % keyword)
        names = ["'%s'" % k for k in KEYWORDS[kind]]
        raise UsageError("expected %s or %s, got: '%s'?" % (
            ", ".join(names[:-1]), names[-1], keyword))
    if name == "id":
        obj_id = strtoul(value)
        if obj_id is None:
            raise UsageError("can't parse %s as ID" % value)
        return Selector("id", obj_id)
    if name == "tag":
        tag = parse_tag(value)
        if tag is None:
            raise UsageError("can't parse tag")
        return Selector("tag", tag)
    if name == "name":
        limit = MAX_PROG_FULL_NAME if kind == "prog" else BPF_OBJ_NAME_LEN
        if len(value.encode("utf-8", "surrogateescape")) > limit - 1:
            raise UsageError("can't parse name")
        return Selector("name", value)
    return Selector("pinned", value)


def optional(kind, words):
    """`[PROG]`: None for no words, a Selector for two, bpftool's error otherwise."""
    if not words:
        return None
    if len(words) != 2:
        raise UsageError("what is '%s'?" % words[0])
    return parse(kind, words)
