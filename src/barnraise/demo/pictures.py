"""Illustrations for the demo's listings: one flat drawing per category, made for the project.

Drawn with Pillow at seed time (twice the size, then scaled down for smooth edges), so the demo
ships no image files. A bike listing shows a bike, a room a bed under a window, a van a van;
each listing's drawing differs in its colours, ground and placement, from the seed's random
generator. They go through the real photo service like any upload.
"""

import random
from collections.abc import Callable
from io import BytesIO

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Draw = Callable[[ImageDraw.ImageDraw, float, float, float, "Palette", random.Random], None]

INK = (52, 46, 43)
WHITE = (252, 250, 246)


class Palette:
    """A backdrop, a ground and three colours for the subject."""

    def __init__(self, back: RGB, ground: RGB, main: RGB, second: RGB, third: RGB) -> None:
        self.back, self.ground, self.main, self.second, self.third = back, ground, main, second, third


PALETTES = [
    Palette((236, 226, 208), (214, 196, 168), (181, 67, 47), (58, 110, 140), (233, 176, 64)),
    Palette((221, 234, 228), (188, 210, 196), (46, 120, 98), (222, 122, 64), (60, 72, 110)),
    Palette((232, 228, 242), (206, 198, 226), (96, 82, 160), (226, 92, 110), (245, 196, 84)),
    Palette((244, 232, 220), (226, 204, 182), (170, 88, 58), (70, 130, 110), (92, 96, 140)),
    Palette((222, 232, 242), (192, 208, 226), (44, 96, 150), (236, 150, 60), (180, 60, 70)),
]


def _bike(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    r, w = 95 * s, int(14 * s)
    rear, front = (x - 120 * s, y + 40 * s), (x + 130 * s, y + 40 * s)
    for cx, cy in (rear, front):
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=INK, width=w)
        d.ellipse([cx - 12 * s, cy - 12 * s, cx + 12 * s, cy + 12 * s], fill=INK)
    crank, seat, head = (x, y + 40 * s), (x - 40 * s, y - 90 * s), (x + 95 * s, y - 80 * s)
    frame = int(16 * s)
    d.line([rear, crank, head, seat, rear], fill=p.main, width=frame, joint="curve")
    d.line([seat, crank], fill=p.main, width=frame)
    d.line([head, front], fill=p.main, width=frame)
    d.rounded_rectangle(
        [seat[0] - 45 * s, seat[1] - 22 * s, seat[0] + 35 * s, seat[1] - 2 * s], 8 * s, fill=INK
    )
    d.line(
        [head, (head[0] - 10 * s, head[1] - 45 * s), (head[0] + 45 * s, head[1] - 55 * s)],
        fill=INK,
        width=frame,
    )
    d.ellipse([crank[0] - 22 * s, crank[1] - 22 * s, crank[0] + 22 * s, crank[1] + 22 * s], fill=p.third)


