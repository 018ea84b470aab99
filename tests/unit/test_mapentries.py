"""`map dump`, `lookup`, `getnext` of hand-built MapDumps, in bpftool's layouts (map.c:
print_entry_plain, print_entry_error, print_entry_json, map_dump;
../shared/spec/bpftool-output.md, `map dump`). Chunks are what the kernel layer hands the
views: packed (keys, values, n) tuples and lists of (key, value bytes or errno)."""

import errno
import io
import struct

from bpfinspect import model
from bpfinspect.btfparse.parser import Btf
from bpfinspect.views import make_output, mapentries
from tests.unit.records import bpf_map, layout


def le32(*values):
    return b"".join(struct.pack("<I", v & 0xFFFFFFFF) for v in values)


def le64(*values):
    return b"".join(struct.pack("<Q", v) for v in values)


def dump(dumps, fmt, pretty=False):
    """What `[-j] map dump` writes for the MapDumps `dumps` (chunks: lists, consumed once)."""
    out = io.StringIO()
    output = make_output(fmt, out, pretty=pretty)
    output.map_dump(dumps)
    output.close()
    return out.getvalue()


def entry(lay, key, value):
    """print_entry_plain of one entry."""
    return mapentries.plain_entry(lay, mapentries.tokens(key),
                                  mapentries.value_tokens(lay, value),
                                  mapentries.inner_id(value))


# --- one entry, plain ---------------------------------------------------------------------------

def test_small_entry_on_one_line():
    """Key and value each at most 16 bytes and together at most 24: one line."""
    lay = layout(key_size=4, value_size=8)
    assert entry(lay, le32(1), le64(7)) == (
        "key: 01 00 00 00  value: 07 00 00 00 00 00 00 00\n")
    lay = layout(key_size=8, value_size=16)
    assert entry(lay, bytes(range(8)), bytes(range(16))) == (
        "key: 00 01 02 03 04 05 06 07  value: 00 01 02 03 04 05 06 07  "
        "08 09 0a 0b 0c 0d 0e 0f\n")


def test_entry_over_24_bytes_on_two_lines():
    lay = layout(key_size=12, value_size=16)
    assert entry(lay, bytes(12), bytes(range(16))) == (
        "key: 00 00 00 00 00 00 00 00  00 00 00 00\n"
        "value: 00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n")


def test_large_entry_names_on_their_own_lines():
    """A key or value over 16 bytes: `key:` and `value:` alone on their lines; hex wraps at
    16 bytes, with a double space after 8."""
    lay = layout(key_size=4, value_size=20)
    assert entry(lay, le32(0), bytes(range(20))) == (
        "key:\n00 00 00 00\n"
        "value:\n00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10 11 12 13\n")
    lay = layout(key_size=17, value_size=4)
    assert entry(lay, bytes(range(17)), le32(9)) == (
        "key:\n00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10\n"
        "value:\n09 00 00 00\n")


def test_no_key():
    """Queues and stacks: no key line."""
    lay = layout(key_size=0, value_size=4)
    assert entry(lay, b"", le32(5)) == "value: 05 00 00 00\n"


def test_per_cpu_values():
    """`key:` on its own line, then `value (CPU NN):` per CPU; values over 16 bytes on their
    own lines. Each CPU's value is value_size rounded up to 8 apart."""
    lay = layout(kind="per_cpu", key_size=4, value_size=4, ncpus=2)
    assert lay.value_stride == 8
    assert entry(lay, le32(3), le32(1) + bytes(4) + le32(2) + bytes(4)) == (
        "key:\n03 00 00 00\n"
        "value (CPU 00): 01 00 00 00\n"
        "value (CPU 01): 02 00 00 00\n")
    lay = layout(kind="per_cpu", key_size=4, value_size=20, ncpus=2)
    value = bytes(range(20)) + bytes(4) + bytes(range(20, 40)) + bytes(4)
    assert entry(lay, le32(0), value) == (
        "key:\n00 00 00 00\n"
        "value (CPU 00):\n00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10 11 12 13\n"
        "value (CPU 01):\n14 15 16 17 18 19 1a 1b  1c 1d 1e 1f 20 21 22 23\n24 25 26 27\n")


def test_map_of_maps():
    """`inner_map_id: N ` (with bpftool's trailing space) instead of the value."""
    lay = layout(kind="map_of_maps", key_size=4, value_size=4)
    assert entry(lay, le32(0), le32(17)) == "key: 00 00 00 00  inner_map_id: 17 \n"


