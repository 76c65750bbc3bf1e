"""A press release's body: Markdown typed by staff → sanitised HTML, and → readable plain text.

The HTML goes on the public newsroom, into emails and into the PDF, so it is always passed
through an allow-list (nh3) after Markdown: whatever Markdown lets through (raw HTML,
``javascript:`` links, images) the allow-list decides. Headings are clamped to h2–h4,
because the page's h1 is the release's headline. Disallowed tags are removed and their text
kept, except script-like ones, which go with their content.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown as _markdown
import nh3

#: The tags a release body may contain, and their attributes.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener nofollow"
#: Removed together with their content (everything else that is not allowed keeps its text).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript",
                                  "template", "svg", "math", "textarea", "select"})

# h1 is the page's headline; deeper than h4 is more structure than a release needs. Applied to
# Markdown's output as a string, so raw <h1> typed into the Markdown is clamped too.
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


def _clamp_headings(html: str) -> str:
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(max(int(m.group(2)), 2), 4)}", html)


def _converter() -> _markdown.Markdown:
    # A fresh converter per call: Markdown instances keep state and are not thread-safe.
    return _markdown.Markdown(
        extensions=["sane_lists", "tables"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def sanitise_html(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes; links get ``rel="noopener nofollow"``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


# nh3 writes every remaining link as <a href="…" rel="…">, so a link whose href was refused
# (``javascript:``) is exactly this; quotes inside attribute values are escaped, so the
# string cannot occur anywhere else.
_LINK_WITHOUT_HREF = re.compile('<a rel="' + re.escape(LINK_REL) + '">(.*?)</a>', re.DOTALL)


def render_body(markdown_text: str | None) -> str:
    """Render a release body from Markdown to safe HTML."""
    if not markdown_text or not markdown_text.strip():
        return ""
    html = sanitise_html(_clamp_headings(_converter().convert(markdown_text)))
    # A link whose address was refused is just its text (an <a> without href also trips
    # fpdf2's HTML renderer).
    return _LINK_WITHOUT_HREF.sub(r"\1", html).strip()


# Plain text ---------------------------------------------------------------------------------

_BLOCKS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "table", "tr", "hr"}


class _TextWriter(HTMLParser):
    """Turn sanitised HTML into text: blank lines between blocks, ``- `` / ``1. `` before list
    items (nested ones indented), ``> `` before quoted lines, ``text (url)`` for links and
    ``a | b`` for table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        #: (group, text): the lines of one list or one table share a group and stay together;
        #: any other block has the group 0 and stands apart.
        self.blocks: list[tuple[int, str]] = []
        self.groups = 0
        self.line: list[str] = []
        self.lists: list[int | None] = []  # per open list: the next number, or None for bullets
        self.marker: str | None = None  # the marker of a list item whose text has not started
        self.items: list[str] = []  # the markers of the open list items
        self.quote = 0
        self.href: str | None = None
        self.link_text: list[str] = []
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None

    def _emit(self, text: str) -> None:
        # Text goes to the innermost open collector: a link, a table cell, or the line.
        if self.href is not None:
            self.link_text.append(text)
        elif self.cell is not None:
            self.cell.append(text)
        else:
            self.line.append(text)

    def _flush(self, group: int = 0) -> None:
        lines = [" ".join(part.split()) for part in "".join(self.line).split("\n")]
        self.line = []
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        if not lines:
            return
        indent = "  " * max(0, len(self.lists) - 1)
        if self.marker is not None:
            first, rest = self.marker, " " * len(self.marker)
            self.marker = None
            group = self.groups
        elif self.items:
            first = rest = " " * len(self.items[-1])  # a further paragraph of a list item
        else:
            first = rest = ""
        lines = [indent + first + lines[0]] + [indent + rest + line for line in lines[1:]]
        if self.quote:
            lines = [("> " * self.quote + line).rstrip() for line in lines]
        self.blocks.append((group, "\n".join(lines)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
        if tag in ("ul", "ol", "table") and not self.lists:
            self.groups += 1
        if tag == "ul":
            self.lists.append(None)
        elif tag == "ol":
            start = dict(attrs).get("start") or ""
            self.lists.append(int(start) if start.isdigit() else 1)
        elif tag == "li":
            number = self.lists[-1] if self.lists else None
            if number is None:
                self.marker = "- "
            else:
                self.marker = f"{number}. "
                self.lists[-1] = number + 1
            self.items.append(self.marker)
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = []
        elif tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self.blocks.append((0, "———"))
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.href is not None:
            text = " ".join("".join(self.link_text).split())
            href, self.href = self.href, None
            shown = href.removeprefix("mailto:").removeprefix("tel:")
            self._emit(f"{text} ({href})" if href and text and text != shown else (text or href))
        elif tag in ("td", "th") and self.cell is not None and self.cells is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            self.line = [" | ".join(self.cells)]
            self.cells = None
            self._flush(self.groups)
        elif tag in _BLOCKS:
            self._flush()
            if tag == "li" and self.items:
                self.items.pop()
                self.marker = None
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "blockquote" and self.quote:
                self.quote -= 1

    def handle_data(self, data: str) -> None:
        # Newlines in HTML source are spaces; only <br> breaks a line.
        self._emit(data.replace("\r", " ").replace("\n", " "))

    def text(self) -> str:
        self._flush()
        out: list[tuple[int, str]] = []
        for group, text in self.blocks:
            if out and group and out[-1][0] == group:
                out[-1] = (group, out[-1][1] + "\n" + text)
            else:
                out.append((group, text))
        return "\n\n".join(text for _, text in out)


def html_to_text(html: str) -> str:
    """Readable plain text from sanitised HTML (see ``plain_text``)."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


def plain_text(markdown_text: str | None) -> str:
    """A release body as plain text, for an email's text part and for WhatsApp."""
    return html_to_text(render_body(markdown_text))
