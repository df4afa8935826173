"""Emoji artwork cut into sprites: each image cropped to its alpha box, centred in a square and resized to
48x48 (premultiplied Lanczos-3, as PIL's LANCZOS) once, into build/dataset/sprites.npz (~1 MB: small enough
to travel to a GPU machine). Rebuilt when the code that makes it changes (journey_base.freshness)."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from journey_base.files import atomic_path
from journey_base.freshness import stage_key
from journey_base.paths import BUILD

from .npm_sources import CREDITS, SOURCES, _source_files
from .specs import CATEGORIES, DATASET_VERSION, IMAGE_SIZE, STYLES, SUBJECT_NAMES, SUBJECTS, DatasetError


SPRITE_SIZE = 48  # stored sprites: the artwork's alpha bounding box, longest side scaled to this


SKIN_TONES = ("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff")


def _lanczos_matrix(n_in: int, n_out: int, a: int = 3) -> np.ndarray:
    """(n_out, n_in) weights; antialiased when shrinking (the kernel widens by the scale, as in PIL)."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale
    x = ((np.arange(n_in) + 0.5)[None, :] - centres[:, None]) / support
    w = np.sinc(x) * np.sinc(x / a) * (np.abs(x) < a)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float64)


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """uint8 straight-alpha RGBA (..., 4) -> float32 premultiplied in [0, 1]."""
    x = rgba.astype(np.float32) / 255.0
    x[..., :3] *= x[..., 3:]
    return x


def unpremultiply(p: np.ndarray) -> np.ndarray:
    """float premultiplied RGBA -> uint8 straight-alpha RGBA."""
    alpha = np.clip(p[..., 3:], 0.0, 1.0)
    visible = np.rint(alpha * 255) > 0  # pixels that stay transparent keep no colour (no halos)
    rgb = np.where(visible, p[..., :3] / np.maximum(alpha, 1e-6), 0.0)
    return np.rint(np.clip(np.concatenate([rgb, alpha], axis=-1), 0, 1) * 255).astype(np.uint8)


def resize_premultiplied(p: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize premultiplied float RGBA (..., H, W, 4) to (..., h, w, 4) with Lanczos-3; clipped so that
    0 <= colour <= alpha <= 1 (the kernel's negative lobes would otherwise ring)."""
    h, w = (size, size) if isinstance(size, int) else size
    wy = _lanczos_matrix(p.shape[-3], h)
    wx = _lanczos_matrix(p.shape[-2], w)
    out = np.einsum("ih,...hwc,jw->...ijc", wy, p.astype(np.float64), wx, optimize=True)
    alpha = np.clip(out[..., 3:], 0.0, 1.0)
    rgb = np.clip(out[..., :3], 0.0, alpha)
    return np.concatenate([rgb, alpha], axis=-1).astype(np.float32)


def prepare_sprite(image_bytes: bytes, size: int = SPRITE_SIZE) -> np.ndarray:
    """Decode one emoji image, crop it to its alpha bounding box, centre it in a square and resize the
    square to size x size (premultiplied Lanczos). Returns uint8 straight-alpha RGBA."""
    from PIL import Image

    with Image.open(io.BytesIO(image_bytes)) as im:
        rgba = np.asarray(im.convert("RGBA"))
    ys, xs = np.nonzero(rgba[..., 3] > 2)
    if len(ys) == 0:
        raise DatasetError("an emoji image is fully transparent")
    crop = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 4), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = crop
    return unpremultiply(resize_premultiplied(premultiply(square), size))


@dataclass
class Sprites:
    """All sprites: rgba[i] is subject[i] drawn in style[i] (uint8 straight alpha, 48x48)."""

    rgba: np.ndarray
    subject: np.ndarray
    style: np.ndarray
    meta: dict
    path: Path | None = None

    def __post_init__(self):
        self._table = np.full((int(self.subject.max()) + 1, int(self.style.max()) + 1), -1, np.int64)
        self._table[self.subject, self.style] = np.arange(len(self.subject))
        self._premultiplied = premultiply(self.rgba)
        self._scaled: dict[int, np.ndarray] = {}
        self._over: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.rgba)

    def row(self, subject: int, style: int) -> int:
        r = int(self._table[subject, style])
        if r < 0:
            raise KeyError(f"no sprite for subject {subject} in style {style}")
        return r

    def scaled(self, px: int) -> np.ndarray:
        """All sprites at px x px, premultiplied float32 (N, px, px, 4); cached per size."""
        if px not in self._scaled:
            self._scaled[px] = (self._premultiplied if px == self.rgba.shape[1]
                                else resize_premultiplied(self._premultiplied, px))
        return self._scaled[px]

    def over_terms(self, px: int) -> tuple[np.ndarray, np.ndarray]:
        """(1 - alpha, 255 * premultiplied colour), both (N, px, px, 3) float32: "over" is then
        canvas * first + second. Cached per size."""
        if px not in self._over:
            p = self.scaled(px)
            self._over[px] = (np.ascontiguousarray(np.repeat(1.0 - p[..., 3:], 3, axis=-1)),
                              np.ascontiguousarray(255.0 * p[..., :3]))
        return self._over[px]

    @property
    def subject_names(self) -> list[str]:
        return [s["name"] for s in self.meta["subjects"]]

    @property
    def style_names(self) -> list[str]:
        return [s["words"] for s in self.meta["styles"]]


