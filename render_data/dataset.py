"""Training data for the embedded model: python -m render_data.dataset --help

Real emoji artwork (three styles, from npm packages pinned below) is cut into 48x48 RGBA sprites once
(build/dataset/sprites.npz, ~1 MB: small enough to travel to a GPU machine). Training images are then
composed on the fly, in pure numpy and deterministically from a seed: one sprite (or two, ~15%) at a
size and position on a flat background colour, 64x64 RGB, with a caption at one of four levels of
detail built from the same attributes:

    0  a snail
    1  a snail on a purple background
    2  a small snail in the top left on a purple background
    3  a small glossy 3d snail in the top left on a purple background
    two objects: a small flat snail left of a medium flat car on an orange background

A vague caption leaves the unnamed attributes free; a detailed one pins them down. Colour words only
ever name the background. See render_data/DATASET.md for sources, licences and the caption grammar.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from journey_base.paths import BUILD, ROOT
from journey_base.credits import load_credits
from journey_base.files import atomic_path

DATASET_VERSION = 1
IMAGE_SIZE = 64  # composed images are IMAGE_SIZE x IMAGE_SIZE RGB
SPRITE_SIZE = 48  # stored sprites: the artwork's alpha bounding box, longest side scaled to this

# --------------------------------------------------------------------------------------------------
# Sources (exact versions; the sha512 integrity is npm's, checked on every tarball used)

SOURCES = {
    "noto": {
        "package": "emoji-datasource-google", "version": "16.0.0",
        "integrity": "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
        "layout": "datasource", "folder": "package/img/google/64", "has_img": "has_img_google",
    },
    "fluent3d": {
        "package": "@lobehub/fluent-emoji-3d", "version": "1.1.0",
        "integrity": "sha512-Wlq2lVStTnr8BDpIJ0pEnTKO4LuDxxqTEhTvRtD1DLRF0me7ogeRQjKoehDHXuVJ2Qaecgl5wRBv60lUAG3h7g==",
        "layout": "fluent", "folder": "package/assets",
    },
    "twemoji": {
        "package": "emoji-datasource-twitter", "version": "16.0.0",
        "integrity": "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
        "layout": "datasource", "folder": "package/img/twitter/64", "has_img": "has_img_twitter",
    },
}

# Style index = position in this list. "words" is what a level-3 caption says.
STYLES = [
    {"id": "noto", "words": "cartoon", "source": "noto"},
    {"id": "fluent3d", "words": "glossy 3d", "source": "fluent3d"},
    {"id": "twemoji", "words": "flat", "source": "twemoji"},
]

# Every source's licence and credit lives in credits.toml (the end card and model card read it too).
CREDITS = load_credits()["artwork"]

# --------------------------------------------------------------------------------------------------
# Subjects: (caption noun, category, code = image file stem in every package). Nouns never contain a
# colour word (colours are reserved for backgrounds); all are single-character emoji without skin tones.

SUBJECTS = [
    ("snail", "animal", "1f40c"), ("butterfly", "animal", "1f98b"), ("cat", "animal", "1f408"),
    ("dog", "animal", "1f415"), ("fish", "animal", "1f420"), ("frog", "animal", "1f438"),
    ("owl", "animal", "1f989"), ("turtle", "animal", "1f422"), ("octopus", "animal", "1f419"),
    ("penguin", "animal", "1f427"), ("elephant", "animal", "1f418"), ("whale", "animal", "1f433"),
    ("bee", "animal", "1f41d"), ("crab", "animal", "1f980"),
    ("apple", "food", "1f34e"), ("banana", "food", "1f34c"), ("cherries", "food", "1f352"),
    ("pizza", "food", "1f355"), ("watermelon", "food", "1f349"), ("strawberry", "food", "1f353"),
    ("pineapple", "food", "1f34d"), ("carrot", "food", "1f955"), ("doughnut", "food", "1f369"),
    ("ice cream", "food", "1f366"),
    ("car", "vehicle", "1f697"), ("rocket", "vehicle", "1f680"), ("bicycle", "vehicle", "1f6b2"),
    ("boat", "vehicle", "26f5"), ("bus", "vehicle", "1f68c"), ("airplane", "vehicle", "2708-fe0f"),
    ("helicopter", "vehicle", "1f681"), ("tractor", "vehicle", "1f69c"),
    ("tree", "nature", "1f333"), ("sun", "nature", "2600-fe0f"), ("moon", "nature", "1f319"),
    ("star", "nature", "2b50"), ("cactus", "nature", "1f335"), ("flower", "nature", "1f337"),
    ("rainbow", "nature", "1f308"),
    ("umbrella", "object", "2602-fe0f"), ("key", "object", "1f511"), ("guitar", "object", "1f3b8"),
    ("house", "object", "1f3e0"), ("light bulb", "object", "1f4a1"), ("balloon", "object", "1f388"),
    ("gift", "object", "1f381"), ("crown", "object", "1f451"), ("anchor", "object", "2693"),
]
SUBJECT_NAMES = [s[0] for s in SUBJECTS]
PLURAL_NOUNS = {"cherries"}  # take no article: "small cherries in the centre"
CATEGORIES = sorted({s[1] for s in SUBJECTS})
SKIN_TONES = ("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff")

# Sizes: nominal longest side in pixels and the +- jitter. Two-object images use small and medium only.
SIZES = [("small", 20), ("medium", 30), ("large", 44)]
SIZE_NAMES = [s[0] for s in SIZES]
SIZE_JITTER = 2
POSITIONS = ["top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right"]
POSITION_PHRASES = ["in the top left", "at the top", "in the top right", "on the left", "in the centre",
                    "on the right", "in the bottom left", "at the bottom", "in the bottom right"]
MARGIN = 2  # pixels kept free at the canvas edge (before jitter)
MAX_POSITION_JITTER = 4
# Background palette: well separated in RGB; each image jitters its colour by up to BG_JITTER per channel.
BACKGROUNDS = [
    ("red", (210, 40, 40)), ("orange", (245, 130, 20)), ("yellow", (245, 215, 50)), ("green", (50, 160, 60)),
    ("turquoise", (30, 170, 170)), ("blue", (35, 85, 215)), ("purple", (125, 55, 175)),
    ("pink", (245, 155, 200)), ("white", (245, 245, 245)), ("black", (20, 20, 20)), ("grey", (128, 128, 128)),
]
BACKGROUND_NAMES = [b[0] for b in BACKGROUNDS]
BG_JITTER = 6
RELATIONS = ["left of", "right of", "above", "below"]
# (position of the first-named object, position of the second) for each relation
RELATION_POSITIONS = [(3, 5), (5, 3), (1, 7), (7, 1)]
CAPTION_LEVELS = 4
CAPTION_LEVEL_WEIGHTS = (0.2, 0.25, 0.25, 0.3)
LABEL_KEYS = ("subject", "style", "size", "position", "background")


class DatasetError(RuntimeError):
    """An expected failure, reported as one line (no traceback) by the CLI."""


class FetchError(DatasetError):
    """A source package could not be fetched (npm missing, no network, bad tarball)."""


# --------------------------------------------------------------------------------------------------
# Fetching and reading the npm tarballs


def tarball_name(source: dict) -> str:
    """The file name `npm pack` gives: emoji-datasource-google-16.0.0.tgz, lobehub-fluent-emoji-3d-1.1.0.tgz."""
    return f"{source['package'].lstrip('@').replace('/', '-')}-{source['version']}.tgz"


def _integrity(path: Path) -> str:
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def fetch_tarball(source: dict, cache_dir: Path | None = None, extra_dirs=None, log=print) -> Path:
    """The source's tarball: reused from cache_dir (or extra_dirs, default <repo>/build/npm) when its
    integrity matches, else fetched with `npm pack <package>@<version>` into cache_dir."""
    cache_dir = Path(cache_dir) if cache_dir is not None else BUILD / "npm"
    extra_dirs = [ROOT / "build" / "npm"] if extra_dirs is None else list(extra_dirs)
    spec = f"{source['package']}@{source['version']}"
    name = tarball_name(source)
    for folder in [cache_dir, *extra_dirs]:
        path = Path(folder) / name
        if path.is_file():
            if _integrity(path) == source["integrity"]:
                return path
            log(f"warning: {path} does not match the pinned integrity of {spec}; fetching it again")
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm not found: it is needed to fetch {spec} (install Node.js/npm, "
                         f"or put {name} into {cache_dir})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    log(f"fetching {spec} with npm pack ...")
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".npm-pack-") as tmp:
        try:
            proc = subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--loglevel=error"],
                                  capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            raise FetchError(f"npm pack {spec} timed out (network?)") from None
        got = Path(tmp) / name
        if proc.returncode != 0 or not got.is_file():
            raise FetchError(f"npm pack {spec} failed: {_npm_reason(proc)}")
        if _integrity(got) != source["integrity"]:
            raise FetchError(f"{spec}: the downloaded tarball does not match the pinned integrity")
        os.replace(got, cache_dir / name)
    return cache_dir / name


def _npm_reason(proc: subprocess.CompletedProcess) -> str:
    """The telling line of npm's error output: 'E404: 404 Not Found - GET ...', 'ECONNREFUSED: ...'."""
    code, reason = "", ""
    for line in (proc.stderr or "").splitlines():
        text = line.removeprefix("npm error").removeprefix("npm ERR!").strip()
        if not line.startswith(("npm error", "npm ERR!")) or not text:
            continue
        if text.startswith("code "):
            code = text[5:].strip()
        elif not reason and not text.startswith(("syscall", "errno", "at ", "{", "}", "A complete log")):
            reason = text
    return ": ".join(x for x in (code, reason) if x) or f"exit status {proc.returncode}"


