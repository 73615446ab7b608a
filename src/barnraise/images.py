"""Uploaded images, made safe to store and serve: the one way photos and avatars come in.

An upload is never trusted: not its name, not its content type, not its extension. The bytes are
decoded by Pillow (JPEG, PNG, WebP and the first frame of a GIF only), checked for size and for
decompression bombs, turned upright by their EXIF orientation, flattened to sRGB, and re-encoded
as fresh JPEGs with no metadata at all (no EXIF, so no GPS position; no XMP, comment or ICC), each
under a random name. What comes out is ready for the storage API, through a model's ImageField.

An image of more than MAX_PIXELS (25 megapixels) is refused from its header, before a pixel is
decoded (ImageTooLarge, 422 `image_too_large`): a small PNG can declare a huge canvas. Below it, a
JPEG is decoded at the smallest DCT scale the largest rendition allows (`draft`), and any other
image is reduced by a whole factor (`reduce`) as soon as it is decoded, so the slow steps (colour
management, orientation, resampling) work on a few megapixels; docs/uploads.md.
"""

import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, WebPImagePlugin

from barnraise.errors import FileTooLarge, ImageTooLarge, InvalidImage

# The formats we decode. Pillow is told to try no other plugin, so an SVG, a PDF, a TIFF or an
# EPS (which would run Ghostscript) is refused, whatever it is called.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
JPEG_QUALITY = 85
BACKGROUND = (255, 255, 255)  # transparent pixels become white, as on the pages
# The most pixels an upload may have (width × height), read from its header. Pillow's own bomb
# guard is set to the same number, so no other caller of Pillow in the process decodes more.
MAX_PIXELS = 25_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Modes `Image.reduce` averages correctly (not palette indices, bits or 16-bit samples).
REDUCIBLE = ("L", "LA", "RGB", "RGBA", "CMYK")


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
    max_pixels: int = MAX_PIXELS,
    sizes: Mapping[str, Size],
) -> IngestedImage:
    """Check and re-encode `upload`; the client's file name and content type are ignored.

    Raises FileTooLarge (413) over `max_bytes`, ImageTooLarge (422) over `max_pixels` (from the
    header, nothing decoded), and InvalidImage (422) for anything that is not a whole JPEG, PNG,
    WebP or GIF.
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


def _too_many_pixels(max_pixels: int) -> ImageTooLarge:
    message = _("The image has more than %(megapixels)s megapixels; send a smaller one.") % {
        "megapixels": f"{max_pixels / 1_000_000:g}"
    }
    return ImageTooLarge(message, details={"max_pixels": max_pixels})


def _decode(data: bytes, *, max_pixels: int, sizes: Mapping[str, Size]) -> Image.Image:
    """The first frame, decoded, upright, in RGB; InvalidImage for anything else."""
    with warnings.catch_warnings():
        # Pillow warns past Image.MAX_IMAGE_PIXELS and raises only at twice that: refuse at once.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            _refuse_a_large_webp(data, max_pixels)
            image: Image.Image = Image.open(BytesIO(data), formats=FORMATS)
            if image.format not in FORMATS:
                raise InvalidImage()
            if image.width < 1 or image.height < 1:
                raise InvalidImage()
            if image.width * image.height > max_pixels:  # from the header: nothing decoded yet
                raise _too_many_pixels(max_pixels)
            image.seek(0)  # a GIF's or WebP's first frame
            if image.format == "JPEG":
                # Decode at a reduced scale when the largest rendition allows: less memory, faster.
                longest = max(size.longest for size in sizes.values())
                image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else "RGB", (longest, longest))
            image.load()  # a truncated or corrupt file fails here (LOAD_TRUNCATED_IMAGES stays off)
            image = _reduced(image, sizes)  # the full decode is let go here
            upright = ImageOps.exif_transpose(image)
        except (InvalidImage, ImageTooLarge):
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except Exception as exc:
            # Hostile bytes make Pillow's parsers raise many kinds (OSError, ValueError,
            # SyntaxError, EOFError, struct.error, UnidentifiedImageError…): all are a bad file.
            raise InvalidImage() from exc
    return _to_srgb(upright)


def _refuse_a_large_webp(data: bytes, max_pixels: int) -> None:
    """libwebp allocates a WebP's canvas when Pillow opens it: read its size first."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = WebPImagePlugin._get_size(data[:30])  # Pillow's own header reader (private)
        if size is not None and size[0] * size[1] > max_pixels:
            raise _too_many_pixels(max_pixels)


def _reduced(image: Image.Image, sizes: Mapping[str, Size]) -> Image.Image:
    """`image` in a mode that averages (RGB(A), L(A), CMYK), shrunk by the largest whole factor
    that still leaves every rendition all the pixels it needs (as JPEG's `draft` does); the
    box average of `reduce` loses nothing the resampling after it would keep."""
    if image.mode == "P":  # palette indices cannot be averaged: their colours can
        image = _palette_on_white(image).convert("RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    short, long_ = sorted(image.size)
    factor = min((short if size.square else long_) // size.longest for size in sizes.values())
    if factor >= 2 and image.mode in (*REDUCIBLE, "I"):
        image = image.reduce(factor)
    if image.mode == "I":  # 16-bit greyscale: scale to 8 bits, don't clip
        image = image.point(lambda value: value / 256, "L")
    return image


def _palette_on_white(image: Image.Image) -> Image.Image:
    """A palette image whose transparency is laid on the background in the palette itself (each
    colour blended by its alpha), so it converts to RGB with no RGBA copy at full size."""
    transparency = image.info.pop("transparency", None)
    if transparency is None:
        return image
    colours = image.getpalette("RGB") or []
    alphas = [255] * (len(colours) // 3)
    if isinstance(transparency, int) and transparency < len(alphas):
        alphas[transparency] = 0
    elif isinstance(transparency, bytes):
        alphas[: len(transparency)] = list(transparency)[: len(alphas)]
    flat = [
        round((value * alphas[i // 3] + BACKGROUND[i % 3] * (255 - alphas[i // 3])) / 255)
        for i, value in enumerate(colours)
    ]
    image.putpalette(flat, "RGB")
    return image


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
