"""A press release as a printable PDF (siaran pers), set in the bundled Noto Sans with fpdf2.

``release_pdf(ReleaseDoc(...))`` lays out: a header band (logo, government and OPD name,
"SIARAN PERS", number, place and date), an EMBARGO banner and a RALAT box when they apply,
headline, lead, the body (the sanitised HTML of its Markdown, through fpdf2's
``write_html``), photos with caption and credit, narasumber, narahubung, the online link,
and "Halaman X dari Y" on every page.

The document is the official Indonesian text of the release, so its labels are Indonesian,
not translated per reader. Dates and times go through ``pressroom.formatting`` (WIB).
The same ``ReleaseDoc`` always gives the same bytes: the PDF's creation date is the release's
date, and nothing else in the file depends on the moment it is made.

Noto Sans ships here in Regular and Bold only: italics (``*text*``) are set upright, in the
regular face, rather than faked.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from html.parser import HTMLParser

from fpdf import FPDF, FPDFException
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TextStyle
from PIL import Image

from pressroom import formatting
from pressroom.charts.fonts import BOLD, REGULAR
from pressroom.press.markdown import html_to_text, render_body

log = logging.getLogger(__name__)

FAMILY = "NotoSans"
INK = (33, 37, 41)
MUTED = (100, 106, 112)
ACCENT = (0, 84, 147)  # a sober government blue for the band and headings
EMBARGO_RED = (176, 0, 32)
CORRECTION_AMBER = (255, 243, 205)
TABLE_HEAD = (232, 238, 244)
PHOTO_MAX_HEIGHT = 95.0  # mm: two photos fit a page with their captions
LOGO_HEIGHT = 16.0  # mm

LABELS = {
    "title": "SIARAN PERS",
    "number": "Nomor",
    "embargo": "EMBARGO hingga {moment}",
    "embargo_note": "Tidak untuk disiarkan sebelum waktu tersebut.",
    "correction": "RALAT",
    "corrects": "Ralat atas siaran pers nomor {number}.",
    "photos": "Foto",
    "photo_credit": "Foto: {credit}",
    "sources": "Narasumber",
    "contacts": "Narahubung",
    "online": "Versi daring",
    "page": "Halaman {page} dari {pages}",
}


@dataclass(frozen=True)
class Source:
    """A narasumber: the person quoted, by full name and position ("Plh. Kepala Dinas …")."""

    name: str
    position: str = ""


@dataclass(frozen=True)
class Contact:
    """A contact person (narahubung) for journalists."""

    name: str
    phone: str = ""
    position: str = ""
    email: str = ""


@dataclass(frozen=True)
class Photo:
    """A photo for the release: image bytes (JPEG; PNG also works), caption and credit."""

    data: bytes
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class ReleaseDoc:
    """Everything printed on a release, as plain values (no database objects)."""

    opd_name: str
    number: str
    released_at: datetime  #: aware; its WIB date is printed and is the PDF's creation date
    headline: str
    lead: str = ""
    body_markdown: str = ""
    place: str = "Semarang"
    government_name: str = "Pemerintah Provinsi Jawa Tengah"
    sources: tuple[Source, ...] = ()
    contacts: tuple[Contact, ...] = ()
    photos: tuple[Photo, ...] = ()
    logo_png: bytes | None = None
    embargo_until: datetime | None = None  #: aware; the banner shows it in WIB
    correction_note: str | None = None  #: set on a correction: what was corrected
    corrects_number: str | None = None  #: the number of the release this one corrects
    url: str | None = None  #: the release on the public newsroom

    def __post_init__(self) -> None:
        for name in ("released_at", "embargo_until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be timezone-aware")
        # Lists are accepted for convenience and kept as tuples, so the document stays frozen.
        for name in ("sources", "contacts", "photos"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def is_correction(self) -> bool:
        return bool(self.correction_note or self.corrects_number)


class _ReleasePDF(FPDF):
    def __init__(self, doc: ReleaseDoc):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_margins(left=20, top=18, right=20)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_text_color(*INK)

    def close_font_files(self) -> None:
        """Close the font files fontTools keeps open (fpdf2 opens them lazily, never closes them)."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def header(self) -> None:
        if self.page_no() == 1:
            return  # the first page has the full masthead, drawn by the body
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, self.doc.opd_name, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(self.epw / 2, 5, f"{LABELS['number']}: {self.doc.number}", align="R",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.doc.embargo_until is not None:
            self.set_font(FAMILY, "B", 8)
            self.set_text_color(*EMBARGO_RED)
            self.cell(self.epw, 5, _embargo_text(self.doc), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*MUTED)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_y(self.get_y() + 4)
        self.set_text_color(*INK)

    def footer(self) -> None:
        # fpdf2 replaces its alias ("{nb}") with the page count when the document is output,
        # in every page's text: a body that itself says "{nb}" would show the count there.
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.epw, 5, LABELS["page"].format(page=self.page_no(), pages=self.str_alias_nb_pages),
                  align="C")
        self.set_text_color(*INK)