def _read_members(path: Path, wanted: set[str], label: str, progress: bool) -> dict[str, bytes]:
    """One streaming pass over a .tgz, keeping only the wanted members (stops once all are found)."""
    from tqdm import tqdm

    found: dict[str, bytes] = {}
    with open(path, "rb") as raw, tqdm.wrapattr(raw, "read", total=path.stat().st_size, desc=label,
                                                  leave=False, disable=not progress) as f:
        try:
            with tarfile.open(fileobj=f, mode="r|gz") as tar:
                for member in tar:
                    if member.name in wanted and member.isfile():
                        found[member.name] = tar.extractfile(member).read()
                        if len(found) == len(wanted):
                            break
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise FetchError(f"{label}: cannot read {path}: {exc}") from None
    return found


def _source_files(key: str, codes: list[str], cache_dir, extra_dirs, progress: bool, log) -> dict[str, bytes]:
    """code -> image bytes for one source, checked against the package's own emoji.json."""
    source = SOURCES[key]
    spec = f"{source['package']}@{source['version']}"
    path = fetch_tarball(source, cache_dir, extra_dirs, log=log)
    folder = source["folder"]
    if source["layout"] == "datasource":
        names = {c: f"{folder}/{c}.png" for c in codes}
        members = _read_members(path, {*names.values(), "package/emoji.json"}, spec, progress)
        if "package/emoji.json" not in members:
            raise DatasetError(f"{spec}: package/emoji.json missing from {path}")
        table = {e["image"][:-4]: e for e in json.loads(members["package/emoji.json"])}
        for c in codes:
            entry = table.get(c)
            if entry is None or not entry.get(source["has_img"]):
                raise DatasetError(f"{spec}: no image for emoji {c} according to its emoji.json")
    else:  # fluent: assets/<code>.webp, sometimes without the trailing -fe0f
        candidates = {c: [f"{folder}/{c}.webp", f"{folder}/{c.replace('-fe0f', '')}.webp"] for c in codes}
        members = _read_members(path, {n for v in candidates.values() for n in v}, spec, progress)
        names = {}
        for c, options in candidates.items():
            names[c] = next((n for n in options if n in members), options[0])
    missing = [n for n in names.values() if n not in members]
    if missing:
        raise DatasetError(f"{spec}: missing from the tarball: {', '.join(missing[:5])}")
    return {c: members[n] for c, n in names.items()}


