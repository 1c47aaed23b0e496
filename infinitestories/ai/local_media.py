"""Real PNG pictures for the offline provider: deterministic, and different for every prompt."""

import hashlib
import io
import math

from PIL import Image, ImageDraw

SIZE = 512


def _rng(seed: bytes):
    """A tiny deterministic byte stream from a hash (no global random state)."""
    counter = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        yield from block
        counter += 1


def picture(prompt: str, *, reference: bytes | None = None) -> bytes:
    stream = _rng(prompt.encode())
    sky = (next(stream) // 2, next(stream) // 2 + 40, 120 + next(stream) // 2)
    ground = (40 + next(stream) // 3, 90 + next(stream) // 3, 40 + next(stream) // 4)
    image = Image.new("RGB", (SIZE, SIZE), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, SIZE * 2 // 3, SIZE, SIZE], fill=ground)
    for _ in range(12 + next(stream) % 12):  # stars
        x, y = next(stream) * 2, next(stream)
        draw.ellipse([x, y, x + 4, y + 4], fill=(255, 250, 200))
    moon_x = 60 + next(stream) * 1.5
    draw.ellipse([moon_x, 40, moon_x + 60, 100], fill=(250, 240, 190))
    # The hero: a round figure whose colours come from the reference (the avatar) when given,
    # so pictures drawn from the same avatar share them.
    hero_seed = hashlib.sha256(reference or prompt.encode()).digest()
    body = (hero_seed[0], hero_seed[1], hero_seed[2])
    cx = 140 + next(stream) * 0.9
    draw.ellipse([cx - 40, 230, cx + 40, 310], fill=(240, 200, 170))
    draw.rectangle([cx - 45, 310, cx + 45, 420], fill=body)
    for i in range(5 + next(stream) % 4):  # scene shapes
        angle = 2 * math.pi * i / 7
        x = 360 + 90 * math.cos(angle) * (next(stream) / 255)
        y = 300 + 80 * math.sin(angle) * (next(stream) / 255)
        colour = (next(stream), next(stream), next(stream))
        draw.regular_polygon((x, y, 18 + next(stream) % 20), 3 + next(stream) % 4, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