def test_lookup_errors():
    """A failed lookup: `<no entry>`, `<cannot read>` for a reuseport array, else
    strerror(); nothing for an empty slot of a program array or map of maps."""
    lay = layout(key_size=4, value_size=8)
    toks = mapentries.tokens(le32(1))
    assert mapentries.error_message(lay, errno.ENOENT) == "<no entry>"
    assert mapentries.plain_error(lay, toks, "<no entry>") == (
        "key: 01 00 00 00  value: <no entry>\n")
    message = mapentries.error_message(lay, errno.EPERM)
    assert message == "Operation not permitted"
    assert mapentries.plain_error(lay, toks, message) == (
        "key:\n01 00 00 00\nvalue:\nOperation not permitted\n")
    reuseport = layout(key_size=4, value_size=8,
                       map_record=bpf_map(type="reuseport_sockarray", type_number=20))
    assert mapentries.error_message(reuseport, errno.ENOSPC) == "<cannot read>"
    assert mapentries.error_message(layout(kind="prog_array"), errno.ENOENT) is None
    assert mapentries.error_message(layout(kind="map_of_maps"), errno.ENOENT) is None


# --- whole dumps, plain ---------------------------------------------------------------------

def test_dump_packed_chunks_and_count():
    lay = layout(key_size=4, value_size=8)
    chunks = [(le32(0, 1), le64(10, 11), 2), (le32(2), le64(12), 1)]
    assert dump([model.MapDump(lay, iter(chunks))], "text") == (
        "key: 00 00 00 00  value: 0a 00 00 00 00 00 00 00\n"
        "key: 01 00 00 00  value: 0b 00 00 00 00 00 00 00\n"
        "key: 02 00 00 00  value: 0c 00 00 00 00 00 00 00\n"
        "Found 3 elements\n")


def test_dump_lists_with_errors():
    """Entries that failed print their error and are not counted."""
    lay = layout(key_size=4, value_size=4)
    chunks = [[(le32(1), le32(5)), (le32(2), errno.ENOENT)]]
    assert dump([model.MapDump(lay, iter(chunks))], "text") == (
        "key: 01 00 00 00  value: 05 00 00 00\n"
        "key: 02 00 00 00  value: <no entry>\n"
        "Found 1 element\n")


def test_dump_empty():
    assert dump([model.MapDump(layout(), iter([]))], "text") == "Found 0 elements\n"


def test_dump_per_cpu_packed():
    lay = layout(kind="per_cpu", key_size=4, value_size=4, ncpus=2)
    chunks = [(le32(0, 1), le32(1, 0, 2, 0) + le32(3, 0, 4, 0), 2)]
    assert dump([model.MapDump(lay, iter(chunks))], "text") == (
        "key:\n00 00 00 00\nvalue (CPU 00): 01 00 00 00\nvalue (CPU 01): 02 00 00 00\n"
        "key:\n01 00 00 00\nvalue (CPU 00): 03 00 00 00\nvalue (CPU 01): 04 00 00 00\n"
        "Found 2 elements\n")


def test_dump_map_of_maps_skips_empty_slots():
    lay = layout(kind="map_of_maps", key_size=4, value_size=4)
    chunks = [[(le32(0), le32(17)), (le32(1), errno.ENOENT)]]
    assert dump([model.MapDump(lay, iter(chunks))], "text") == (
        "key: 00 00 00 00  inner_map_id: 17 \nFound 1 element\n")


def test_dump_several_maps():
    """Each map under its `map show` header line, a blank line between maps."""
    a = layout(key_size=4, value_size=4,
               map_record=bpf_map(id=1, name="a", bytes_key=4, bytes_value=4, btf_id=0))
    b = layout(key_size=4, value_size=4,
               map_record=bpf_map(id=2, type="hash", name="b", bytes_key=4, bytes_value=4,
                                  btf_id=0))
    dumps = [model.MapDump(a, iter([(le32(0), le32(1), 1)])), model.MapDump(b, iter([]))]
    assert dump(dumps, "text") == (
        "1: array  name a  flags 0x0\n"
        "key: 00 00 00 00  value: 01 00 00 00\n"
        "Found 1 element\n"
        "\n"
        "2: hash  name b  flags 0x0\n"
        "Found 0 elements\n")


# --- JSON ---------------------------------------------------------------------------------------

def test_dump_json():
    lay = layout(key_size=4, value_size=4)
    chunks = [(le32(0), le32(1), 1), [(le32(2), le32(3)), (le32(4), errno.EPERM)]]
    assert dump([model.MapDump(lay, iter(chunks))], "json") == (
        '[{"key":["0x00","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00"]},'
        '{"key":["0x02","0x00","0x00","0x00"],"value":["0x03","0x00","0x00","0x00"]},'
        '{"key":["0x04","0x00","0x00","0x00"],"value":{"error":"Operation not permitted"}}'
        ']\n')