# --------------------------------------------------------------------------------------------------
# Resampling (premultiplied alpha, Lanczos-3 like PIL's LANCZOS filter, in numpy)


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


# --------------------------------------------------------------------------------------------------
# The sprite file


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


def _expected_meta_keys() -> dict:
    return {"version": DATASET_VERSION, "size": SPRITE_SIZE, "subject_names": SUBJECT_NAMES,
            "style_ids": [s["id"] for s in STYLES]}


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
        **_expected_meta_keys(),
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


def _is_current(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except Exception:
        return False
    return all(meta.get(k) == v for k, v in _expected_meta_keys().items())


def load_sprites(path: Path | None = None, progress: bool = True, log=print) -> Sprites:
    """The sprites, built first when the file is missing or was made by another dataset version."""
    path = Path(path) if path is not None else default_sprites_path()
    if not _is_current(path):
        build_sprites(path, progress=progress, log=log)
    return read_sprites(path)


def subject_names(sprites: Sprites | None = None) -> list[str]:
    return sprites.subject_names if sprites is not None else list(SUBJECT_NAMES)


def n_classes(sprites: Sprites | None = None) -> dict[str, int]:
    """Number of classes of each label a classifier predicts (keys: LABEL_KEYS)."""
    return {"subject": len(subject_names(sprites)), "style": len(STYLES), "size": len(SIZES),
            "position": len(POSITIONS), "background": len(BACKGROUNDS)}


# --------------------------------------------------------------------------------------------------
# Specs: everything an image and its captions are made from


@dataclass(frozen=True)
class Spec:
    """One image. (x, y) is the top-left corner of the object's px x px box. For two-object images the
    caption reads "<first> <relation> <second>"; subject2 is -1 for one-object images."""

    subject: int
    style: int
    size: int
    position: int
    background: int
    bg_rgb: tuple[int, int, int]
    px: int
    x: int
    y: int
    level: int = 3
    subject2: int = -1
    size2: int = -1
    position2: int = -1
    px2: int = 0
    x2: int = 0
    y2: int = 0
    relation: int = -1

    @property
    def two_objects(self) -> bool:
        return self.subject2 >= 0

    def objects(self):
        """(subject, px, x, y) of each object, in drawing order."""
        yield self.subject, self.px, self.x, self.y
        if self.two_objects:
            yield self.subject2, self.px2, self.x2, self.y2

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bg_rgb"] = list(self.bg_rgb)
        return d


def _index(value, names: list[str], what: str) -> int:
    if isinstance(value, str):
        try:
            return names.index(value)
        except ValueError:
            raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(names)}") from None
    value = int(value)
    if not 0 <= value < len(names):
        raise ValueError(f"{what} index {value} out of range 0..{len(names) - 1}")
    return value


