"""What a page's scripts declare: variables, object literals and the list requests they make.

Pure functions over script text, no JavaScript engine: a tolerant reader of object literals
(`{url: base + '/list', data: {columnId: columnId, page: 1}}`), the page's literal assignments
(`var columnId = '601'`, `CONFIG = {siteId: 3}`) and hidden inputs, and the calls that ask a server
for a list: `$.ajax({...})`, `$.get/$.post/$.getJSON(url, data)`, `fetch(url, {method, body})`,
`axios.get(url, {params})` / `axios.post(url, data)` / `axios({...})`. The adapters turn an
`ApiCall` into requests page by page (`crawler.discovery.adapters`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PAGE_KEYS = ("page", "pageNo", "pageNum", "pageIndex", "curPage", "currentPage", "current", "pageNumber",
             "pageno", "pagenum", "pageindex", "curpage", "p", "page_no", "page_num", "start_page")
SIZE_KEYS = ("pageSize", "pagesize", "size", "rows", "limit", "perPage", "perpage", "page_size", "pageCount",
             "pageRows", "num")
_PAGE_KEY = {k.lower() for k in PAGE_KEYS}
_SIZE_KEY = {k.lower() for k in SIZE_KEYS}
_STATIC = re.compile(r"\.(js|css|png|jpe?g|gif|svg|ico|woff2?|ttf|html?|shtml|mp4|swf)(\?|$)", re.I)
_LISTISH = re.compile(r"list|page|query|search|column|channel|catalog|categor|article|info|xxgk|gk|content|doc|"
                      r"record|dataproxy|api", re.I)
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
_LITERAL = r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?|true|false)"""
_ASSIGN = re.compile(r"(?<![\w$.])(?:var\s+|let\s+|const\s+|window\.)?([A-Za-z_$][\w$]*)\s*=(?!=)\s*" + _LITERAL
                     + r"\s*(?=[,;\n)}]|$)")
_PROPERTY = re.compile(r"[{,]\s*['\"]?([A-Za-z_$][\w$]*)['\"]?\s*:\s*" + _LITERAL + r"\s*(?=[,}\n])")
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b(id|name|value)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
_SRC = re.compile(r"""\bsrc\s*=\s*["']([^"']+)["']""", re.I)


@dataclass(frozen=True)
class Expr:
    """A JavaScript expression kept as source text (an identifier, a concatenation, a call)."""

    source: str


@dataclass
class ApiCall:
    """One list request a page's script makes: where, how, with which parameters, paged by which key."""

    url: str
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    json_body: bool = False
    page_key: str | None = None
    size_key: str | None = None
    first_page: int = 1
    detail: tuple[str, str, str] | None = None  # (prefix, row field, suffix) of the detail link

    def as_meta(self) -> dict[str, Any]:
        return {"url": self.url, "method": self.method, "params": self.params, "json": self.json_body,
                "page_key": self.page_key, "size_key": self.size_key, "first": self.first_page,
                "detail": list(self.detail) if self.detail else None}


# ---------------------------------------------------------------- reading literals


def _skip_string(text: str, i: int) -> int:
    """Index just after the string literal (or template literal) starting at text[i]."""
    quote = text[i]
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        i += 1
    return i


