"""Uploaded PDFs, seen as images: what operators and the other party look at by default.

A PDF can carry JavaScript, forms, embedded files and links; the original is kept as sent, in
private storage, and offered only as an explicit download. What people look at are its pages
rendered by PDFium (pypdfium2, built without a JavaScript engine) to plain JPEGs, at most
MAX_PAGES of them, in the worker after the upload commits (docs/uploads.md).

`pdf_check` runs in the request: the file must open, hold 1 to MAX_PAGES pages and need no
password, so the uploader hears at once what is wrong. `pdf_pages` renders, in the worker.
"""

import secrets
import threading
from io import BytesIO
from typing import Any

import pypdfium2 as pdfium
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from barnraise.errors import InvalidDocument, TooManyPages
from barnraise.images import JPEG_QUALITY, Rendition

MAX_PAGES = 20
DPI = 150  # readable print, small files
LONGEST = 2000  # px; a page of any declared size renders within this square
# PDFium keeps global state and is not safe to call from two threads at once.
_PDFIUM = threading.Lock()


def is_pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:  # damaged, not a PDF, or locked with a password
        raise InvalidDocument() from exc


def pdf_check(data: bytes) -> int:
    """The number of pages; InvalidDocument (422) if it does not open or has none, TooManyPages
    (422) over MAX_PAGES. Nothing is rendered."""
    with _PDFIUM:
        document = _open(data)
        try:
            count = len(document)
        finally:
            document.close()
    if count < 1:
        raise InvalidDocument(_("The PDF has no pages."))
    if count > MAX_PAGES:
        raise TooManyPages(
            _("Send at most %(limit)d pages; split the document if it has more.") % {"limit": MAX_PAGES},
            details={"limit": MAX_PAGES, "pages": count},
        )
    return count


def pdf_pages(data: bytes) -> list[Rendition]:
    """Each page (at most MAX_PAGES), rendered at DPI within LONGEST px, as a fresh JPEG."""
    renditions = []
    with _PDFIUM:
        document = _open(data)
        try:
            document.init_forms()  # filled-in form fields are drawn; scripts never run
            for index in range(min(len(document), MAX_PAGES)):
                page = document[index]
                try:
                    width, height = page.get_size()  # in points, 1/72 in
                    scale = min(DPI / 72, LONGEST / max(width, height, 1))
                    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
                finally:
                    page.close()
                buffer = BytesIO()
                image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
                content = ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(16)}.jpg")
                renditions.append(Rendition(content=content, width=image.width, height=image.height))
        finally:
            document.close()
    return renditions


def pdf_pages_save(*, original: FieldFile, page_model: type[models.Model], **owner: Any) -> int:
    """Render `original` and store its pages as rows of `page_model` (fields `number`, `image`,
    `width`, `height`) belonging to `owner` (e.g. `document=…`). Safe to run twice: pages once
    stored are kept, and a run that fails leaves no file behind. Returns the pages stored."""
    manager = page_model._default_manager
    if manager.filter(**owner).exists():
        return 0
    with original.open("rb") as handle:
        data = handle.read()
    pages: list[Any] = []  # instances of `page_model`, each with its `image` file field
    try:
        for number, rendition in enumerate(pdf_pages(data), start=1):
            page: Any = page_model(number=number, width=rendition.width, height=rendition.height, **owner)
            pages.append(page)
            page.image.save(rendition.content.name, rendition.content, save=False)
        with transaction.atomic():
            manager.bulk_create(pages)
    except Exception:
        for page in pages:
            if page.image:
                page.image.delete(save=False)
        raise
    return len(pages)
