"""What each report format does to text it did not write itself. Catalog files and PagerDuty answers are
untrusted: every string from them passes through here before a reader's browser, Markdown renderer,
spreadsheet or CI system sees it.

- `clean`: any format. Characters XML 1.0 forbids (NUL, ESC, other C0 controls) and bidirectional
  overrides (which make text display reversed) are removed, lone surrogates become U+FFFD, so every file
  can be written as UTF-8 and parsed, and shows what it holds.
- `safe_url`: the one rule for links. Only absolute http(s) URLs become links; anything else is text.
- `md_text`, `md_code`, `md_fence`, `md_link`, `md_fix`: Markdown (CommonMark and GitHub's flavour, raw
  HTML on).
- `url_pieces`: which parts of a text (a fix) are the web addresses the run knows, to be made links.
- `csv_cell`: spreadsheet formulas neutralised (OWASP CSV injection guidance).
"""

from __future__ import annotations

import functools
import math
import re
from urllib.parse import quote, urlsplit

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Runs of whitespace, line breaks of every kind included: a Markdown value never starts a new block.
_SPACE = re.compile(r"\s+")
# Characters that open inline Markdown: code, emphasis, links and images, raw HTML and autolinks, entity
# references, strikethrough, tables, headings, math. CommonMark lets any ASCII punctuation be escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!&~|#$])")
# At the start of a line these open a list, a setext underline or a numbered item.
_MD_BLOCK_START = re.compile(r"^(?:([-+=])|(\d{1,9})([.)]))")
_BACKTICKS = re.compile(r"`+")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_INDENT = re.compile(r"^[ \t]*")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_URL = 2048
CSV_CELL = 32_000  # spreadsheets cut a cell at 32,767 characters
_URL_KEEP = "/:?#[]@!$&'*+,;=%-._~"
ELLIPSIS = "…"


