"""Just enough of a PDF reader to test Pressroom's own uncompressed fpdf2 output without pypdf.

fpdf2 writes text in an embedded TrueType subset as glyph codes, so the words are not in the
page streams as such: each font's ToUnicode CMap says which code is which character. This
reads the objects, the pages in order, each page's content stream and the text shown with
``Tj``, decoding it through the CMap of the font selected at that point. It knows nothing of
compressed streams, object streams or incremental updates (fpdf2 writes none of them here).
"""

from __future__ import annotations

import re

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.DOTALL)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_REF = rb"(\d+) 0 R"
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def objects(data: bytes) -> dict[int, bytes]:
    return {int(number): body for number, body in _OBJECT.findall(data)}


def _stream(body: bytes) -> bytes:
    match = _STREAM.search(body)
    assert match, "expected a stream"
    assert b"/Filter" not in body.split(b"stream", 1)[0], "the stream is compressed"
    return match.group(1)


def _cmap(stream: bytes) -> dict[bytes, str]:
    """Code → text from a ToUnicode CMap (bfchar entries and bfrange runs)."""
    mapping: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.DOTALL):
        for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[bytes.fromhex(source.decode())] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.DOTALL):
        for low, high, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>",
                                            block):
            width = len(low) // 2
            start, end, first = int(low, 16), int(high, 16), int(target, 16)
            for offset in range(end - start + 1):
                mapping[(start + offset).to_bytes(width, "big")] = chr(first + offset)
    return mapping


def _operations(content: bytes):
    """Yield ("font", name) for each ``/Fn size Tf``, ("text", raw bytes) for each ``(…) Tj``,
    ("save", None) / ("restore", None) for ``q`` / ``Q`` and ("end", None) for ``ET``."""
    i, n = 0, len(content)
    while i < n:
        char = content[i:i + 1]
        at_token_start = i == 0 or content[i - 1:i].isspace()
        token = re.match(rb"(q|Q|ET)(?=\s|$)", content[i:]) if at_token_start else None
        if token:
            yield {b"q": "save", b"Q": "restore", b"ET": "end"}[token.group(1)], None
            i += token.end()
        elif char == b"/":
            match = re.match(rb"/(\w+)\s+[\d.]+\s+Tf", content[i:])
            if match:
                yield "font", match.group(1).decode()
                i += match.end()
                continue
            i += 1
        elif char == b"(":
            depth, i, raw = 1, i + 1, bytearray()
            while depth:
                byte = content[i:i + 1]
                if byte == b"\\":
                    following = content[i + 1:i + 2]
                    octal = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
                    if octal:
                        raw.append(int(octal.group(0), 8))
                        i += 1 + len(octal.group(0))
                        continue
                    raw += _ESCAPES.get(following, following)
                    i += 2
                    continue
                if byte == b"(":
                    depth += 1
                elif byte == b")":
                    depth -= 1
                    if not depth:
                        i += 1
                        break
                raw += byte
                i += 1
            yield "text", bytes(raw)
        else:
            i += 1


def page_count(data: bytes) -> int:
    found = re.search(rb"/Type /Pages\b", data)
    assert found
    return int(re.search(rb"/Count (\d+)", data).group(1))


def pages_text(data: bytes) -> list[str]:
    """The text of each page, a line per text object (BT … ET)."""
    table = objects(data)
    pages_object = next(body for body in table.values() if re.search(rb"/Type /Pages\b", body))
    kids = [int(ref) for ref in re.findall(_REF, re.search(rb"/Kids \[(.*?)\]", pages_object, re.DOTALL)
                                           .group(1))]
    texts = []
    for kid in kids:
        page = table[kid]
        resources = table[int(re.search(rb"/Resources " + _REF, page).group(1))]
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", resources, re.DOTALL).group(1)
        fonts = {name.decode(): int(ref) for name, ref in re.findall(rb"/(\w+) " + _REF, font_dict)}
        cmaps = {name: _cmap(_stream(table[int(re.search(rb"/ToUnicode " + _REF, table[ref]).group(1))]))
                 for name, ref in fonts.items()}
        content = _stream(table[int(re.search(rb"/Contents " + _REF, page).group(1))])
        lines, line, cmap, saved = [], [], {}, []
        for kind, value in _operations(content):
            if kind == "font":
                cmap = cmaps[value]
            elif kind == "save":
                saved.append(cmap)  # the font is part of the graphics state q/Q save and restore
            elif kind == "restore":
                cmap = saved.pop()
            elif kind == "text":
                line.append("".join(cmap.get(value[j:j + 2], "\ufffd") for j in range(0, len(value), 2)))
            elif line:
                lines.append("".join(line))
                line = []
        texts.append("\n".join(lines))
    return texts


def plain(text: str) -> str:
    """Whitespace collapsed: a line wrapped across text objects reads as one."""
    return " ".join(text.split())
