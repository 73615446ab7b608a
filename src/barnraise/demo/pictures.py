"""Generated photos for demo listings: a soft two-colour scene with the category's initial.

Made with Pillow at seed time, so the demo ships no image files and every listing looks
different. They go through the real photo service like any upload.
"""

import random
from io import BytesIO

from PIL import Image, ImageDraw

PALETTES = {
    "produce": [(229, 115, 62), (247, 201, 72), (120, 170, 80)],
    "bikes": [(52, 101, 164), (200, 60, 60), (60, 60, 60)],
    "furniture": [(150, 111, 51), (210, 180, 140), (90, 70, 50)],
    "handmade": [(214, 160, 90), (180, 90, 120), (240, 220, 180)],
    "rooms": [(110, 160, 200), (240, 230, 210), (90, 130, 90)],
    "desks": [(200, 200, 210), (120, 140, 170), (250, 250, 245)],
    "equipment": [(240, 180, 40), (80, 80, 80), (200, 80, 40)],
    "vehicles": [(70, 90, 120), (180, 180, 190), (30, 30, 30)],
}
DEFAULT = [(120, 150, 180), (230, 220, 200), (90, 120, 100)]


def photo_bytes(slug: str, rng: random.Random, size: tuple[int, int] = (800, 600)) -> bytes:
    colours = PALETTES.get(slug, DEFAULT)
    sky, ground, accent = rng.sample(colours, 3) if len(colours) >= 3 else (colours * 3)[:3]
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = int(size[1] * rng.uniform(0.5, 0.7))
    draw.rectangle([0, horizon, size[0], size[1]], fill=ground)
    for _ in range(rng.randint(2, 5)):
        x, y = rng.randint(50, size[0] - 150), rng.randint(horizon - 150, horizon + 50)
        w, h = rng.randint(60, 180), rng.randint(60, 180)
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + w, y + h], fill=accent)
        else:
            draw.rectangle([x, y, x + w, y + h], fill=accent)
    out = BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
