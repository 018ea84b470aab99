"""`prog show`, `map show` and `btf show` of hand-built records, text and JSON, against
bpftool's layouts (prog.c print_prog_plain/print_prog_json, map.c show_map_close_plain/json,
btf.c show_btf_plain/json; ../shared/spec/bpftool-output.md). Expected strings are written
out in full, from those formats."""

import io
import json as jsonlib

from bpfinspect import model
from bpfinspect.views import btf, make_output, prog
from bpfinspect.views import map as mapview
from bpfinspect.views.jsonw import encode
from tests.unit.records import LOADED_AT, bpf_map, btf_object, program

# --- prog show -------------------------------------------------------------------------------

README_TEXT = ("104: tracepoint  name sys_enter_bpf  tag fa8c2ee32e0604b5  gpl\n"
               "\tloaded_at 2026-11-26T07:00:56+0000  uid 0\n"
               "\txlated 224B  jited 164B  memlock 4096B  map_ids 26\n"
               "\tpids bpftrace(4081)\n")

README_JSON = ('{"id":104,"type":"tracepoint","name":"sys_enter_bpf","tag":"fa8c2ee32e0604b5",'
               '"gpl_compatible":true,"loaded_at":1795676456,"uid":0,"orphaned":false,'
               '"bytes_xlated":224,"jited":true,"bytes_jited":164,"bytes_memlock":4096,'
               '"map_ids":[26],"pids":[{"pid":4081,"comm":"bpftrace"}]}')


def everything():
    """A program with every optional part: an unknown type, no name, a device without a
    name here, statistics, not jited, orphaned, pins, owners, metadata."""
    return program(
        id=7, type=99, type_number=99, name="", tag="0011223344556677",
        run_time_ns=1500, run_cnt=3, recursion_misses=2,
        device=model.Device(3, 4, 4026531840, None), uid=1000, orphaned=True,
        bytes_xlated=16, bytes_jited=0, bytes_memlock=None, map_ids=(4, 5), btf_id=23,
        pinned=("/sys/fs/bpf/a", "/sys/fs/bpf/b"),
        pids=(model.Owner(1, "systemd"), model.Owner(2, "loader")),
        metadata=(model.MetadataVar("owner", "research", "research"),
                  model.MetadataVar("version", 2, 2)))


def test_prog_text_readme_example(utc):
    assert prog.text(program()) == README_TEXT


def test_prog_json_readme_example():
    assert encode(prog.json(program())) == README_JSON


def test_prog_text_every_optional_part(utc):
    assert prog.text(everything()) == (
        "7: type 99  tag 0011223344556677  offloaded_to ifindex 3 ns_dev 4 ns_ino 4026531840"
        "  gpl run_time_ns 1500 run_cnt 3 recursion_misses 2\n"
        "\tloaded_at 2026-11-26T07:00:56+0000  uid 1000\n"
        "\txlated 16B  not jited  orphaned  map_ids 4,5\n"
        "\tpinned /sys/fs/bpf/a\n"
        "\tpinned /sys/fs/bpf/b\n"
        "\tbtf_id 23\n"
        "\tpids systemd(1), loader(2)\n"
        "\tmetadata:\n"
        '\t\towner = "research"\n'
        "\t\tversion = 2\n")


def test_prog_json_every_optional_part():
    assert encode(prog.json(everything())) == (
        '{"id":7,"type":99,"tag":"0011223344556677","gpl_compatible":true,'
        '"run_time_ns":1500,"run_cnt":3,"recursion_misses":2,'
        '"dev":{"ifindex":3,"ns_dev":4,"ns_inode":4026531840},'
        '"loaded_at":1795676456,"uid":1000,"orphaned":true,"bytes_xlated":16,"jited":false,'
        '"map_ids":[4,5],"btf_id":23,"pinned":["/sys/fs/bpf/a","/sys/fs/bpf/b"],'
        '"pids":[{"pid":1,"comm":"systemd"},{"pid":2,"comm":"loader"}],'
        '"metadata":{"owner":"research","version":2}}')