def _produce(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    fruits = rng.sample([(214, 62, 48), (238, 146, 42), (120, 170, 60), (128, 62, 110), (240, 200, 60)], 5)
    for i, colour in enumerate(fruits):
        cx, cy, r = x + (i - 2) * 62 * s, y - 20 * s - (i % 2) * 40 * s, 48 * s
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        d.ellipse([cx - r * 0.55, cy - r * 0.6, cx - r * 0.2, cy - r * 0.25], fill=WHITE)
        d.polygon(
            [(cx, cy - r), (cx + 30 * s, cy - r - 28 * s), (cx + 8 * s, cy - r - 4 * s)], fill=(70, 140, 70)
        )
    d.rounded_rectangle([x - 190 * s, y + 10 * s, x + 190 * s, y + 140 * s], 10 * s, fill=(170, 120, 70))
    for row in range(3):
        top = y + 22 * s + row * 40 * s
        d.rectangle([x - 175 * s, top, x + 175 * s, top + 24 * s], fill=(205, 160, 105))


def _furniture(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.rounded_rectangle([x - 200 * s, y - 130 * s, x + 200 * s, y + 20 * s], 40 * s, fill=p.main)
    d.rounded_rectangle([x - 180 * s, y - 10 * s, x + 180 * s, y + 70 * s], 24 * s, fill=p.main)
    d.rounded_rectangle([x - 165 * s, y - 40 * s, x - 5 * s, y + 30 * s], 20 * s, fill=_lighter(p.main))
    d.rounded_rectangle([x + 5 * s, y - 40 * s, x + 165 * s, y + 30 * s], 20 * s, fill=_lighter(p.main))
    for side in (-1, 1):
        d.rounded_rectangle(
            [x + side * 230 * s - 35 * s, y - 60 * s, x + side * 230 * s + 35 * s, y + 80 * s],
            30 * s,
            fill=p.main,
        )
        d.rectangle(
            [x + side * 180 * s - 8 * s, y + 80 * s, x + side * 180 * s + 8 * s, y + 120 * s], fill=INK
        )
    d.rounded_rectangle([x + 40 * s, y - 100 * s, x + 120 * s, y - 30 * s], 14 * s, fill=p.third)


def _handmade(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.ellipse([x - 150 * s, y - 110 * s, x + 10 * s, y + 90 * s], fill=p.main)
    d.rectangle([x - 105 * s, y - 175 * s, x - 35 * s, y - 80 * s], fill=p.main)
    d.ellipse([x - 115 * s, y - 190 * s, x - 25 * s, y - 160 * s], fill=_darker(p.main))
    for i in range(3):
        d.arc(
            [x - 140 * s, y - 60 * s + i * 40 * s, x, y - 20 * s + i * 40 * s],
            10,
            170,
            fill=p.third,
            width=int(8 * s),
        )
    d.rounded_rectangle([x + 50 * s, y - 10 * s, x + 170 * s, y + 100 * s], 18 * s, fill=p.second)
    d.arc([x + 140 * s, y + 10 * s, x + 210 * s, y + 80 * s], 270, 90, fill=p.second, width=int(16 * s))
    d.line([(x + 75 * s, y + 20 * s), (x + 145 * s, y + 20 * s)], fill=WHITE, width=int(8 * s))


def _room(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.rectangle(
        [x - 90 * s, y - 230 * s, x + 90 * s, y - 90 * s],
        fill=(176, 214, 236),
        outline=WHITE,
        width=int(12 * s),
    )
    d.line([(x, y - 230 * s), (x, y - 90 * s)], fill=WHITE, width=int(10 * s))
    d.ellipse([x + 20 * s, y - 210 * s, x + 60 * s, y - 170 * s], fill=(250, 226, 120))
    d.rounded_rectangle([x - 230 * s, y - 70 * s, x - 200 * s, y + 110 * s], 10 * s, fill=_darker(p.main))
    d.rounded_rectangle([x - 210 * s, y - 10 * s, x + 230 * s, y + 60 * s], 16 * s, fill=WHITE)
    d.rounded_rectangle([x - 190 * s, y - 45 * s, x - 90 * s, y - 5 * s], 18 * s, fill=_lighter(p.second))
    d.rounded_rectangle([x - 60 * s, y - 20 * s, x + 235 * s, y + 70 * s], 16 * s, fill=p.main)
    d.rectangle([x - 205 * s, y + 60 * s, x + 225 * s, y + 90 * s], fill=_darker(p.main))
    for leg in (-200, 215):
        d.rectangle([x + leg * s - 6 * s, y + 90 * s, x + leg * s + 6 * s, y + 115 * s], fill=INK)


def _desk(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.rectangle([x - 220 * s, y, x + 220 * s, y + 22 * s], fill=(160, 110, 70))
    for leg in (-200, 190):
        d.rectangle([x + leg * s, y + 22 * s, x + (leg + 14) * s, y + 140 * s], fill=(130, 90, 60))
    d.rounded_rectangle([x - 110 * s, y - 170 * s, x + 90 * s, y - 40 * s], 10 * s, fill=INK)
    d.rectangle([x - 98 * s, y - 158 * s, x + 78 * s, y - 52 * s], fill=p.second)
    d.rectangle([x - 18 * s, y - 40 * s, x + 2 * s, y], fill=INK)
    d.rectangle([x - 55 * s, y - 8 * s, x + 40 * s, y], fill=INK)
    d.line(
        [(x + 150 * s, y), (x + 150 * s, y - 120 * s), (x + 110 * s, y - 170 * s)],
        fill=p.main,
        width=int(10 * s),
    )
    d.pieslice([x + 60 * s, y - 200 * s, x + 150 * s, y - 130 * s], 180, 360, fill=p.main)
    d.rounded_rectangle([x - 200 * s, y - 50 * s, x - 150 * s, y], 6 * s, fill=p.third)
    for leaf in range(3):
        d.ellipse(
            [x - 205 * s + leaf * 20 * s, y - 100 * s, x - 175 * s + leaf * 20 * s, y - 45 * s],
            fill=(70, 140, 80),
        )


def _tools(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.rounded_rectangle([x - 200 * s, y - 110 * s, x + 40 * s, y - 20 * s], 30 * s, fill=p.main)
    d.rectangle([x + 40 * s, y - 85 * s, x + 90 * s, y - 45 * s], fill=INK)
    d.rectangle([x + 90 * s, y - 72 * s, x + 170 * s, y - 58 * s], fill=(160, 160, 170))
    d.polygon(
        [
            (x - 150 * s, y - 20 * s),
            (x - 70 * s, y - 20 * s),
            (x - 90 * s, y + 110 * s),
            (x - 170 * s, y + 110 * s),
        ],
        fill=_darker(p.main),
    )
    d.rounded_rectangle([x - 185 * s, y + 100 * s, x - 65 * s, y + 150 * s], 10 * s, fill=p.third)
    d.rectangle([x - 30 * s, y - 20 * s, x - 10 * s, y + 20 * s], fill=INK)
    d.rounded_rectangle([x + 20 * s, y + 40 * s, x + 230 * s, y + 150 * s], 12 * s, fill=p.second)
    d.rectangle([x + 20 * s, y + 70 * s, x + 230 * s, y + 80 * s], fill=_darker(p.second))
    d.arc([x + 90 * s, y + 5 * s, x + 160 * s, y + 70 * s], 180, 360, fill=INK, width=int(10 * s))


def _vehicle(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.rounded_rectangle([x - 240 * s, y - 140 * s, x + 130 * s, y + 60 * s], 24 * s, fill=p.main)
    d.polygon(
        [
            (x + 120 * s, y - 100 * s),
            (x + 200 * s, y - 100 * s),
            (x + 250 * s, y - 20 * s),
            (x + 250 * s, y + 60 * s),
            (x + 120 * s, y + 60 * s),
        ],
        fill=p.main,
    )
    d.polygon(
        [
            (x + 135 * s, y - 85 * s),
            (x + 190 * s, y - 85 * s),
            (x + 228 * s, y - 25 * s),
            (x + 135 * s, y - 25 * s),
        ],
        fill=(186, 220, 236),
    )
    d.rounded_rectangle([x - 215 * s, y - 110 * s, x - 40 * s, y - 40 * s], 10 * s, fill=(186, 220, 236))
    d.rectangle([x - 240 * s, y, x + 250 * s, y + 18 * s], fill=_darker(p.main))
    for cx in (x - 150 * s, x + 160 * s):
        d.ellipse([cx - 48 * s, y + 20 * s, cx + 48 * s, y + 116 * s], fill=INK)
        d.ellipse([cx - 20 * s, y + 48 * s, cx + 20 * s, y + 88 * s], fill=(190, 190, 196))
    d.ellipse([x + 228 * s, y - 5 * s, x + 250 * s, y + 15 * s], fill=p.third)


def _cleaning(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    d.polygon(
        [
            (x - 200 * s, y - 40 * s),
            (x - 40 * s, y - 40 * s),
            (x - 60 * s, y + 130 * s),
            (x - 180 * s, y + 130 * s),
        ],
        fill=p.second,
    )
    d.arc([x - 190 * s, y - 140 * s, x - 50 * s, y - 10 * s], 180, 360, fill=INK, width=int(10 * s))
    d.ellipse([x - 200 * s, y - 60 * s, x - 40 * s, y - 25 * s], fill=_darker(p.second))
    d.rounded_rectangle([x + 40 * s, y - 60 * s, x + 150 * s, y + 130 * s], 26 * s, fill=p.main)
    d.rectangle([x + 70 * s, y - 110 * s, x + 120 * s, y - 60 * s], fill=INK)
    d.polygon(
        [
            (x + 70 * s, y - 110 * s),
            (x + 150 * s, y - 110 * s),
            (x + 170 * s, y - 90 * s),
            (x + 70 * s, y - 90 * s),
        ],
        fill=INK,
    )
    d.rounded_rectangle([x + 60 * s, y, x + 130 * s, y + 60 * s], 10 * s, fill=WHITE)
    for sx, sy, r in ((200, -150, 22), (235, -95, 14), (-110, -190, 18), (175, -40, 10)):
        cx, cy, rr = x + sx * s, y + sy * s, r * s
        points = [(0, -2), (0.5, -0.5), (2, 0), (0.5, 0.5), (0, 2), (-0.5, 0.5), (-2, 0), (-0.5, -0.5)]
        d.polygon([(cx + dx * rr, cy + dy * rr) for dx, dy in points], fill=WHITE)


def _moving(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    card = (196, 150, 96)
    for left, top, right, bottom in (
        (-220, 10, 20, 140),
        (0, 30, 200, 140),
        (-170, -110, 40, 10),
        (-20, -70, 150, 30),
    ):
        d.rectangle(
            [x + left * s, y + top * s, x + right * s, y + bottom * s],
            fill=card,
            outline=_darker(card),
            width=int(4 * s),
        )
        mid = x + (left + right) / 2 * s
        d.rectangle([mid - 14 * s, y + top * s, mid + 14 * s, y + bottom * s], fill=(226, 196, 140))
    handle = [(x + 225 * s, y - 120 * s), (x + 225 * s, y + 140 * s), (x + 150 * s, y + 140 * s)]
    d.line(handle, fill=p.main, width=int(14 * s))
    d.ellipse([x + 195 * s, y + 125 * s, x + 245 * s, y + 175 * s], fill=INK)


def _pets(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    fur = rng.choice([(196, 138, 84), (140, 100, 66), (222, 186, 128)])
    for side in (-1, 1):
        ear = x + side * 120 * s
        d.ellipse([ear - 50 * s, y - 150 * s, ear + 50 * s, y + 10 * s], fill=_darker(fur))
    d.ellipse([x - 130 * s, y - 150 * s, x + 130 * s, y + 110 * s], fill=fur)
    d.ellipse([x - 70 * s, y - 10 * s, x + 70 * s, y + 100 * s], fill=_lighter(fur))
    for side in (-1, 1):
        eye = x + side * 55 * s
        d.ellipse([eye - 16 * s, y - 70 * s, eye + 16 * s, y - 38 * s], fill=INK)
    d.ellipse([x - 28 * s, y + 5 * s, x + 28 * s, y + 40 * s], fill=INK)
    d.arc([x - 30 * s, y + 25 * s, x + 30 * s, y + 75 * s], 30, 150, fill=INK, width=int(6 * s))
    d.rounded_rectangle([x - 110 * s, y + 100 * s, x + 110 * s, y + 125 * s], 10 * s, fill=p.main)
    d.ellipse([x - 15 * s, y + 115 * s, x + 15 * s, y + 145 * s], fill=p.second)


def _errands(d: ImageDraw.ImageDraw, x: float, y: float, s: float, p: Palette, rng: random.Random) -> None:
    paper = (200, 160, 110)
    d.ellipse([x - 150 * s, y - 130 * s, x - 100 * s, y - 40 * s], fill=(80, 150, 80))
    d.rectangle([x - 60 * s, y - 150 * s, x - 30 * s, y - 40 * s], fill=p.third)
    d.ellipse([x - 20 * s, y - 110 * s, x + 40 * s, y - 50 * s], fill=p.main)
    bag = [
        (x - 190 * s, y - 60 * s),
        (x + 70 * s, y - 60 * s),
        (x + 50 * s, y + 140 * s),
        (x - 170 * s, y + 140 * s),
    ]
    d.polygon(bag, fill=paper)
    d.arc([x - 120 * s, y - 120 * s, x, y], 180, 360, fill=_darker(paper), width=int(10 * s))
    d.rounded_rectangle([x + 110 * s, y - 150 * s, x + 250 * s, y + 120 * s], 10 * s, fill=WHITE)
    for row in range(4):
        top = y - 115 * s + row * 58 * s
        d.rectangle([x + 130 * s, top, x + 152 * s, top + 22 * s], outline=p.second, width=int(5 * s))
        d.line([(x + 165 * s, top + 11 * s), (x + 230 * s, top + 11 * s)], fill=INK, width=int(6 * s))
        if row < 2:
            tick = [(x + 133 * s, top + 10 * s), (x + 141 * s, top + 19 * s), (x + 158 * s, top - 6 * s)]
            d.line(tick, fill=p.main, width=int(6 * s))


SUBJECTS: dict[str, Draw] = {
    "produce": _produce,
    "bikes": _bike,
    "furniture": _furniture,
    "handmade": _handmade,
    "rooms": _room,
    "desks": _desk,
    "equipment": _tools,
    "vehicles": _vehicle,
    "cleaning": _cleaning,
    "moving": _moving,
    "pets": _pets,
    "errands": _errands,
}


def _lighter(colour: RGB, share: float = 0.35) -> RGB:
    r, g, b = (int(c + (255 - c) * share) for c in colour)
    return r, g, b


def _darker(colour: RGB, share: float = 0.25) -> RGB:
    r, g, b = (int(c * (1 - share)) for c in colour)
    return r, g, b


def photo_bytes(slug: str, rng: random.Random, size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG of the category's drawing, in one of the palettes, placed a little differently
    each time; a category without its own drawing gets the errand (a bag and a list)."""
    palette = rng.choice(PALETTES)
    width, height = size[0] * 2, size[1] * 2
    image = Image.new("RGB", (width, height), palette.back)
    draw = ImageDraw.Draw(image)
    horizon = height * rng.uniform(0.68, 0.76)
    draw.rectangle([0, horizon, width, height], fill=palette.ground)
    # a soft sun or lamp-glow behind the subject, for depth
    glow_x, glow_r = width * rng.uniform(0.15, 0.85), height * rng.uniform(0.18, 0.26)
    draw.ellipse(
        [glow_x - glow_r, height * 0.08, glow_x + glow_r, height * 0.08 + 2 * glow_r],
        fill=_lighter(palette.back, 0.5),
    )
    scale = (height / 600) * rng.uniform(0.95, 1.1)
    x = width / 2 + rng.uniform(-0.06, 0.06) * width
    y = horizon - 60 * scale
    draw.ellipse(
        [x - 260 * scale, horizon + 40 * scale, x + 260 * scale, horizon + 95 * scale],
        fill=_darker(palette.ground, 0.12),
    )
    SUBJECTS.get(slug, _errands)(draw, x, y, scale, palette, rng)
    out = BytesIO()
    image.resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=85)
    return out.getvalue()