def _embargo_text(doc: ReleaseDoc) -> str:
    return LABELS["embargo"].format(moment=formatting.wib(doc.embargo_until))


def release_pdf(release: ReleaseDoc, *, compress: bool = True) -> bytes:
    """The release as PDF bytes (A4). ``compress=False`` leaves the page streams readable (tests)."""
    try:
        return _render(release, compress=compress, rich_body=True)
    except (NotImplementedError, FPDFException, KeyError, ValueError):
        # Markup fpdf2's HTML renderer cannot lay out (raw HTML in the Markdown can nest
        # things it refuses): the release still prints, its body as plain paragraphs. An
        # error from anything but the body comes back from the second render unchanged.
        log.warning("release %s: body set as plain text, its HTML did not render", release.number,
                    exc_info=True)
        return _render(release, compress=compress, rich_body=False)


def _render(release: ReleaseDoc, *, compress: bool, rich_body: bool) -> bytes:
    pdf = _ReleasePDF(release)
    try:
        pdf.set_compression(compress)
        pdf.set_creation_date(release.released_at)
        pdf.set_title(release.headline)
        pdf.set_author(release.opd_name)
        pdf.set_subject(f"{LABELS['title']} {release.number}")
        pdf.set_creator("Pressroom")
        pdf.set_lang("id")
        pdf.alias_nb_pages()
        pdf.add_page()
        _masthead(pdf, release)
        if release.embargo_until is not None:
            _embargo_banner(pdf, release)
        if release.is_correction:
            _correction_box(pdf, release)
        _headline_and_lead(pdf, release)
        _body(pdf, release.body_markdown, rich=rich_body)
        if release.photos:
            _photos(pdf, release.photos)
        if release.sources:
            _sources(pdf, release.sources)
        if release.contacts:
            _contacts(pdf, release.contacts)
        if release.url:
            _online(pdf, release.url)
        return bytes(pdf.output())
    finally:
        pdf.close_font_files()