def balanced(text: str, start: int) -> int:
    """Index just after the bracket group opening at text[start] ( `(`, `[` or `{` )."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text) and stack:
        c = text[i]
        if c in "'\"`":
            i = _skip_string(text, i)
            continue
        if c == "/" and text[i:i + 2] == "//":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c == "/" and text[i:i + 2] == "/*":
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
        i += 1
    return i


def split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split on `sep` outside brackets and strings."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "'\"`":
            i = _skip_string(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p for p in (part.strip() for part in parts) if p]


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    try:
        return json.loads('"' + body.replace('"', '\\"').replace("\\'", "'") + '"')
    except ValueError:
        return body


def parse_value(source: str) -> Any:
    """A literal as Python (dict, list, str, int, float, bool, None) or an `Expr` for anything else."""
    s = source.strip()
    if not s:
        return Expr("")
    if s[0] == "{" and balanced(s, 0) == len(s):
        return parse_object(s)
    if s[0] == "[" and balanced(s, 0) == len(s):
        return [parse_value(p) for p in split_top(s[1:-1])]
    if s[0] in "'\"" and _skip_string(s, 0) == len(s):
        return _unquote(s)
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.\d+", s):
        return float(s)
    if s in ("true", "false"):
        return s == "true"
    if s in ("null", "undefined"):
        return None
    return Expr(s)


def parse_object(source: str) -> dict[str, Any]:
    """`{a: 1, 'b': x, c}` → {"a": 1, "b": Expr("x"), "c": Expr("c")} (methods and spreads skipped)."""
    s = source.strip()
    if s.startswith("{"):
        s = s[1:balanced(s, 0) - 1]
    out: dict[str, Any] = {}
    for part in split_top(s):
        m = re.match(r"""^(?:(['"])(.*?)\1|([A-Za-z_$][\w$]*)|(\d+))\s*:""", part, re.S)
        if m:
            key = m[2] if m[2] is not None else (m[3] or m[4])
            out[key] = parse_value(part[m.end():])
        elif _IDENT.match(part) and "." not in part:
            out[part] = Expr(part)  # shorthand property
    return out


# ---------------------------------------------------------------- what the page defines


def inline_scripts(html: str) -> list[str]:
    """The bodies of the page's inline scripts (external ones have no body)."""
    return [body for attrs, body in _SCRIPT.findall(html) if body.strip() and "json" not in attrs.lower()]


def script_sources(html: str) -> list[str]:
    return [m[1] for attrs, _ in _SCRIPT.findall(html) for m in [_SRC.search(attrs)] if m]


def page_variables(html: str, scripts: list[str] | None = None) -> dict[str, Any]:
    """Names the page gives literal values: `var x = '1'`, `obj.x = 2`, `{x: '3'}` properties (for
    `CONFIG.x`), hidden inputs by id and name (for `$('#x').val()`). The first assignment wins (the
    initial value, before the script increments a page counter)."""
    names: dict[str, Any] = {}
    for tag in _INPUT.findall(html):
        attrs = {m[1].lower(): next(v for v in m.groups()[1:] if v is not None) for m in _ATTR.finditer(tag)}
        for key in ("id", "name"):
            if attrs.get(key) and "value" in attrs:
                names.setdefault("#" + attrs[key], attrs["value"])
    text = "\n".join(scripts if scripts is not None else inline_scripts(html))
    for m in _ASSIGN.finditer(text):
        names.setdefault(m[1], parse_value(m[2]))
    for m in _PROPERTY.finditer(text):
        names.setdefault("." + m[1], parse_value(m[2]))
    return names


def resolve(value: Any, names: dict[str, Any], depth: int = 0) -> Any:
    """A value with its expressions evaluated where the page defines them; None when it cannot."""
    if isinstance(value, dict):
        return {k: resolve(v, names, depth) for k, v in value.items()}
    if not isinstance(value, Expr):
        return value
    if depth > 6:
        return None
    s = value.source.strip()
    m = re.fullmatch(r"""(?:\$|jQuery)\(\s*['"]#([\w-]+)['"]\s*\)\.val\(\s*\)""", s) or re.fullmatch(
        r"""document\.getElementById\(\s*['"]([\w-]+)['"]\s*\)\.value""", s)
    if m:
        return names.get("#" + m[1])
    m = re.fullmatch(r"(?:parseInt|Number|String|encodeURIComponent|encodeURI)\((.*)\)", s, re.S)
    if m:
        return resolve(parse_value(split_top(m[1])[0] if split_top(m[1]) else ""), names, depth + 1)
    if "||" in s:
        for part in s.split("||"):
            got = resolve(parse_value(part), names, depth + 1)
            if got not in (None, ""):
                return got
        return None
    if s.startswith("`") and s.endswith("`"):
        return _template(s[1:-1], names, depth)
    parts = split_top(s, "+")
    if len(parts) > 1:
        resolved = [resolve(parse_value(p), names, depth + 1) for p in parts]
        if any(r is None for r in resolved):
            return None
        return "".join(str(r) for r in resolved)
    if _IDENT.match(s):
        if s in names:
            return resolve(names[s], names, depth + 1)
        last = s.rsplit(".", 1)[-1]
        if "." in s and "." + last in names:
            return resolve(names["." + last], names, depth + 1)
        if "." + s in names:
            return resolve(names["." + s], names, depth + 1)
    return None


def _template(body: str, names: dict[str, Any], depth: int) -> str | None:
    out = []
    for literal, expr in re.findall(r"([^$]*(?:\$(?!\{)[^$]*)*)(?:\$\{([^}]*)\})?", body):
        out.append(literal)
        if expr:
            got = resolve(parse_value(expr), names, depth + 1)
            if got is None:
                return None
            out.append(str(got))
    return "".join(out)


# ---------------------------------------------------------------- the calls


_CALLS = re.compile(r"(?:\$|jQuery)\s*\.\s*(ajax|get|post|getJSON)\s*\(|\bfetch\s*\(|\baxios\s*(?:\.\s*(get|post))?\s*\(")


def _page_key(params: dict[str, Any]) -> str | None:
    return next((k for k in params if k.lower() in _PAGE_KEY), None)


def _size_key(params: dict[str, Any]) -> str | None:
    return next((k for k in params if k.lower() in _SIZE_KEY), None)


def detail_patterns(text: str) -> list[tuple[str, str, str]]:
    """How the script builds a row's link: `'/art/' + item.id + '.html'`, `` `<a href="d/${r.id}.html">` ``
    → (prefix, row field, suffix), cut at the quotes and brackets of the markup around them."""
    found = []
    for m in re.finditer(r"""(['"])([^'"\n]*)\1\s*\+\s*[\w$]+(?:\[\s*\w+\s*\])?\.([A-Za-z_$][\w$]*)"""
                         r"""(?:\s*\+\s*(['"])([^'"\n]*)\4)?""", text):
        found.append((m[2], m[3], m[5] or ""))
    for m in re.finditer(r"([^`'\"\s<>=]*)\$\{\s*[\w$]+\.([A-Za-z_$][\w$]*)\s*\}([^`'\"\s<>$]*)", text):
        found.append((m[1], m[2], m[3]))
    out = []
    for prefix, key, suffix in found:
        prefix = re.split(r"[\"'\s<>]", prefix)[-1]
        if prefix.startswith("href="):
            prefix = prefix[5:]
        suffix = re.split(r"[\"'\s<>]", suffix)[0]
        if not re.search(r"[/?=]", prefix) or re.search(r"\.(png|jpe?g|gif|svg|css|js)(\?|$)", prefix + suffix, re.I):
            continue
        out.append((prefix, key, suffix))
    return out


def _call_args(text: str, start: int) -> list[str]:
    end = balanced(text, start)
    return split_top(text[start + 1:end - 1])


def _from_options(options: dict[str, Any], url_value: Any, method: str, names: dict[str, Any]) -> ApiCall | None:
    # a page number the script passes as an argument (`?page=${p}`) starts at 1
    paged = {**{k: 1 for k in (*PAGE_KEYS, "pn", "pageNo", "n")}, **names}
    url = resolve(url_value if url_value is not None else options.get("url"), paged)
    if not isinstance(url, str) or not url.strip() or _STATIC.search(url.split("#")[0]):
        return None
    method = str(resolve(options.get("type") or options.get("method"), names) or method).upper()
    content_type = str(resolve(options.get("contentType"), names) or "")
    headers = options.get("headers") if isinstance(options.get("headers"), dict) else {}
    content_type += " " + " ".join(str(resolve(v, names) or "") for k, v in headers.items()
                                   if k.lower() == "content-type")
    raw = options.get("data", options.get("body", options.get("params")))
    json_body = "json" in content_type.lower()
    if isinstance(raw, Expr):
        m = re.fullmatch(r"JSON\.stringify\((.*)\)", raw.source.strip(), re.S)
        if m:
            json_body = True
            raw = parse_value(m[1])
        if isinstance(raw, Expr):
            named = names.get(raw.source.strip())
            raw = named if isinstance(named, dict) else {}
    params = raw if isinstance(raw, dict) else {}
    return _call(url, method, params, json_body and method != "GET", names)


def _call(url: str, method: str, params: dict[str, Any], json_body: bool, names: dict[str, Any]) -> ApiCall:
    resolved: dict[str, Any] = {}
    for key, value in params.items():
        got = resolve(value, names)
        if isinstance(value, Expr) and got is None and key.lower() not in _PAGE_KEY:
            got = names.get("#" + key)
        resolved[key] = got
    page_key, size_key = _page_key(resolved), _size_key(resolved)
    first = 1
    if page_key:
        value = resolved[page_key]
        first = int(value) if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()) else 1
        first = first if first in (0, 1) else 1
        resolved[page_key] = first
    return ApiCall(url=url, method=method if method in ("GET", "POST") else "GET", params=resolved,
                   json_body=json_body, page_key=page_key, size_key=size_key, first_page=first)


def api_calls(text: str, names: dict[str, Any] | None = None) -> Iterator[ApiCall]:
    """Every list request the script text makes, resolved against `names` (see `page_variables`)."""
    names = names if names is not None else page_variables("<script>" + text + "</script>")
    patterns = detail_patterns(text)
    for m in _CALLS.finditer(text):
        paren = m.end() - 1
        args = [parse_value(a) for a in _call_args(text, paren)]
        if not args:
            continue
        head = m.group(0)
        call: ApiCall | None = None
        if m[1] == "ajax" or (head.startswith("axios") and not m[2]):
            options = args[0] if isinstance(args[0], dict) else (args[1] if len(args) > 1 and isinstance(args[1], dict) else {})
            url = None if isinstance(args[0], dict) else args[0]
            call = _from_options(options, url, "GET", names)
        elif m[1] in ("get", "post", "getJSON"):
            data = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            call = _from_options({"data": data}, args[0], "POST" if m[1] == "post" else "GET", names)
        elif head.startswith("fetch"):
            options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            call = _from_options(options, args[0], "GET", names)
        elif m[2]:  # axios.get(url, {params}) / axios.post(url, data)
            second = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            if m[2] == "get":
                call = _from_options({"data": second.get("params", {})}, args[0], "GET", names)
            else:
                call = _from_options({"data": second, "contentType": "application/json"}, args[0], "POST", names)
        if call is None:
            continue
        _query_page(call)
        if call.page_key is None and not _LISTISH.search(call.url):
            continue  # a visit counter, a weather widget: not a list
        if patterns:
            call.detail = patterns[0]
        yield call


def _query_page(call: ApiCall) -> None:
    """A page number written into the URL (`list?page=1&size=10`) becomes a parameter."""
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    parts = urlsplit(call.url)
    if not parts.query or call.page_key:
        return
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    key = _page_key(query)
    if key is None:
        return
    call.url = urlunsplit(parts._replace(query=""))
    call.params = {**query, **call.params}
    call.page_key = key
    call.size_key = call.size_key or _size_key(query)
    call.first_page = int(query[key]) if query[key] in ("0", "1") else 1
    call.params[key] = call.first_page
