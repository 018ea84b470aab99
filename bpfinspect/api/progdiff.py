"""`prog diff`: two programs' translated instructions (or a program's and a saved `-j prog
dump xlated`), compared function by function as unified diffs of their text, with what
differs between two loads of the same code normalised away: map ids become map names,
calls name their helper, kfunc or subprogram instead of an address or a pc offset.

A listing is a list of Insn-like entries (index, proto, src, disasm) built either from a
model.Xlated (with the text `prog dump xlated` prints) or from a saved JSON dump."""

import bisect
import difflib
import json
import re

from bpfinspect import model
from bpfinspect.errors import BpfError, NoSuchObject
from bpfinspect.isa.printer import text as insn_text
from bpfinspect.kernel import info, objects, uapi
from bpfinspect.kernel import symbols as ksym
from bpfinspect.views.listing import annotations, ltrim

CONTEXT = 3  # lines of context around a change, as diff -u

_OPCODE = re.compile(r"\([0-9a-f]{2}\) ")
_CALL_PC = re.compile(r"\bcall pc([+-]\d+)(?:#\S*)?")
_SUBPROG = re.compile(r"\bsubprog\[([+-]\d+)\]")
_CALL_NAMED = re.compile(r"\bcall (\S+)#(-?\d+)$")
_MAP = re.compile(r"\bmap\[id:(\d+)\]")
_KADDR = re.compile(r"\b0x(ffff[0-9a-f]{12})\b")
_PROTO_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


class Entry:
    """One instruction: its slot index, the prototype and source line `prog dump xlated`
    prints before it (None when none), its text."""

    __slots__ = ("index", "proto", "src", "disasm")

    def __init__(self, index, proto, src, disasm):
        self.index, self.proto, self.src, self.disasm = index, proto, src, disasm


class Listing:
    """A program's entries, its label (`id 12 (name foo)` or a file's path) and its maps'
    names by id (None for a saved file: its ids name maps of another time or host)."""

    def __init__(self, label, entries, map_names=None, kernel_names=None):
        self.label = label
        self.entries = entries
        self.map_names = map_names
        self.kernel_names = kernel_names or {}  # kernel address -> symbol (kallsyms)


def program_label(program):
    return "id %u (name %s)" % (program.id, program.name) if program.name else \
        "id %u" % program.id


def map_names(map_ids):
    """{map id: name} of the maps that still exist ("" for an unnamed one)."""
    out = {}
    for map_id in map_ids:
        try:
            with objects.open_by_id("map", map_id) as obj:
                out[map_id] = uapi.cstr(info.map_info(obj.fd).name)
        except NoSuchObject:
            pass
    return out


def same_by_tag(a, b):
    """True when programs `a` and `b` (model.Program) are the same without reading their
    instructions: equal tags (which cover the code, not which maps it uses) and maps of
    the same names."""
    if a.tag != b.tag:
        return False
    return sorted(map_names(a.map_ids).values()) == sorted(map_names(b.map_ids).values())


def from_xlated(x, names):
    """Listing of model.Xlated `x`; `names` from map_names()."""
    image = x.image
    texts = {k: insn_text(insn, x.symbols) for k, insn in image.distinct.items()}
    notes = annotations(x)
    entries = []
    for ordinal, (index, key) in enumerate(zip(image.indices, image.keys)):
        proto = src = None
        note = notes.get(ordinal)
        if note is not None:
            proto = note[0] or None
            if note[1] is not None and note[1].text is not None:
                src = ltrim(note[1].text)
        entries.append(Entry(index, proto, src, texts[key]))
    addresses = set(int(m.group(1), 16) for t in texts.values() if "0xffff" in t
                    for m in _KADDR.finditer(t))
    kernel_names = ksym.resolve((), addresses)[1] if addresses else {}
    return Listing(program_label(x.program), entries, names, kernel_names)