def _masthead(pdf: _ReleasePDF, doc: ReleaseDoc) -> None:
    top = pdf.get_y()
    text_x = pdf.l_margin
    if doc.logo_png:
        width = _image_width_for_height(doc.logo_png, LOGO_HEIGHT)
        pdf.image(io.BytesIO(doc.logo_png), x=pdf.l_margin, y=top, h=LOGO_HEIGHT, w=width)
        text_x += width + 4
    pdf.set_xy(text_x, top)
    width = pdf.w - pdf.r_margin - text_x
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(width, 4.5, doc.government_name.upper(), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 6, doc.opd_name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = max(pdf.get_y(), top + (LOGO_HEIGHT if doc.logo_png else 0)) + 2
    pdf.set_fill_color(*ACCENT)
    pdf.rect(pdf.l_margin, bottom, pdf.epw, 1.2, style="F")
    pdf.set_y(bottom + 4)

    pdf.set_font(FAMILY, "B", 16)
    pdf.set_text_color(*INK)
    pdf.cell(pdf.epw, 8, LABELS["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(pdf.epw, 5.5, f"{LABELS['number']}: {doc.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(pdf.epw, 5.5, f"{doc.place}, {formatting.day(doc.released_at)}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _embargo_banner(pdf: _ReleasePDF, doc: ReleaseDoc) -> None:
    pdf.set_fill_color(*EMBARGO_RED)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(pdf.epw, 8, _embargo_text(doc), fill=True, align="C", padding=(1.5, 3),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*EMBARGO_RED)
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(pdf.epw, 6, LABELS["embargo_note"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(3)


def _correction_box(pdf: _ReleasePDF, doc: ReleaseDoc) -> None:
    lines = []
    if doc.corrects_number:
        lines.append(LABELS["corrects"].format(number=doc.corrects_number))
    if doc.correction_note:
        lines.append(doc.correction_note)
    pdf.set_fill_color(*CORRECTION_AMBER)
    pdf.set_font(FAMILY, "B", 10)
    pdf.multi_cell(pdf.epw, 5.5, LABELS["correction"], fill=True, align="L", padding=(2, 3, 0.5, 3),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(pdf.epw, 5.5, "\n".join(lines), fill=True, align="L", padding=(0, 3, 2, 3),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _headline_and_lead(pdf: _ReleasePDF, doc: ReleaseDoc) -> None:
    pdf.set_font(FAMILY, "B", 18)
    pdf.multi_cell(pdf.epw, 8.5, doc.headline, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    if doc.lead:
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(pdf.epw, 6, doc.lead, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)


_TAG_STYLES = {
    "p": TextStyle(font_family=FAMILY, font_size_pt=11, t_margin=0, b_margin=2.5),
    "h2": TextStyle(font_family=FAMILY, font_style="B", font_size_pt=14, color=ACCENT, t_margin=4,
                    b_margin=0.3),
    "h3": TextStyle(font_family=FAMILY, font_style="B", font_size_pt=12, color=ACCENT, t_margin=3,
                    b_margin=0.3),
    "h4": TextStyle(font_family=FAMILY, font_style="B", font_size_pt=11, color=INK, t_margin=3,
                    b_margin=0.3),
    "blockquote": TextStyle(font_family=FAMILY, color=MUTED, t_margin=2, b_margin=2, l_margin=8),
    "a": FontFace(color=ACCENT, emphasis="UNDERLINE"),
    # No italic face is bundled: emphasis is set upright rather than asking for a missing face.
    "em": FontFace(),
    "i": FontFace(),
    "li": TextStyle(font_family=FAMILY, l_margin=5, b_margin=0.5),
}


def _body(pdf: _ReleasePDF, markdown_text: str, *, rich: bool) -> None:
    html = render_body(markdown_text)
    if not html:
        return
    pdf.set_font(FAMILY, "", 11)
    if rich:
        pdf.set_fill_color(*TABLE_HEAD)  # fpdf2 fills a table's heading row with the current fill colour
        pdf.write_html(
            pdf_html(html),
            font_family=FAMILY,
            tag_styles=_TAG_STYLES,
            ul_bullet_char="\u2022",
            li_prefix_color=ACCENT,
            table_line_separators=True,
        )
    else:
        for block in html_to_text(html).split("\n\n"):
            pdf.multi_cell(pdf.epw, 5.5, block, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2.5)
    pdf.ln(2)


class _PdfHtml(HTMLParser):
    """Rewrite sanitised HTML into the subset fpdf2's ``write_html`` renders well.

    A table cell becomes its bare text (fpdf2 takes one run of text per cell and raises on
    anything nested); the paragraphs of a loose list item become line breaks (otherwise the
    item loses its number); links inside headings become their text (fpdf2 drops the space
    before them).
    """

    _VOID = frozenset({"br", "hr"})
    _HEADINGS = frozenset({"h2", "h3", "h4"})
    _BLOCKS = frozenset({"p", "br", "hr", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "table", "tr",
                         "td", "th"})
    #: Containers whose whitespace-only text between children is only source formatting.
    _CONTAINERS = frozenset({"ul", "ol", "li", "table", "thead", "tbody", "tr", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []  # open tags as written, or "" for one that was dropped
        self.cell: list[str] | None = None
        self.item_paragraphs: list[int] = []  # per open <li>: its paragraphs so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cell is not None:
            if tag in self._BLOCKS:
                self.cell.append(" ")
            return
        if tag in self._VOID:
            self.out.append(f"<{tag}>")
            return
        parent = self.stack[-1] if self.stack else None
        if tag == "p" and parent == "li":
            if self.item_paragraphs[-1]:
                self.out.append("<br>")
            self.item_paragraphs[-1] += 1
            self.stack.append("")
            return
        if tag == "a" and self._HEADINGS.intersection(self.stack):
            self.stack.append("")
            return
        self.stack.append(tag)
        if tag == "li":
            self.item_paragraphs.append(0)
        attributes = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
        self.out.append(f"<{tag}{attributes}>")
        if tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID:
            return
        if self.cell is not None:
            if tag not in ("td", "th"):
                if tag in self._BLOCKS:
                    self.cell.append(" ")
                return
            self.out.append(escape(" ".join("".join(self.cell).split()), quote=False))
            self.cell = None
        if not self.stack:
            return
        written = self.stack.pop()
        if written == "li":
            self.item_paragraphs.pop()
        if written:
            self.out.append(f"</{written}>")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif not data.strip() and (not self.stack or self.stack[-1] in self._CONTAINERS):
            return  # source formatting, such as the newline Markdown puts between <li> and <p>
        else:
            self.out.append(escape(data, quote=False))


def pdf_html(html: str) -> str:
    """Sanitised body HTML, reshaped for fpdf2's ``write_html`` (see ``_PdfHtml``)."""
    rewriter = _PdfHtml()
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)


def _section_title(pdf: _ReleasePDF, title: str, *, keep_with: float = 15) -> None:
    """A section's title, kept on one page with the first ``keep_with`` mm of what follows."""
    if pdf.get_y() + 10 + keep_with > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_text_color(*ACCENT)
    pdf.cell(pdf.epw, 6.5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _image_width_for_height(data: bytes, height: float) -> float:
    width_px, height_px = _image_size(data)
    return height * width_px / height_px


def _photo_size(pdf: _ReleasePDF, photo: Photo) -> tuple[float, float]:
    """The photo's size in mm, as large as fits the text width and ``PHOTO_MAX_HEIGHT``."""
    width_px, height_px = _image_size(photo.data)
    scale = min(pdf.epw / width_px, PHOTO_MAX_HEIGHT / height_px)
    return width_px * scale, height_px * scale


def _photos(pdf: _ReleasePDF, photos: tuple[Photo, ...]) -> None:
    _section_title(pdf, LABELS["photos"], keep_with=_photo_size(pdf, photos[0])[1] + 12)
    for photo in photos:
        width, height = _photo_size(pdf, photo)
        caption_room = 12 if (photo.caption or photo.credit) else 0
        if pdf.get_y() + height + caption_room > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(io.BytesIO(photo.data), x=pdf.l_margin + (pdf.epw - width) / 2, y=top, w=width, h=height)
        pdf.set_y(top + height + 1.5)
        if photo.caption:
            pdf.set_font(FAMILY, "", 9)
            pdf.multi_cell(pdf.epw, 4.5, photo.caption, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if photo.credit:
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(pdf.epw, 4.5, LABELS["photo_credit"].format(credit=photo.credit),
                           align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)
        pdf.ln(4)


def _sources(pdf: _ReleasePDF, sources: tuple[Source, ...]) -> None:
    _section_title(pdf, LABELS["sources"])
    for source in sources:
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(pdf.epw, 5, source.name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if source.position:
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(pdf.epw, 5, source.position, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


def _contacts(pdf: _ReleasePDF, contacts: tuple[Contact, ...]) -> None:
    _section_title(pdf, LABELS["contacts"])
    for contact in contacts:
        pdf.set_font(FAMILY, "B", 10)
        name = f"{contact.name} ({contact.position})" if contact.position else contact.name
        pdf.multi_cell(pdf.epw, 5, name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 10)
        for line in (contact.phone, contact.email):
            if line:
                pdf.multi_cell(pdf.epw, 5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


def _online(pdf: _ReleasePDF, url: str) -> None:
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw, 5, f"{LABELS['online']}: {url}", link=url, align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
