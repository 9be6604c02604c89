"""A fast reader of PDF content streams for pdfminer's page interpreter.

pdfminer.six tokenises content streams one byte class at a time in Python (`PSBaseParser`); on a
report PDF that is about two thirds of the extraction time. `ContentPageInterpreter` is pdfminer's
own `PDFPageInterpreter` (graphics state, fonts, CMaps, devices all unchanged) whose `execute`
reads the operands and operators of a page with one regular expression instead, and looks each
operator's method up once.

The reader gives exactly the objects pdfminer's `PDFContentParser` gives (the tests compare the
two on real and random streams). Where it meets what it does not read the same way (an inline
image, a procedure, nested parentheses in a string, an unbalanced array or dictionary, an octal
escape above 255), pdfminer's own parser reads on from the start of that object. Objects are read
as they are drawn, so a huge vector page is never held as a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pdfminer import settings
from pdfminer.pdfinterp import PDFContentParser, PDFInterpreterError, PDFPageInterpreter
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import KWD, LIT, PSEOF, PSKeyword, literal_name

_TOKEN = re.compile(
    rb"[\s\x00]*(?:"
    rb"([-+]?[0-9]*\.[0-9]*)"  # 1 real
    rb"|([-+][0-9]*|[0-9]+)"  # 2 integer
    rb"|([A-Za-z][^#/%\[\]()<>{}\s]*)"  # 3 operator, true or false
    rb"|/([^/%\[\]()<>{}\s]*)"  # 4 name (#xx escapes decoded below)
    rb"|\(((?:[^()\\]++|\\.)*+)\)"  # 5 literal string without nested parentheses
    rb"|(<<)"  # 6 dictionary
    rb"|(>>)"  # 7
    rb"|<([0-9a-fA-F\s]*)"  # 8 hexadecimal string (its '>' is read as a token of its own)
    rb"|(>)"  # 9 ignored, as pdfminer does
    rb"|(\[)"  # 10 array
    rb"|(\])"  # 11
    rb"|(%[^\r\n]*)"  # 12 comment
    rb"|([({}])"  # 13 nested string or procedure: pdfminer's parser reads this content
    rb"|([^\s\x00])"  # 14 any other byte is an operator of its own (', " ...)
    rb")",
    re.DOTALL,
)
_STRING_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|\r\n|(.))", re.DOTALL)
_ESCAPES = {b"b": b"\b", b"t": b"\t", b"n": b"\n", b"f": b"\f", b"r": b"\r", b"(": b"(", b")": b")", b"\\": b"\\"}
_NAME_ESCAPE = re.compile(rb"#([0-9a-fA-F]{0,2})")
_NAME_ENDS_IN_ESCAPE = re.compile(rb"#[0-9a-fA-F]{0,2}$")
_HEX_PAIR = re.compile(rb"[0-9a-fA-F]{2}|.")
_WHITESPACE = re.compile(rb"\s")
_INLINE_IMAGE = (KWD(b"BI"), KWD(b"ID"))
_TRUE, _FALSE = b"true", b"false"


class Unsupported(Exception):
    """Content the fast reader leaves to pdfminer's own parser, from `offset` on: the first byte of the
    top-level object it could not read."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at byte {offset}")
        self.offset = offset


def _unescape(match: re.Match[bytes]) -> bytes:
    octal, char = match.group(1), match.group(2)
    if octal is not None:
        code = int(octal, 8)
        if code > 255:  # pdfminer asserts here
            raise OverflowError(octal)
        return bytes((code,))
    if char is None:  # backslash and CRLF: a line continuation
        return b""
    return _ESCAPES.get(char, b"")  # an unknown escape drops the character, as pdfminer does


def _name(raw: bytes):
    if b"#" in raw:
        raw = _NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)) if m.group(1) else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _hex(raw: bytes) -> bytes:
    try:
        return bytes.fromhex(raw.decode("ascii"))
    except ValueError:  # an odd digit count: the last digit stands alone, as in pdfminer
        return _HEX_PAIR.sub(lambda m: bytes((int(m.group(0), 16),)), _WHITESPACE.sub(b"", raw))