def test_prog_bare_minimum(utc):
    """No name, not GPL, no load time, no maps, no memlock (fdinfo unread), no pins looked
    up (-f not given): only what bpftool prints unconditionally."""
    p = program(id=1, type="kprobe", name="", gpl_compatible=False, loaded_at=None,
                bytes_memlock=None, map_ids=(), pids=())
    assert prog.text(p) == "1: kprobe  tag fa8c2ee32e0604b5\n\txlated 224B  jited 164B\n"
    assert encode(prog.json(p)) == (
        '{"id":1,"type":"kprobe","tag":"fa8c2ee32e0604b5","gpl_compatible":false,'
        '"orphaned":false,"bytes_xlated":224,"jited":true,"bytes_jited":164}')


def test_prog_device_with_a_name():
    p = program(device=model.Device(2, 3, 4, "eth0"))
    assert prog.header_text(p) == (
        "104: tracepoint  name sys_enter_bpf  tag fa8c2ee32e0604b5  offloaded_to eth0  gpl\n")
    assert prog.json(p)["dev"] == {"ifindex": 2, "ns_dev": 3, "ns_inode": 4, "ifname": "eth0"}


def test_prog_pins_looked_up_but_none():
    """With -f, bpftool's JSON has "pinned":[] for an object pinned nowhere; the text has no
    line."""
    p = program(pinned=())
    assert "pinned" not in prog.text(p)
    assert prog.json(p)["pinned"] == []


def test_prog_loaded_at_in_local_time(timezone):
    timezone("EET-2")
    assert "\tloaded_at 2026-11-26T09:00:56+0200  uid 0\n" in prog.text(program())
    assert prog.json(program())["loaded_at"] == LOADED_AT


def test_prog_text_escapes_untrusted_names(utc):
    p = program(name="a\nb", pids=(model.Owner(9, "x\x1b[31m"),), pinned=("/sys/fs/bpf/\t",),
                metadata=(model.MetadataVar("k\x07", "v\n", "v\n"),))
    out = prog.text(p)
    assert out.startswith("104: tracepoint  name a\\x0ab  tag ")
    assert "\n\tpinned /sys/fs/bpf/\\x09\n" in out
    assert "\n\tpids x\\x1b[31m(9)\n" in out
    assert out.endswith('\tmetadata:\n\t\tk\\x07 = "v\\n"\n')
    assert jsonlib.loads(encode(prog.json(p)))["name"] == "a\nb"


def test_prog_show_pretty_json():
    assert encode(prog.json(program()), pretty=True) == (
        '{\n'
        '    "id": 104,\n'
        '    "type": "tracepoint",\n'
        '    "name": "sys_enter_bpf",\n'
        '    "tag": "fa8c2ee32e0604b5",\n'
        '    "gpl_compatible": true,\n'
        '    "loaded_at": 1795676456,\n'
        '    "uid": 0,\n'
        '    "orphaned": false,\n'
        '    "bytes_xlated": 224,\n'
        '    "jited": true,\n'
        '    "bytes_jited": 164,\n'
        '    "bytes_memlock": 4096,\n'
        '    "map_ids": [26\n'
        '    ],\n'
        '    "pids": [{\n'
        '            "pid": 4081,\n'
        '            "comm": "bpftrace"\n'
        '        }\n'
        '    ]\n'
        '}')


# --- map show --------------------------------------------------------------------------------

def test_map_text_spec_example():
    assert mapview.text(bpf_map()) == (
        "52: array  name counters  flags 0x0\n"
        "\tkey 4B  value 8B  max_entries 8  memlock 376B\n"
        "\tbtf_id 23\n")


def test_map_json_spec_example():
    assert encode(mapview.json(bpf_map())) == (
        '{"id":52,"type":"array","name":"counters","flags":0,"bytes_key":4,"bytes_value":8,'
        '"max_entries":8,"bytes_memlock":376,"frozen":0,"btf_id":23}')