def _style_index(style) -> int:
    """A style by index, id ("fluent3d") or caption words ("glossy 3d")."""
    if isinstance(style, str):
        for i, st in enumerate(STYLES):
            if style in (st["id"], st["words"]):
                return i
        raise ValueError(f"unknown style {style!r}; one of: {', '.join(s['id'] for s in STYLES)}")
    return _index(style, [st["id"] for st in STYLES], "style")


def _axis(slot: int, px: int, u: float) -> int:
    """Top-left coordinate along one axis for slot 0/1/2 (left/centre/right) and jitter u in [-1, 1]."""
    lo, hi = MARGIN + px / 2, IMAGE_SIZE - MARGIN - px / 2
    step = (hi - lo) / 2
    centre = lo + slot * step + min(MAX_POSITION_JITTER, step / 3) * u
    return _clip(round(centre - px / 2), 0, IMAGE_SIZE - px)


def _clip(v, lo: int, hi: int) -> int:
    return int(min(max(v, lo), hi))


def _half(first: bool, px: int, u: float) -> int:
    """Top-left coordinate of an object kept inside one half of the canvas (u in [0, 1] picks where)."""
    half = IMAGE_SIZE // 2
    lo, hi = 1 + px / 2, half - 1 - px / 2
    centre = (lo + hi) / 2 if hi < lo else lo + (hi - lo) * u
    if not first:
        centre += half
    return _clip(round(centre - px / 2), 0 if first else half, (half if first else IMAGE_SIZE) - px)