def iter_content(data: bytes) -> Iterator:
    """The top-level objects of a content stream, in order: numbers, booleans, names (`PSLiteral`),
    strings (bytes), arrays (lists), dictionaries and operators (`PSKeyword`). Raises `Unsupported`
    where pdfminer's own parser must read on."""
    stack: list[list] = []  # open arrays and dictionaries, innermost last
    kinds: list[str] = []
    starts: list[int] = []  # where each open one starts
    items: list = []
    for m in _TOKEN.finditer(data):
        group = m.lastindex
        value = m.group(group)
        if group == 2:
            try:
                obj = int(value)
            except ValueError:  # a lone sign: pdfminer drops it
                continue
        elif group == 1:
            try:
                obj = float(value)
            except ValueError:
                continue
        elif group == 3:
            if value == _TRUE:
                obj = True
            elif value == _FALSE:
                obj = False
            else:
                obj = KWD(value)
                if obj in _INLINE_IMAGE:
                    raise Unsupported("inline image", starts[0] if starts else m.start(group))
        elif group == 8:
            if m.end() == len(data):  # cut off by the end of the content: pdfminer drops it
                continue
            obj = _hex(value)
        elif group == 5:
            obj = value
            if b"\\" in value:
                try:
                    obj = _STRING_ESCAPE.sub(_unescape, value)
                except OverflowError:
                    offset = starts[0] if starts else m.start(group) - 1  # the "("
                    raise Unsupported("octal escape above 255", offset) from None
        elif group == 4:
            if m.end() == len(data) and _NAME_ENDS_IN_ESCAPE.search(value):
                continue  # pdfminer drops a name whose #xx escape the end of the content cuts off
            obj = _name(value)
        elif group == 10 or group == 6:
            stack.append(items)
            kinds.append("a" if group == 10 else "d")
            starts.append(m.start(group))
            items = []
            continue
        elif group == 11 or group == 7:
            if not kinds or kinds[-1] != ("a" if group == 11 else "d"):
                raise Unsupported(f"unbalanced {value!r}", starts[0] if starts else m.start(group))
            if group == 7 and len(items) % 2:
                raise Unsupported("dictionary with an odd number of items", starts[0])
            kinds.pop()
            starts.pop()
            values, items = items, stack.pop()
            if group == 11:
                obj = values
            else:
                obj = {literal_name(k): v for k, v in zip(values[::2], values[1::2], strict=True)}
        elif group == 9 or group == 12:
            continue
        elif group == 14:
            obj = KWD(value)
        else:
            raise Unsupported(f"{value!r}", starts[0] if starts else m.start(group))
        if stack:
            items.append(obj)
        else:
            yield obj
    if starts:
        raise Unsupported("unterminated array or dictionary", starts[0])


def _pdfminer_objects(data: bytes) -> Iterator:
    try:
        parser = PDFContentParser([PDFStream({}, data)])
    except PSEOF:  # nothing but whitespace
        return
    while True:
        try:
            yield parser.nextobject()[1]
        except PSEOF:
            return


def content_objects(data: bytes) -> Iterator:
    """The top-level objects of a content stream as pdfminer's `PDFContentParser` reads them: by
    `iter_content` up to the first object it leaves to pdfminer, by pdfminer's parser from there on."""
    try:
        yield from iter_content(data)
    except Unsupported as exc:
        yield from _pdfminer_objects(data[exc.offset:])


class ContentPageInterpreter(PDFPageInterpreter):
    """pdfminer's page interpreter reading content streams with `content_objects`."""

    def execute(self, streams: Sequence[object]) -> None:
        valid = []
        self.stream_ids.clear()
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None or stream.objid in self.parent_stream_ids:
                return super().execute(streams)  # pdfminer warns and skips these; let it
            valid.append(stream)
            self.stream_ids.add(stream.objid)
        objects = content_objects(b"\n".join(s.get_data() for s in valid))
        operators: dict[PSKeyword, tuple] = {}
        push, pop = self.push, self.pop
        for obj in objects:
            if obj.__class__ is not PSKeyword:
                push(obj)
                continue
            op = operators.get(obj)
            if op is None:
                name = str(obj.name, "utf-8", "ignore")
                method = getattr(self, "do_" + name.replace("*", "_a").replace('"', "_w").replace("'", "_q"), None)
                if method is None and settings.STRICT:
                    raise PDFInterpreterError(f"Unknown operator: {name!r}")
                op = operators[obj] = (method, method.__code__.co_argcount - 1 if method else 0)
            method, nargs = op
            if method is None:
                continue
            if nargs:
                args = pop(nargs)
                if len(args) == nargs:
                    method(*args)
            else:
                method()