def prog_array():
    return bpf_map(id=3, type="prog_array", type_number=3, name="jmp_table", flags=0x480,
                   bytes_value=4, max_entries=4, bytes_memlock=4096,
                   owner_prog_type="socket_filter", owner_jited=True, frozen=1, btf_id=0,
                   pinned=("/sys/fs/bpf/jmp",), pids=(model.Owner(77, "loader"),))


def test_map_prog_array_frozen_pinned_owned():
    m = prog_array()
    assert mapview.text(m) == (
        "3: prog_array  name jmp_table  flags 0x480\n"
        "\tkey 4B  value 4B  max_entries 4  memlock 4096B\n"
        "\towner_prog_type socket_filter  owner jited\n"
        "\tpinned /sys/fs/bpf/jmp\n"
        "\tfrozen\n"
        "\tpids loader(77)\n")
    assert encode(mapview.json(m)) == (
        '{"id":3,"type":"prog_array","name":"jmp_table","flags":1152,"bytes_key":4,'
        '"bytes_value":4,"max_entries":4,"bytes_memlock":4096,'
        '"owner_prog_type":"socket_filter","owner_jited":true,"frozen":1,'
        '"pinned":["/sys/fs/bpf/jmp"],"pids":[{"pid":77,"comm":"loader"}]}')


def test_map_prog_array_of_an_unknown_program_type_not_jited():
    m = bpf_map(id=4, type="prog_array", type_number=3, name="", bytes_value=4,
                bytes_memlock=None, owner_prog_type=77, owner_jited=False, btf_id=0)
    assert mapview.text(m) == (
        "4: prog_array  flags 0x0\n"
        "\tkey 4B  value 4B  max_entries 8\n"
        "\towner_prog_type 77  owner not jited\n")
    assert encode(mapview.json(m)) == (
        '{"id":4,"type":"prog_array","flags":0,"bytes_key":4,"bytes_value":4,'
        '"max_entries":8,"owner_prog_type":77,"owner_jited":false,"frozen":0}')


def test_map_unknown_type_offloaded_btf_and_frozen():
    m = bpf_map(id=9, type=99, type_number=99, name="", device=model.Device(2, 3, 4, "eth0"),
                bytes_key=0, bytes_value=4, max_entries=1, bytes_memlock=None, frozen=1,
                btf_id=9)
    assert mapview.text(m) == (
        "9: type 99  flags 0x0  offloaded_to eth0\n"
        "\tkey 0B  value 4B  max_entries 1\n"
        "\tbtf_id 9  frozen\n")
    assert encode(mapview.json(m)) == (
        '{"id":9,"type":99,"flags":0,'
        '"dev":{"ifindex":2,"ns_dev":3,"ns_inode":4,"ifname":"eth0"},'
        '"bytes_key":0,"bytes_value":4,"max_entries":1,"frozen":1,"btf_id":9}')


def test_map_device_without_a_name():
    m = bpf_map(device=model.Device(5, 6, 7, None))
    assert mapview.header_text(m) == (
        "52: array  name counters  flags 0x0  offloaded_to ifindex 5 ns_dev 6 ns_ino 7\n")


# --- btf show --------------------------------------------------------------------------------

def test_btf_spec_example():
    b = btf_object()
    assert btf.text(b) == "14: name <anon>  size 2383B  prog_ids 1398  map_ids 44,40,41,43\n"
    assert encode(btf.json(b)) == (
        '{"id":14,"size":2383,"prog_ids":[1398],"map_ids":[44,40,41,43],"kernel":false}')