def _single(subject, style, size, position, background, bg_rgb, px, ux, uy, level) -> Spec:
    row, col = divmod(position, 3)
    return Spec(subject=subject, style=style, size=size, position=position, background=background,
                bg_rgb=tuple(int(c) for c in bg_rgb), px=px, x=_axis(col, px, ux), y=_axis(row, px, uy),
                level=level)


def _pair(subject, subject2, style, size, size2, relation, background, bg_rgb, px, px2, u1, u2, ucross,
          d1, d2, level) -> Spec:
    """Two objects: the first-named one in one half (left/right/top/bottom as the relation says), the other
    in the opposite half, both on a shared row (or column) with +-2 px independent wobble."""
    pos1, pos2 = RELATION_POSITIONS[relation]
    horizontal = relation in (0, 1)
    first_low = relation in (0, 2)  # "left of" / "above": the first-named object is nearer the origin
    a_along = _half(first_low, px, u1)
    b_along = _half(not first_low, px2, u2)
    big = max(px, px2)
    lo, hi = 1 + big / 2, IMAGE_SIZE - 1 - big / 2
    cross = lo + (hi - lo) * ucross
    a_cross = _clip(round(cross + d1 - px / 2), 0, IMAGE_SIZE - px)
    b_cross = _clip(round(cross + d2 - px2 / 2), 0, IMAGE_SIZE - px2)
    (x1, y1), (x2, y2) = ((a_along, a_cross), (b_along, b_cross)) if horizontal else \
        ((a_cross, a_along), (b_cross, b_along))
    return Spec(subject=subject, style=style, size=size, position=pos1, background=background,
                bg_rgb=tuple(int(c) for c in bg_rgb), px=px, x=x1, y=y1, level=level, subject2=subject2,
                size2=size2, position2=pos2, px2=px2, x2=x2, y2=y2, relation=relation)


def make_spec(subject, style=0, size="medium", position="centre", background="white", *, level: int = 3,
              subject2=None, relation=None, size2=None) -> Spec:
    """A spec from names (or indices), without jitter: nominal size, exact palette colour, the position's
    exact slot. With subject2 and relation it is a two-object image (size2 defaults to size)."""
    s = _index(subject, SUBJECT_NAMES, "subject")
    st = _style_index(style)
    sz = _index(size, SIZE_NAMES, "size")
    bg = _index(background, BACKGROUND_NAMES, "background")
    rgb = BACKGROUNDS[bg][1]
    if subject2 is None:
        p = _index(position, POSITIONS, "position")
        return _single(s, st, sz, p, bg, rgb, SIZES[sz][1], 0.0, 0.0, level)
    s2 = _index(subject2, SUBJECT_NAMES, "subject")
    rel = _index(relation if relation is not None else 0, RELATIONS, "relation")
    sz2 = _index(size2 if size2 is not None else sz, SIZE_NAMES, "size")
    if sz > 1 or sz2 > 1:
        raise ValueError("two-object images use small or medium objects only")
    return _pair(s, s2, st, sz, sz2, rel, bg, rgb, SIZES[sz][1], SIZES[sz2][1], 0.5, 0.5, 0.5, 0, 0, level)


def spec_for_subject(sprites: Sprites | None, subject: int, **overrides) -> Spec:
    """A canonical one-object spec for a subject: medium, centre, style and background varied by subject
    index (so detailed prompts over many subjects are not all alike). Keyword overrides go to make_spec."""
    n = len(subject_names(sprites))
    if not 0 <= subject < n:
        raise ValueError(f"subject index {subject} out of range 0..{n - 1}")
    args = {"style": subject % len(STYLES), "size": "medium", "position": "centre",
            "background": subject % len(BACKGROUNDS), **overrides}
    return make_spec(subject, **args)


