"""Uploaded images, made safe to store and serve: the one way photos and avatars come in.

An upload is never trusted: not its name, not its content type, not its extension. The bytes are
decoded by Pillow (JPEG, PNG, WebP and the first frame of a GIF only), checked for size and for
decompression bombs, turned upright by their EXIF orientation, flattened to sRGB, and re-encoded
as fresh JPEGs with no metadata at all (no EXIF, so no GPS position; no XMP, comment or ICC), each
under a random name. What comes out is ready for the storage API, through a model's ImageField.
"""

import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from barnraise.errors import FileTooLarge, InvalidImage

# The formats we decode. Pillow is told to try no other plugin, so an SVG, a PDF, a TIFF or an
# EPS (which would run Ghostscript) is refused, whatever it is called.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
JPEG_QUALITY = 85
BACKGROUND = (255, 255, 255)  # transparent pixels become white, as on the pages


class Upload(Protocol):
    """What is read: a Django UploadedFile, or any binary file object."""

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class Size:
    """A rendition: fit within `longest` pixels on the longest side (never enlarged), or, when
    `square`, the centre square scaled to `longest` × `longest`."""

    longest: int
    square: bool = False


@dataclass(frozen=True)
class Rendition:
    content: ContentFile[bytes]  # named `<random>.jpg`; the field's upload_to adds the folder
    width: int
    height: int


@dataclass(frozen=True)
class IngestedImage:
    renditions: dict[str, Rendition]
    width: int  # of the upright source
    height: int

    def __getitem__(self, name: str) -> Rendition:
        return self.renditions[name]


def image_ingest(
    upload: Upload,
    *,
    max_bytes: int,
    max_pixels: int = 40_000_000,
    sizes: Mapping[str, Size],
) -> IngestedImage:
    """Check and re-encode `upload`; the client's file name and content type are ignored.

    Raises FileTooLarge (413) over `max_bytes`, and InvalidImage (422) for anything that is not
    a whole JPEG, PNG, WebP or GIF of at most `max_pixels` pixels.
    """
    data = _read_bounded(upload, max_bytes)
    upright = _decode(data, max_pixels=max_pixels, sizes=sizes)
    renditions = {name: _render(upright, size) for name, size in sizes.items()}
    return IngestedImage(renditions=renditions, width=upright.width, height=upright.height)


def _read_bounded(upload: Upload, max_bytes: int) -> bytes:
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise FileTooLarge(details={"limit": max_bytes})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)  # never more than the limit, whatever `size` claimed
    if not isinstance(data, bytes):
        raise InvalidImage()
    if len(data) > max_bytes:
        raise FileTooLarge(details={"limit": max_bytes})
    if not data:
        raise InvalidImage(_("The file is empty."))
    return data


def _too_many_pixels(max_pixels: int) -> InvalidImage:
    return InvalidImage(_("The image has too many pixels."), details={"max_pixels": max_pixels})


def _decode(data: bytes, *, max_pixels: int, sizes: Mapping[str, Size]) -> Image.Image:
    """The first frame, decoded, upright, in RGB; InvalidImage for anything else."""
    with warnings.catch_warnings():
        # Pillow warns past Image.MAX_IMAGE_PIXELS and raises only at twice that: refuse at once.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=FORMATS)
            if image.format not in FORMATS:
                raise InvalidImage()
            if image.width < 1 or image.height < 1 or image.width * image.height > max_pixels:
                raise _too_many_pixels(max_pixels)
            image.seek(0)  # a GIF's or WebP's first frame
            if image.format == "JPEG":
                # Decode at a reduced scale when the largest rendition allows: less memory, faster.
                longest = max(size.longest for size in sizes.values())
                image.draft("RGB", (longest, longest))
            image.load()  # a truncated or corrupt file fails here (LOAD_TRUNCATED_IMAGES stays off)
            upright = ImageOps.exif_transpose(image)
        except InvalidImage:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except Exception as exc:
            # Hostile bytes make Pillow's parsers raise many kinds (OSError, ValueError,
            # SyntaxError, EOFError, struct.error, UnidentifiedImageError…): all are a bad file.
            raise InvalidImage() from exc
    return _to_srgb(upright)


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: colour-managed when the file carries a profile, transparency on white."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                image, BytesIO(icc), ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: fall back to the plain conversion below
        if converted is not None:
            image = converted
    if image.mode == "I" or image.mode.startswith("I;16"):  # 16-bit greyscale: scale, don't clip
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _render(image: Image.Image, size: Size) -> Rendition:
    if size.square:
        side = min(image.width, image.height)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        out = image.crop((left, top, left + side, top + side))
        if side > size.longest:
            out = out.resize((size.longest, size.longest), Image.Resampling.LANCZOS)
    else:
        out = image.copy()
        out.thumbnail((size.longest, size.longest), Image.Resampling.LANCZOS)
    # A fresh image: nothing from the source's info (comment, XMP, EXIF, ICC) can ride along.
    clean = Image.new("RGB", out.size)
    clean.paste(out)
    buffer = BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    name = f"{secrets.token_hex(16)}.jpg"
    return Rendition(
        content=ContentFile(buffer.getvalue(), name=name), width=clean.width, height=clean.height
    )