def test_dump_json_per_cpu_and_map_of_maps():
    lay = layout(kind="per_cpu", key_size=4, value_size=4, ncpus=2)
    assert dump([model.MapDump(lay, iter([(le32(1), le32(5, 0, 6, 0), 1)]))], "json") == (
        '[{"key":["0x01","0x00","0x00","0x00"],"values":['
        '{"cpu":0,"value":["0x05","0x00","0x00","0x00"]},'
        '{"cpu":1,"value":["0x06","0x00","0x00","0x00"]}]}]\n')
    lay = layout(kind="map_of_maps", key_size=4, value_size=4)
    chunks = [[(le32(0), le32(17)), (le32(1), errno.ENOENT)]]
    assert dump([model.MapDump(lay, iter(chunks))], "json") == (
        '[{"key":["0x00","0x00","0x00","0x00"],"value":["0x11","0x00","0x00","0x00"],'
        '"inner_map_id":17}]\n')


def test_dump_json_pretty():
    lay = layout(key_size=4, value_size=4)
    assert dump([model.MapDump(lay, iter([(le32(1, 2), le32(3, 4), 2)]))], "json",
                pretty=True) == (
        '[{\n'
        '        "key": ["0x01","0x00","0x00","0x00"\n'
        '        ],\n'
        '        "value": ["0x03","0x00","0x00","0x00"\n'
        '        ]\n'
        '    },{\n'
        '        "key": ["0x02","0x00","0x00","0x00"\n'
        '        ],\n'
        '        "value": ["0x04","0x00","0x00","0x00"\n'
        '        ]\n'
        '    }\n'
        ']\n')
    assert dump([model.MapDump(lay, iter([]))], "json", pretty=True) == "[]\n"


def test_dump_json_several_maps():
    a = layout(key_size=4, value_size=4,
               map_record=bpf_map(id=1, name="a", bytes_key=4, bytes_value=4, btf_id=0))
    dumps = [model.MapDump(a, iter([(le32(0), le32(1), 1)])), model.MapDump(a, iter([]))]
    assert dump(dumps, "json") == (
        '[{"id":1,"type":"array","name":"a","flags":0,"elements":['
        '{"key":["0x00","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00"]}]},'
        '{"id":1,"type":"array","name":"a","flags":0,"elements":[]}]\n')


# --- with BTF ----------------------------------------------------------------------------------

def int_btf():
    """BTF with one type: [1] INT 'int' size=4 encoding=SIGNED."""
    types = struct.pack("<IIII", 1, 1 << 24, 4, 1 << 24 | 32)
    strings = b"\0int\0"
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types),
                         len(strings))
    return Btf(header + types + strings)


def btf_layout():
    return layout(key_size=4, value_size=4, btf=int_btf(), key_type_id=1, value_type_id=1,
                  map_record=bpf_map(bytes_key=4, bytes_value=4, btf_id=23))


def test_dump_with_btf_plain():
    """Maps with BTF print their formatted entries as pretty JSON, with no `Found` line."""
    chunks = [(le32(1, 2), le32(7, -1), 2)]
    assert dump([model.MapDump(btf_layout(), iter(chunks))], "text") == (
        '[{\n'
        '        "key": 1,\n'
        '        "value": 7\n'
        '    },{\n'
        '        "key": 2,\n'
        '        "value": -1\n'
        '    }\n'
        ']\n')


def test_dump_with_btf_json():
    chunks = [(le32(1), le32(7), 1)]
    assert dump([model.MapDump(btf_layout(), iter(chunks))], "json") == (
        '[{"key":["0x01","0x00","0x00","0x00"],"value":["0x07","0x00","0x00","0x00"],'
        '"formatted":{"key":1,"value":7}}]\n')


# --- lookup, peek, getnext ---------------------------------------------------------------------

def test_lookup_and_getnext():
    lay = layout(key_size=4, value_size=4)
    out = io.StringIO()
    text = make_output("text", out)
    text.map_entry(lay, le32(1), le32(2))
    text.map_not_found(lay, le32(3))
    text.map_next_key(lay, None, le32(1))
    text.map_next_key(lay, le32(1), le32(2))
    assert out.getvalue() == (
        "key: 01 00 00 00  value: 02 00 00 00\n"
        "key:\n03 00 00 00\n\nNot found\n"
        "key: None\nnext key:\n01 00 00 00\n"
        "key:\n01 00 00 00\nnext key:\n02 00 00 00\n")
    for call, args, expected in [
            ("map_entry", (le32(1), le32(2)),
             '{"key":["0x01","0x00","0x00","0x00"],"value":["0x02","0x00","0x00","0x00"]}\n'),
            ("map_not_found", (le32(3),), "null\n"),
            ("map_next_key", (None, le32(1)),
             '{"key":null,"next_key":["0x01","0x00","0x00","0x00"]}\n')]:
        out = io.StringIO()
        output = make_output("json", out)
        getattr(output, call)(lay, *args)
        output.close()
        assert out.getvalue() == expected, call


def test_lookup_with_btf_plain():
    out = io.StringIO()
    make_output("text", out).map_entry(btf_layout(), le32(1), le32(7))
    assert out.getvalue() == '{\n    "key": 1,\n    "value": 7\n}\n'