def sample_specs(n: int, seed: int, two_object_fraction: float = 0.15,
                 level_weights=CAPTION_LEVEL_WEIGHTS) -> list[Spec]:
    """n random specs, a pure function of (n, seed, two_object_fraction, level_weights)."""
    rng = np.random.default_rng(seed)
    n_sub = len(SUBJECTS)
    two = rng.random(n) < two_object_fraction
    subject = rng.integers(n_sub, size=n)
    subject2 = (subject + rng.integers(1, n_sub, size=n)) % n_sub
    style = rng.integers(len(STYLES), size=n)
    size = rng.integers(len(SIZES), size=n)
    pair_sizes = rng.integers(2, size=(n, 2))
    px_jit = rng.integers(-SIZE_JITTER, SIZE_JITTER + 1, size=(n, 2))
    position = rng.integers(len(POSITIONS), size=n)
    relation = rng.integers(len(RELATIONS), size=n)
    background = rng.integers(len(BACKGROUNDS), size=n)
    bg_jit = rng.integers(-BG_JITTER, BG_JITTER + 1, size=(n, 3))
    u = rng.uniform(-1.0, 1.0, size=(n, 2))
    v = rng.random(size=(n, 3))
    wobble = rng.integers(-2, 3, size=(n, 2))
    p = np.asarray(level_weights, float)
    level = rng.choice(CAPTION_LEVELS, size=n, p=p / p.sum())
    palette = np.array([c for _, c in BACKGROUNDS])
    rgb = np.clip(palette[background] + bg_jit, 0, 255)
    specs = []
    for i in range(n):
        if two[i]:
            s1, s2 = int(pair_sizes[i, 0]), int(pair_sizes[i, 1])
            specs.append(_pair(int(subject[i]), int(subject2[i]), int(style[i]), s1, s2, int(relation[i]),
                               int(background[i]), rgb[i], SIZES[s1][1] + int(px_jit[i, 0]),
                               SIZES[s2][1] + int(px_jit[i, 1]), v[i, 0], v[i, 1], v[i, 2],
                               int(wobble[i, 0]), int(wobble[i, 1]), int(level[i])))
        else:
            sz = int(size[i])
            specs.append(_single(int(subject[i]), int(style[i]), sz, int(position[i]), int(background[i]),
                                 rgb[i], SIZES[sz][1] + int(px_jit[i, 0]), u[i, 0], u[i, 1], int(level[i])))
    return specs


# --------------------------------------------------------------------------------------------------
# Composition and captions


def _render(sprites: Sprites, specs: list[Spec]) -> np.ndarray:
    """uint8 (n, 64, 64, 3): each spec's background, then its sprites composited "over" it in order
    (premultiplied alpha, float32, rounded once at the end)."""
    bg = np.array([s.bg_rgb for s in specs], np.float32).reshape(len(specs), 1, 1, 3)
    canvas = np.ascontiguousarray(np.broadcast_to(bg, (len(specs), IMAGE_SIZE, IMAGE_SIZE, 3)))
    for i, spec in enumerate(specs):
        for subject, px, x, y in spec.objects():
            keep, add = sprites.over_terms(px)
            r = sprites.row(subject, spec.style)
            region = canvas[i, y:y + px, x:x + px]
            region *= keep[r]
            region += add[r]
    return np.rint(canvas).astype(np.uint8)


def compose(sprites: Sprites, spec: Spec) -> np.ndarray:
    """The spec's image: uint8 (64, 64, 3). Pure numpy; a function of the spec alone."""
    return _render(sprites, [spec])[0]


def article(phrase: str) -> str:
    """'a' or 'an' for the phrase that follows it (by sound, for the words this dataset uses)."""
    w = phrase.split()[0].lower()
    if w.startswith(("uni", "use", "eu", "one")):
        return "a"
    if w.startswith(("hour", "honest")):
        return "an"
    return "an" if w[0] in "aeiou" else "a"


def _np(*words: str) -> str:
    """A noun phrase with its article; plural nouns take none ("cherries", "small flat cherries")."""
    phrase = " ".join(w for w in words if w)
    if words[-1] in PLURAL_NOUNS:
        return phrase
    return f"{article(phrase)} {phrase}"