def clean(value) -> str:
    """`value` as text any format can carry."""
    text = "" if value is None else str(value)
    if text.isprintable():  # no control, format, surrogate or unassigned character: nothing to remove
        return text
    return _SURROGATE.sub("\ufffd", _FORBIDDEN.sub("", text))


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def safe_url(value) -> str | None:
    """`value` when it is an absolute http or https URL a browser would open as such, else None.
    `javascript:`, `data:`, relative and protocol-relative URLs, and anything with whitespace or control
    characters (which browsers strip, so `java\\tscript:` would run) are never links."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    return _safe_url(value)


@functools.lru_cache(maxsize=65536)  # a run links the same services and policies from many entities
def _safe_url(value: str) -> str | None:
    if value != clean(value) or _SPACE.search(value):
        return None
    try:
        host = urlsplit(value).hostname
    except ValueError:  # a malformed host or port
        return None
    return value if _HTTP.match(value) and host else None


def _absent(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def md_text(value, limit: int = 300) -> str:
    """Inline Markdown text that renders as exactly the characters given, wherever it stands: one line, at
    most `limit` characters before escaping, no markup of any kind."""
    if _absent(value):
        return "–"
    return _md_text(value if isinstance(value, str) else str(value), limit)


@functools.lru_cache(maxsize=1 << 17)  # team files repeat the same names, reasons and fix lines many times
def _md_text(value: str, limit: int) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", bounded(_SPACE.sub(" ", clean(value)).strip(), limit))
    return _MD_BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_code(value, limit: int = 300) -> str:
    """An inline code span holding `value` on one line. Its fence is longer than any run of backticks in
    the value, so the value cannot close it. Not for table cells (there `|` needs escaping)."""
    text = bounded(_SPACE.sub(" ", clean(value)).strip(), limit) or " "
    fence = "`" * (1 + max((len(run) for run in _BACKTICKS.findall(text)), default=0))
    pad = " " if text[0] == "`" or text[-1] == "`" else ""  # the renderer strips one space each side
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text, indent: str = "", max_lines: int = 60, line_limit: int = 400) -> list[str]:
    """A fenced code block, as lines, each starting with `indent`. The fence is longer than any run of
    backticks inside, so no line of the text can close it early."""
    lines = [bounded(line.replace("\t", "    ").rstrip(), line_limit) for line in clean(text).splitlines()]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"{ELLIPSIS} {len(lines) - max_lines} more lines"]
    fence = "`" * max(3, 1 + max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0))
    return [indent + fence, *(indent + line if line else "" for line in lines), indent + fence]


def md_link(text_markdown: str, url) -> str:
    """`text_markdown` (already escaped) as a link to `url` when the URL is safe, else the text alone."""
    target = safe_url(url)
    if target is None:
        return text_markdown
    # Percent-encode what could end or break the destination: spaces, <, >, parentheses, backslash.
    return f"[{text_markdown}]({quote(target, safe=_URL_KEEP)})"


def url_pieces(text: str, urls) -> list[tuple[str, bool]]:
    """`text` cut into pieces, each marked when it is one of `urls` (safe ones only): the web addresses the
    run knows for the entity, which a fix names. A URL anywhere else in a text, written into a catalog
    field, stays text."""
    known = sorted({u for u in urls if safe_url(u) and u in text}, key=len, reverse=True)
    pieces, last = [], 0
    while known:
        found = [(text.find(u, last), -len(u), u) for u in known]
        found = [f for f in found if f[0] >= 0]
        if not found:
            break
        start, _, url = min(found)  # the first, and the longest of those starting there
        if start > last:
            pieces.append((text[last:start], False))
        pieces.append((url, True))
        last = start + len(url)
    return pieces + ([(text[last:], False)] if last < len(text) else [])


def md_linked(line: str, limit: int = 400, urls=()) -> str:
    """One line of text as inline Markdown (as `md_text`), with each of `urls` in it a link (`url_pieces`)."""
    line = clean(line)
    # Only the URLs the line holds can be links (cleaning, spacing and cutting never make one appear), so a
    # line naming none is rendered once for every entity whose fix has it.
    return _md_linked(line, limit, tuple(u for u in urls if isinstance(u, str) and u in line))


@functools.lru_cache(maxsize=1 << 16)
def _md_linked(line: str, limit: int, urls: tuple) -> str:
    text = bounded(_SPACE.sub(" ", line).strip(), limit)
    return "".join(md_link(md_text(piece, limit), piece) if is_url else _md_piece(piece)
                   for piece, is_url in url_pieces(text, urls))


def _md_piece(text: str) -> str:
    """`md_text` of a piece of a line, keeping the spaces at its ends (md_text strips them)."""
    if not text.strip():
        return " " if text else ""
    return (" " if text[0] == " " else "") + md_text(text, len(text)) + (" " if text[-1] == " " else "")


def md_fix(text, indent: str = "", max_lines: int = 30, limit: int = 400, urls=()) -> list[str]:
    """A fix as Markdown lines, each starting with `indent`: its prose as paragraphs that keep their line
    breaks (hard breaks), with `urls` as links (no line can start a block of its own); each run of indented
    lines after a line ending in a colon (a YAML snippet to paste into a descriptor) as a fenced code block
    (`md_fence`), out of its common indentation and indented with plain spaces, so that it pastes as it is."""
    lines = [line.expandtabs(4).rstrip() for line in clean(text).replace("\r\n", "\n").splitlines() if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"{ELLIPSIS} {len(lines) - max_lines} more lines"]
    blocks: list[tuple[bool, list[str]]] = []  # (snippet, lines)
    for line in lines:
        snippet = line[0] == " " and bool(blocks) and (blocks[-1][0] or blocks[-1][1][-1].endswith(":"))
        if blocks and blocks[-1][0] == snippet:
            blocks[-1][1].append(line)
        else:
            blocks.append((snippet, [line]))
    out: list[str] = []
    for snippet, run in blocks:
        if out:
            out.append("")
        if snippet:
            margin = min(len(_INDENT.match(line)[0]) for line in run)
            out += md_fence("\n".join(line[margin:] for line in run), indent, max_lines, limit)
        else:
            shown = [indent + md_linked(line, limit, urls) for line in run]
            out += [line + ("\\" if i < len(shown) - 1 else "") for i, line in enumerate(shown)]
    return out


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ tab or CR gets a leading single quote
    (the writer quotes every cell as well), and none longer than a spreadsheet cell holds."""
    if _absent(value):
        return ""
    text = bounded(clean(value), CSV_CELL)
    return "'" + text if text.startswith(FORMULA_START) else text
