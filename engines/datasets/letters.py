"""Printed capital letters rendered with Pillow, plus bipolar glyphs.

The lecture notes' letter set (Arial, Courier, Times at 29x29, 26 classes) is approximated with
DejaVu Sans / Serif / Sans Mono, which ship with the project (engines/datasets/fonts: ASCII
subsets, so every machine renders the same pixels, whatever fonts it has), and Pillow's
built-in font.
Each glyph is cropped to its ink, scaled to fit a (size-2) box keeping its aspect ratio and
centred, so every face fills the image alike.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from engines.datasets.toy import as_rng

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FONT_DIRS = (os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts"),)  # shipped
FONT_FILES = {"sans": "DejaVuSans.ttf", "serif": "DejaVuSerif.ttf", "mono": "DejaVuSansMono.ttf"}
_RENDER_SCALE = 4  # glyphs are drawn this many times larger, then reduced (smooth edges)


class FontNotFound(ValueError):
    """A requested face is neither a known name nor a readable font file."""


def _font_path(name: str) -> str | None:
    if name in FONT_FILES:
        for folder in FONT_DIRS:
            path = os.path.join(folder, FONT_FILES[name])
            if os.path.isfile(path):
                return path
        return None
    return name if os.path.isfile(name) else None


def available_fonts() -> tuple:
    """Names of the faces letters() can use: the shipped DejaVu faces, then 'default'."""
    return tuple(name for name in FONT_FILES if _font_path(name)) + ("default",)


def _load_font(name: str, pixels: int):
    from PIL import ImageFont
    if name == "default":
        return ImageFont.load_default(pixels)
    path = _font_path(name)
    if path is None:
        raise FontNotFound(f"Font {name!r} is not a known face or font file; choose from "
                           f"{', '.join(available_fonts())} or give a .ttf/.otf path.")
    return ImageFont.truetype(path, pixels)


def _render_glyph(char: str, font, size: int) -> np.ndarray:
    from PIL import Image, ImageDraw
    big = size * _RENDER_SCALE
    canvas = Image.new("L", (2 * big, 2 * big), 0)
    ImageDraw.Draw(canvas).text((big // 4, big // 4), char, fill=255, font=font)
    box = canvas.getbbox()
    out = Image.new("L", (size, size), 0)
    if box is None:  # a face without this character: an empty image
        return np.zeros(size * size, dtype=np.float32)
    glyph = canvas.crop(box)
    room = max(size - 2, 1)
    scale = room / max(glyph.width, glyph.height)
    width, height = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
    glyph = glyph.resize((width, height), Image.LANCZOS)
    out.paste(glyph, ((size - width) // 2, (size - height) // 2))
    return np.asarray(out, dtype=np.float32).reshape(-1) / 255.0


@lru_cache(maxsize=16)
def _render(size: int, fonts: tuple, alphabet: str) -> np.ndarray:
    rows = []
    for name in fonts:
        font = _load_font(name, size * _RENDER_SCALE)
        rows.extend(_render_glyph(char, font, size) for char in alphabet)
    x = np.clip(np.stack(rows), 0.0, 1.0)
    x.flags.writeable = False
    return x


def letters(size: int = 29, fonts=None, noise: float = 0.0, rng=None,
            alphabet: str = ALPHABET, flips: float = 0.0):
    """Rendered letters: x float32 (len(fonts) * len(alphabet), size*size) in [0, 1], labels int.

    Rows run face by face, each face through the alphabet; labels index into `alphabet`.
    fonts: names from available_fonts() or font file paths (default: every available face).
    noise adds N(0, noise^2) to each pixel, flips inverts each pixel with that probability;
    the result is clipped to [0, 1]. Clean renders are cached, so repeated calls are cheap.
    """
    if isinstance(fonts, str):
        fonts = (fonts,)
    fonts = available_fonts() if fonts is None else tuple(fonts)
    x = _render(int(size), fonts, alphabet).copy()
    labels = np.tile(np.arange(len(alphabet), dtype=np.int64), len(fonts))
    return add_pixel_noise(x, noise, flips, rng), labels


def add_pixel_noise(x: np.ndarray, noise: float = 0.0, flips: float = 0.0, rng=None):
    """x with Gaussian noise (std `noise`) and pixel flips (probability `flips`), in [0, 1]."""
    if not noise and not flips:
        return x
    rng = as_rng(rng)
    x = np.array(x, dtype=np.float32)
    if noise:
        x += noise * rng.standard_normal(x.shape, dtype=np.float32)
    if flips:
        flip = rng.random(x.shape) < flips
        x[flip] = 1.0 - x[flip]
    return np.clip(x, 0.0, 1.0, out=x)


def bipolar_glyphs(size: int = 12, letters: str = "ABCD", font: str | None = None):
    """+1/-1 letter images for Hopfield nets and BAM: float32 (len(letters), size*size).

    A pixel is +1 where the rendered glyph (first available face unless `font` is given)
    covers at least half of it, else -1.
    """
    face = font or available_fonts()[0]
    x = _render(int(size), (face,), letters)
    return np.where(x >= 0.5, 1.0, -1.0).astype(np.float32)
