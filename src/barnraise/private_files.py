"""Files of the private storage (identity documents, licences, dispute evidence, and the page
images rendered from their PDFs), answered to a caller a view has already authorized.

No URL serves the private storage (settings.STORAGES["private"]); every view that hands one of
its files out, in the API, the pages and the admin, answers through `private_file_response`.
"""

import re

from django.core.files.storage import Storage, storages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# The types the upload checks store (barnraise.images, barnraise.pdfs), each with the
# extension a download is named with. Any other stored type is served as bytes.
SERVED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
OPAQUE = "application/octet-stream"


def private_storage() -> Storage:
    """The storage no URL serves; its files are read only through the authorized views."""
    return storages["private"]


def private_file_response(
    file: FieldFile, *, content_type: str, name: str, inline: bool = False
) -> FileResponse:
    """Stream `file` from the private storage.

    - `content_type` is the type stored with the file when its upload was checked, never one
      guessed from its name; a type not in SERVED_TYPES is sent as application/octet-stream.
    - `name` names the download: reduced to letters, digits, `-` and `_`, with the extension of
      its type.
    - `inline` only for what Barnraise made itself (a page rendered to a JPEG). An uploaded file
      is always an attachment, never opened in the browser: a PDF may carry scripts.
    - Kept by no cache (`private, no-store`), never sniffed as another type (`nosniff`), and
      sandboxed with no sources should a browser open it as a document.

    A file missing from the storage is a 404.
    """
    served = content_type if content_type in SERVED_TYPES else OPAQUE
    filename = safe_filename(name, SERVED_TYPES.get(served, "bin"))
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