def from_file(path):
    """Listing of a saved `-j prog dump xlated` of one program; BpfError when `path` cannot
    be read or is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise BpfError("can't read %s: %s" % (path, exc.strerror)) from None
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BpfError("%s is not JSON: expected a saved '-j prog dump xlated' of one "
                       "program" % path) from None
    if (not isinstance(doc, list) or not doc
            or not all(isinstance(d, dict) and isinstance(d.get("disasm"), str)
                       and _OPCODE.match(d["disasm"])
                       and isinstance(d.get("proto", ""), str)
                       and isinstance(d.get("src", ""), str) for d in doc)):
        raise BpfError("%s is not a saved '-j prog dump xlated' of one program (an array "
                       "of instructions, each with its \"disasm\")" % path)
    entries, index = [], 0
    for d in doc:
        entries.append(Entry(index, d.get("proto") or None, d.get("src"), d["disasm"]))
        index += 2 if d["disasm"].startswith("(18)") else 1
    return Listing(path, entries)


class Function:
    __slots__ = ("name", "start", "proto", "entries")

    def __init__(self, name, start, proto, entries):
        self.name, self.start, self.proto, self.entries = name, start, proto, entries


def _call_target(entry, m):
    return entry.index + int(m.group(1)) + 1


def functions(listing):
    """The listing's functions: where BTF func info gives prototypes, one per prototype,
    named by it; otherwise the entry and each subprogram a call or a callback reference
    reaches, named func_0 (the entry), func_1, ... in order."""
    entries = listing.entries
    if not entries:
        return []
    starts = {}
    for e in entries:
        if e.proto:
            m = _PROTO_NAME.search(e.proto)
            starts[e.index] = (m.group(1) if m else None, e.proto)
    if not starts:
        present = {e.index for e in entries}
        targets = {entries[0].index}
        for e in entries:
            for pattern in (_CALL_PC, _SUBPROG):
                m = pattern.search(e.disasm)
                if m is not None and _call_target(e, m) in present:
                    targets.add(_call_target(e, m))
        starts = {t: (None, None) for t in targets}
    if entries[0].index not in starts:
        starts[entries[0].index] = (None, None)
    order = sorted(starts)
    indices = [e.index for e in entries]
    out, seen = [], set()
    for n, start in enumerate(order):
        first = bisect.bisect_left(indices, start)
        last = bisect.bisect_left(indices, order[n + 1]) if n + 1 < len(order) else None
        name, proto = starts[start]
        if name is None or name in seen:
            name = "func_%d" % n
        seen.add(name)
        out.append(Function(name, start, proto, entries[first:last]))
    return out


class Normaliser:
    """Each instruction's text with map ids, kernel addresses and call targets replaced by
    names. Maps and kernel addresses are named (map[stats], &init_task) where both sides
    are programs; where a side is a saved file, whose ids and addresses belong to another
    time or host, each side's maps are numbered in order of first use (map[#1], map[#2],
    ...) and every kernel address reads <kernel address>."""

    def __init__(self, listing, funcs, by_name):
        self.names = listing.map_names if by_name else None
        self.kernel_names = listing.kernel_names if by_name else {}
        self.numbers = {}
        self.func_at = {f.start: f.name for f in funcs}

    def _map(self, m):
        map_id = int(m.group(1))
        if self.names is not None and self.names.get(map_id):
            return "map[%s]" % self.names[map_id]
        number = self.numbers.setdefault(map_id, len(self.numbers) + 1)
        return "map[#%d]" % number

    def _address(self, m):
        name = self.kernel_names.get(int(m.group(1), 16))
        return "&" + name if name else "<kernel address>"

    def text(self, entry):
        s = entry.disasm
        if "map[id:" in s:
            s = _MAP.sub(self._map, s)
        if "call " in s:
            m = _CALL_PC.search(s)
            if m is not None:
                target = _call_target(entry, m)
                s = s[:m.start()] + "call " + self.func_at.get(target, "pc%+d" % (
                    target - entry.index - 1)) + s[m.end():]
            else:
                m = _CALL_NAMED.search(s)
                if m is not None:
                    name = m.group(1)
                    s = s[:m.start()] + ("call %s" % name if not name.startswith("0x")
                                         else "call ?#%s" % m.group(2))
        if "subprog[" in s:
            s = _SUBPROG.sub(lambda m: "subprog[%s]" % self.func_at.get(
                _call_target(entry, m), m.group(1)), s)
        if "0xffff" in s:
            s = _KADDR.sub(self._address, s)
        return s


def _lines(func, normaliser, with_src):
    out = []
    if func.proto:
        out.append(func.proto + ":")
    for e in func.entries:
        if with_src and e.src is not None:
            out.append("; " + e.src)
        out.append(normaliser.text(e))
    return out


def _hunks(a, b):
    out = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(
            CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines.extend(" " + s for s in a[a1:a2])
                continue
            if tag in ("replace", "delete"):
                lines.extend("-" + s for s in a[a1:a2])
            if tag in ("replace", "insert"):
                lines.extend("+" + s for s in b[b1:b2])
        # as unified_diff's ranges: an empty range starts at the line before it
        out.append(model.DiffHunk(old_start=i1 + 1 if i2 > i1 else i1, old_lines=i2 - i1,
                                  new_start=j1 + 1 if j2 > j1 else j1, new_lines=j2 - j1,
                                  lines=tuple(lines)))
    return tuple(out)


def compare(old, new):
    """model.ProgDiff of Listing `old` and Listing `new`."""
    by_name = old.map_names is not None and new.map_names is not None
    old_funcs, new_funcs = functions(old), functions(new)
    old_norm = Normaliser(old, old_funcs, by_name)
    new_norm = Normaliser(new, new_funcs, by_name)
    with_src = (any(e.src is not None for e in old.entries)
                and any(e.src is not None for e in new.entries))
    # the entry functions are paired whatever their names; the others by name
    pairs = []
    old_by_name = {f.name: f for f in old_funcs[1:]}
    for k, f in enumerate(new_funcs):
        if k == 0 and old_funcs:
            pairs.append((old_funcs[0], f))
        else:
            pairs.append((old_by_name.pop(f.name, None), f))
    pairs.extend((f, None) for f in old_funcs[1:] if f.name in old_by_name)
    out = []
    for a, b in pairs:
        a_lines = _lines(a, old_norm, with_src) if a is not None else []
        b_lines = _lines(b, new_norm, with_src) if b is not None else []
        hunks = _hunks(a_lines, b_lines)
        status = ("added" if a is None else "removed" if b is None
                  else "changed" if hunks else "same")
        name = b.name if b is not None else a.name
        out.append(model.FunctionDiff(name=name, old_name=a.name if a is not None else None,
                                      status=status, hunks=hunks))
    return model.ProgDiff(old=old.label, new=new.label,
                          same=all(f.status == "same" for f in out), by_tag=False,
                          functions=tuple(out))


def same(old_label, new_label):
    """model.ProgDiff of two programs found the same by their tags."""
    return model.ProgDiff(old=old_label, new=new_label, same=True, by_tag=True, functions=())
