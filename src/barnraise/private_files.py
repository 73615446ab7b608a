"""Files of the private storage (identity documents, licences, dispute evidence, and the page
images rendered from their PDFs), answered to a caller a view has already authorized.

No URL serves the private storage (settings.STORAGES["private"]); every view that hands one of
its files out, in the API, the pages and the admin, answers through `private_file_response`:
streamed from the local disk, or, on an object store (PRIVATE_STORAGE_URL), a redirect to a
presigned URL that answers for a minute (barnraise.object_storage).
"""

import re
from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.functional import LazyObject, empty

from barnraise import object_storage

# The types the upload checks store (barnraise.images, barnraise.pdfs), each with the
# extension a download is named with. Any other stored type is served as bytes.
SERVED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
OPAQUE = "application/octet-stream"


class _PrivateStorage(LazyObject):  # type: ignore[type-arg]  # django-stubs: LazyObject is generic
    """storages["private"], looked up when first used and again after STORAGES changes (as
    Django's default_storage is), so the models' file fields follow the settings in force."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


_private: Any = _PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **_: Any) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage() -> Storage:
    """The storage no URL serves; its files are read only through the authorized views."""
    storage: Storage = _private
    return storage


def private_file_response(
    file: FieldFile, *, content_type: str, name: str, inline: bool = False
) -> HttpResponseBase:
    """Stream `file` from the private storage, or redirect to it on an object store.

    - `content_type` is the type stored with the file when its upload was checked, never one
      guessed from its name; a type not in SERVED_TYPES is sent as application/octet-stream.
    - `name` names the download: reduced to letters, digits, `-` and `_`, with the extension of
      its type.
    - `inline` only for what Barnraise made itself (a page rendered to a JPEG). An uploaded file
      is always an attachment, never opened in the browser: a PDF may carry scripts.
    - Kept by no cache (`private, no-store`), never sniffed as another type (`nosniff`), and
      sandboxed with no sources should a browser open it as a document.

    A file missing from the storage is a 404.

    On an object store the answer is a 302 to a presigned URL of SIGNED_URL_SECONDS that makes
    the store send the same type, disposition and Cache-Control; the redirect itself is kept by
    no cache either. The store answers from its own origin, which holds no cookie of the site,
    so nosniff and the sandbox matter less there; the attachment disposition still keeps an
    uploaded PDF out of the browser.
    """
    served = content_type if content_type in SERVED_TYPES else OPAQUE
    filename = safe_filename(name, SERVED_TYPES.get(served, "bin"))
    if file.name and object_storage.is_object_store(file.storage):
        if not file.storage.exists(file.name):
            raise Http404
        disposition = object_storage.content_disposition(filename, inline=inline)
        url = object_storage.signed_url(file.storage, file.name, content_type=served, disposition=disposition)
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "private, no-store"
        redirect["Referrer-Policy"] = "no-referrer"
        return redirect
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # ValueError: a field with no file
        raise Http404 from exc
    response = FileResponse(handle, content_type=served, as_attachment=not inline, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def safe_filename(name: str, extension: str) -> str:
    """`name` as a file name any browser and file system takes: `passport-0190….pdf`."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:100] or "file"
    return f"{stem}.{extension}"
