"""What processing an image costs in memory, at the largest size an upload may have.

An image of at most 25 megapixels is decoded, reduced and re-encoded in a fresh process, so the
numbers belong to that one image. Pillow allocates pixels with C's allocator, which tracemalloc
does not see (only Python's own heap: the bytes read, the encoded results, and for WebP the
decoded frame): the test bounds both, tracemalloc's peak and the growth of the process' peak
resident size (VmHWM), which counts Pillow's pixel buffers too.
"""

import json
import os
import subprocess
import sys
from io import BytesIO

import pytest
from PIL import Image

MB = 1024 * 1024
MAX_PIXELS = 25_000_000  # the documented limit (docs/uploads.md)
WIDTH, HEIGHT = 5_000, 4_999  # just under it

# The peak resident size is read from /proc (VmHWM, this process' own), not from getrusage: a
# child's ru_maxrss starts at its parent's peak, and pytest's is larger than what is measured.
MEASURE = """
import json, os, sys, tracemalloc
import django
django.setup()
from barnraise.catalog.photos import PHOTO_SIZES
from barnraise.images import image_ingest

def peak():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

size = os.path.getsize(sys.argv[1])
before = peak()
tracemalloc.start()
with open(sys.argv[1], "rb") as upload:
    out = image_ingest(upload, max_bytes=size, sizes=PHOTO_SIZES)
python_peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"python": python_peak, "rss": peak() - before, "size": out["image"].width}))
"""


def maximal(kind: str) -> bytes:
    """A file of WIDTH × HEIGHT pixels; one colour, so the file itself stays small."""
    buffer = BytesIO()
    if kind == "png-rgba":  # 4 bytes a pixel decoded: the costliest PNG
        Image.new("RGBA", (WIDTH, HEIGHT), (10, 200, 30, 128)).save(buffer, "PNG")
    elif kind == "png-palette":
        Image.new("P", (WIDTH, HEIGHT), 3).save(buffer, "PNG", transparency=3)
    elif kind == "png-16-bit-grey":
        Image.new("I;16", (WIDTH, HEIGHT), 3000).save(buffer, "PNG")
    elif kind == "gif":
        Image.new("P", (WIDTH, HEIGHT), 3).save(buffer, "GIF", transparency=3)
    elif kind == "jpeg-cmyk":
        Image.new("CMYK", (WIDTH, HEIGHT), (1, 2, 3, 4)).save(buffer, "JPEG")
    elif kind == "webp":
        Image.new("RGBA", (WIDTH, HEIGHT), (10, 200, 30, 128)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


# The growth of the peak resident size allowed. For PNG, GIF and JPEG: the decoded image (at
# most 4 bytes a pixel, 100 MB) and one working copy of it before it is reduced. WebP costs more
# in libwebp itself (its canvas and Pillow's copy of the frame); docs/uploads.md.
BOUNDS = {
    "png-rgba": 240 * MB,
    "png-palette": 240 * MB,
    "png-16-bit-grey": 240 * MB,
    "gif": 240 * MB,
    "jpeg-cmyk": 240 * MB,
    "webp": 450 * MB,
}
PYTHON_HEAP = {"webp": 110 * MB}  # the decoded frame passes through a bytes object


@pytest.mark.parametrize("kind", BOUNDS)
def test_a_maximal_image_costs_bounded_memory(tmp_path, kind):
    # given
    assert WIDTH * HEIGHT <= MAX_PIXELS
    path = tmp_path / f"maximal.{kind}"
    path.write_bytes(maximal(kind))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "barnraise.config.test_settings",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    # when
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", MEASURE, str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    # then
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["size"] == 2000
    assert measured["rss"] <= BOUNDS[kind], f"{measured['rss'] / MB:.0f} MB"
    assert measured["python"] <= PYTHON_HEAP.get(kind, 8 * MB), f"{measured['python'] / MB:.0f} MB"