def test_btf_kernel_and_module():
    vmlinux = btf_object(id=1, size=5781234, name="vmlinux", kernel=True, prog_ids=(),
                         map_ids=())
    module = btf_object(id=2, size=300, name="nf_tables", kernel=True, prog_ids=(),
                        map_ids=())
    assert btf.text(vmlinux) == "1: name [vmlinux]  size 5781234B\n"
    assert btf.text(module) == "2: name [nf_tables]  size 300B\n"
    assert encode(btf.json(vmlinux)) == (
        '{"id":1,"size":5781234,"prog_ids":[],"map_ids":[],"kernel":true,"name":"vmlinux"}')


def test_btf_named_with_owners():
    """pids come before "kernel" in bpftool's JSON (show_btf_json)."""
    b = btf_object(id=20, size=100, name="my_btf", prog_ids=(), map_ids=(6,),
                   pids=(model.Owner(5, "x"),))
    assert btf.text(b) == "20: name my_btf  size 100B  map_ids 6\n\tpids x(5)\n"
    assert encode(btf.json(b)) == (
        '{"id":20,"size":100,"prog_ids":[],"map_ids":[6],"pids":[{"pid":5,"comm":"x"}],'
        '"kernel":false,"name":"my_btf"}')


# --- through the Output interface -------------------------------------------------------------

def _show(kind, items, fmt, pretty=False, listing=False):
    out = io.StringIO()
    output = make_output(fmt, out, pretty=pretty)
    output.objects(kind, items, listing=listing)
    output.close()
    return out.getvalue()


def test_output_routes_show_to_each_view(utc):
    assert _show("prog", [program()], "text") == README_TEXT
    assert _show("prog", [program()], "json") == README_JSON + "\n"
    assert _show("map", [bpf_map(), prog_array()], "text") == (
        mapview.text(bpf_map()) + mapview.text(prog_array()))
    assert _show("btf", [btf_object()], "text") == (
        "14: name <anon>  size 2383B  prog_ids 1398  map_ids 44,40,41,43\n")


def test_output_json_arrays():
    """A selector matching one object: the object; several, or a listing: an array."""
    one = '{"id":14,"size":2383,"prog_ids":[1398],"map_ids":[44,40,41,43],"kernel":false}'
    assert _show("btf", [btf_object()], "json") == one + "\n"
    assert _show("btf", [btf_object()], "json", listing=True) == "[" + one + "]\n"
    assert _show("btf", [btf_object(), btf_object()], "json") == "[%s,%s]\n" % (one, one)
    assert _show("btf", [], "json", listing=True) == "[]\n"


def test_output_pretty_listing():
    assert _show("map", [bpf_map()], "json", pretty=True, listing=True) == (
        '[{\n'
        '        "id": 52,\n'
        '        "type": "array",\n'
        '        "name": "counters",\n'
        '        "flags": 0,\n'
        '        "bytes_key": 4,\n'
        '        "bytes_value": 8,\n'
        '        "max_entries": 8,\n'
        '        "bytes_memlock": 376,\n'
        '        "frozen": 0,\n'
        '        "btf_id": 23\n'
        '    }\n'
        ']\n')
    assert _show("map", [], "json", pretty=True, listing=True) == "[]\n"


def test_plain_json_through_the_c_encoder_is_what_encode_gives():
    """encode_plain() (the standard library's C encoder) escapes exactly as encode(): quotes,
    backslashes, control characters in lower-case \\u00xx, DEL and non-ASCII as they are,
    bytes that were not UTF-8 (lone surrogates) as \\ufffd."""
    from bpfinspect.views.jsonw import encode_plain

    for value in ({"name": 'a"b\\c\n\t\r\f\b\x01\x1f\x7f é 漢'}, {"comm": "x\udcff", "n": [1, 2]},
                  [{"id": 1, "ok": True, "no": False, "none": None, "ids": (3, 4)}], {},
                  {"pids": [{"pid": 9, "comm": "\x1b[31m"}], "v": -5, "f": 1.5}):
        assert encode_plain(value) == encode(value)
    assert encode_plain({"comm": "x\udcff"}) == '{"comm":"x\\ufffd"}'
