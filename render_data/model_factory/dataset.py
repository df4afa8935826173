"""Training data for the embedded model: python -m render_data.model_factory.dataset --help

Real emoji artwork (three styles, from npm packages pinned in npm_sources.py) is cut into 48x48 RGBA
sprites once (build/dataset/sprites.npz). Training images are then composed on the fly, deterministically
from a seed: one sprite (or two, ~15%) at a size and position on a flat background colour, 64x64 RGB, with a
caption at one of four levels of detail. See render_data/DATASET.md for sources, licences and the grammar.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from journey_base.paths import BUILD

from .captions import caption_for
from .compose import make_batch
from .contact_sheet import contact_sheet, save_png
from .npm_sources import CREDITS
from .specs import CAPTION_LEVELS, DatasetError, sample_specs
from .sprites import SPRITE_SIZE, Sprites, build_sprites, read_sprites, sprites_are_current


def write_preview(sprites: Sprites, path: Path, n: int, seed: int = 0, level: int | None = None) -> Path:
    specs = sample_specs(n, seed)
    images, captions, _ = make_batch(sprites, specs)
    if level is not None:
        captions = [caption_for(s, level) for s in specs]
    return save_png(contact_sheet(images, captions), Path(path))


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.model_factory.dataset", description=__doc__,
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
        if args.force or not sprites_are_current(path):
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
