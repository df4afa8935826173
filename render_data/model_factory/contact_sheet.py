"""A contact sheet: images enlarged (nearest neighbour) with their captions, for looking at a dataset or at
what a model draws. The one implementation; the dataset preview and the evaluation both use it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from journey_base.files import atomic_path

from .specs import IMAGE_SIZE


def contact_sheet(images: np.ndarray, captions: list[str], scale: int = 2, cols: int = 6):
    """A PIL image: each sample enlarged (nearest) with its caption wrapped underneath."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    tile = IMAGE_SIZE * scale
    cell_w, pad = tile + 56, 6
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def wrap(text: str) -> list[str]:
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and probe.textlength(trial, font=font) > cell_w - 2 * pad:
                lines.append(line)
                line = word
            else:
                line = trial
        return lines + ([line] if line else [])

    wrapped = [wrap(c) for c in captions]
    line_h = 12
    cell_h = tile + pad * 2 + line_h * max((len(w) for w in wrapped), default=1)
    cols = max(1, min(cols, len(images)))
    rows = -(-len(images) // cols)
    sheet = Image.new("RGB", (cols * cell_w, max(1, rows) * cell_h), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    for i, (img, lines) in enumerate(zip(images, wrapped)):
        r, c = divmod(i, cols)
        x0, y0 = c * cell_w, r * cell_h
        sheet.paste(Image.fromarray(img).resize((tile, tile), Image.NEAREST), (x0 + (cell_w - tile) // 2, y0 + pad))
        for k, line in enumerate(lines):
            draw.text((x0 + pad, y0 + tile + pad + 2 + k * line_h), line, fill=(20, 20, 20), font=font)
    return sheet



def save_png(image, path: Path) -> Path:
    """Write a PIL image atomically."""
    with atomic_path(path, suffix=".png") as tmp:
        image.save(tmp)
    return path