def default_sprites_path() -> Path:
    return BUILD / "dataset" / "sprites.npz"


def sprites_key() -> str:
    """The stage key of sprites.npz: this code and what it imports, the sources, subjects and styles."""
    return stage_key(code=[Path(__file__)], sources=SOURCES, subjects=SUBJECTS, styles=STYLES, size=SPRITE_SIZE)


def build_sprites(path: Path | None = None, npm_cache: Path | None = None, extra_dirs=None,
                  progress: bool = True, log=print) -> Path:
    """Fetch (or reuse) the source tarballs and write sprites.npz atomically. Returns its path."""
    path = Path(path) if path is not None else default_sprites_path()
    codes = [code for _, _, code in SUBJECTS]
    for code in codes:
        if any(t in code for t in SKIN_TONES):
            raise DatasetError(f"subject code {code} carries a skin tone")
    rgba, subj, style = [], [], []
    for si, st in enumerate(STYLES):
        files = _source_files(st["source"], codes, npm_cache, extra_dirs, progress, log)
        for k, code in enumerate(codes):
            try:
                rgba.append(prepare_sprite(files[code]))
            except Exception as exc:  # a corrupt image is an expected, reportable failure
                raise DatasetError(f"{SOURCES[st['source']]['package']}: cannot decode {code}: {exc}") from None
            subj.append(k)
            style.append(si)
    meta = {
        "key": sprites_key(),
        "version": DATASET_VERSION,
        "size": SPRITE_SIZE,
        "subject_names": SUBJECT_NAMES,
        "image_size": IMAGE_SIZE,
        "subjects": [{"name": n, "category": c, "code": code} for n, c, code in SUBJECTS],
        "categories": CATEGORIES,
        "styles": [{"id": s["id"], "words": s["words"], "package": SOURCES[s["source"]]["package"],
                    "version": SOURCES[s["source"]]["version"]} for s in STYLES],
        "sources": CREDITS,
        "alpha": "straight (not premultiplied); sprites are cropped to their alpha box, longest side 48 px",
    }
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, rgba=np.stack(rgba), subject=np.array(subj, np.int16),
                                style=np.array(style, np.int8), meta=np.array(json.dumps(meta)))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; this is an ordinary build output
    return path


def read_sprites(path: Path) -> Sprites:
    with np.load(path, allow_pickle=False) as z:
        return Sprites(rgba=z["rgba"], subject=z["subject"].astype(np.int64), style=z["style"].astype(np.int64),
                       meta=json.loads(str(z["meta"])), path=Path(path))


def sprites_are_current(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError):
        return False
    return meta.get("key") == sprites_key()


def load_sprites(path: Path | None = None, progress: bool = True, log=print) -> Sprites:
    """The sprites, built first when the file is missing or stale."""
    path = Path(path) if path is not None else default_sprites_path()
    if not sprites_are_current(path):
        build_sprites(path, progress=progress, log=log)
    return read_sprites(path)