def caption_for(spec: Spec, level: int) -> str:
    """The caption of a spec at a level of detail 0..3 (see the module docstring)."""
    if not 0 <= level < CAPTION_LEVELS:
        raise ValueError(f"caption level must be 0..{CAPTION_LEVELS - 1}, got {level}")
    colour = BACKGROUND_NAMES[spec.background]
    on_bg = f"on {_np(colour, 'background')}"
    size1 = SIZE_NAMES[spec.size] if level >= 2 else ""
    style = STYLES[spec.style]["words"] if level >= 3 else ""
    first = _np(size1, style, SUBJECT_NAMES[spec.subject])
    if spec.two_objects:
        size2 = SIZE_NAMES[spec.size2] if level >= 2 else ""
        second = _np(size2, style, SUBJECT_NAMES[spec.subject2])
        parts = [first, RELATIONS[spec.relation], second]
    else:
        parts = [first]
        if level >= 2:
            parts.append(POSITION_PHRASES[spec.position])
    if level >= 1:
        parts.append(on_bg)
    return " ".join(parts)


def make_batch(sprites: Sprites, specs: list[Spec]):
    """(images uint8 [n, 64, 64, 3], captions at each spec's level, labels: dict of int64 arrays).

    Labels: subject, style, size, position, background (for two-object images: the first-named object's
    subject, size and side), level, n_objects, and subject2, size2, position2, relation (-1 when absent)."""
    n = len(specs)
    images = _render(sprites, specs) if n else np.empty((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    captions = [caption_for(s, s.level) for s in specs]
    keys = ("subject", "style", "size", "position", "background", "level", "subject2", "size2", "position2",
            "relation")
    labels = {k: np.array([getattr(s, k) for s in specs], np.int64).reshape(n) for k in keys}
    labels["n_objects"] = np.array([2 if s.two_objects else 1 for s in specs], np.int64).reshape(n)
    return images, captions, labels


# --------------------------------------------------------------------------------------------------
# Contact sheet and CLI


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


def write_preview(sprites: Sprites, path: Path, n: int, seed: int = 0, level: int | None = None) -> Path:
    specs = sample_specs(n, seed)
    images, captions, _ = make_batch(sprites, specs)
    if level is not None:
        captions = [caption_for(s, level) for s in specs]
    sheet = contact_sheet(images, captions)
    with atomic_path(Path(path), suffix=".png") as tmp:
        sheet.save(tmp)
        os.chmod(tmp, 0o644)
    return Path(path)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.dataset", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=BUILD / "dataset",
                   help="folder for sprites.npz and preview.png (default: build/dataset)")
    p.add_argument("--npm-cache", type=Path, default=BUILD / "npm",
                   help="where npm tarballs are kept and reused (default: build/npm)")
    p.add_argument("--preview", type=int, default=0, metavar="N",
                   help="also write a contact sheet of N composed samples with captions (preview.png)")
    p.add_argument("--seed", type=int, default=0, help="seed of the preview samples (default %(default)s)")
    p.add_argument("--level", type=int, choices=range(CAPTION_LEVELS), default=None,
                   help="caption level shown in the preview (default: each sample's own)")
    p.add_argument("--force", action="store_true", help="rebuild sprites.npz even when it is up to date")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    path = args.out / "sprites.npz"
    try:
        started = time.perf_counter()
        if args.force or not _is_current(path):
            build_sprites(path, npm_cache=args.npm_cache, progress=not args.quiet)
            print(f"built {path} in {time.perf_counter() - started:.1f} s")
        else:
            print(f"{path} is up to date (--force rebuilds it)")
        sprites = read_sprites(path)
        print(f"{len(sprites.subject_names)} subjects x {len(sprites.style_names)} styles = {len(sprites)} sprites "
              f"of {SPRITE_SIZE}x{SPRITE_SIZE}, {path.stat().st_size / 1e6:.2f} MB")
        if args.preview > 0:
            preview = write_preview(sprites, args.out / "preview.png", args.preview, args.seed, args.level)
            print(f"wrote {preview} ({args.preview} samples)")
        for c in CREDITS:
            print(f"  {c['name']} ({c['package']}@{c['version']}): {c['licence']}")
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
