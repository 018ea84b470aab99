"""`prog tracelog`: the trace pipe's lines as they come, each written at once; JSON is an
array of the lines (with their newlines), closed when the stream is stopped."""

from bpfinspect.views.textsafe import safe


def write_text(out, lines):
    for line in lines:
        body = line[:-1] if line.endswith("\n") else line
        out.write(safe(body) + line[len(body):])
        out.flush()


def write_json(stream, lines):
    stream.begin_array()
    for line in lines:
        stream.value(line)
        stream.out.flush()
    stream.end_array()
