"""Which model the data comes from, and the facts about it that chapters state.

The embedded default is the project's own small pixel-space model (``models/embedded``, weights
committed). Any other model ``render_data.loading.load_model`` accepts (a folder in the embedded layout, a
diffusers pipeline folder, a hub id in the local cache) describes itself the same way: name, the geometry
of the images it makes, and a content hash over what defines it (weights and configs, not its evaluation
or card, so re-running ``make eval`` does not make every chapter's data stale).

This module reads files only (no torch): it decides freshness for every chapter, including those that
never load a model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from journey_base.paths import ROOT

# Files beside the weights that describe the model but do not change what it computes.
DESCRIPTIVE_FILES = {"eval.json", "training.json"}
HASHED_SUFFIXES = {".json", ".safetensors"}

EMBEDDED_DIR = ROOT / "models" / "embedded"  # the project's own model (render_data.model_factory makes it)
EMBEDDED_NAME = "diffusion-journey emoji model"


class ModelNotFoundError(FileNotFoundError):
    pass


def describe_model(spec: str | Path = "embedded") -> dict:
    """Name, image geometry and a content hash of the model (so data made with another model is stale).

    Keys: name, width, height, channels, hash.
    """
    if isinstance(spec, str) and spec == "embedded":
        if not (EMBEDDED_DIR / "unet" / "config.json").exists():
            raise ModelNotFoundError(f"{EMBEDDED_DIR / 'unet' / 'config.json'} missing: the embedded model's weights "
                                     f"are committed (git checkout models/embedded), or make them with 'make train'")
        return describe_folder(EMBEDDED_DIR, EMBEDDED_NAME)
    return describe_folder(model_folder(spec), str(spec))


def describe_folder(folder: Path, name: str) -> dict:
    """Geometry read from the configs of a model folder (embedded layout or diffusers pipeline)."""
    folder = Path(folder)
    unet = _read_json(folder / "unet" / "config.json")
    size = unet["sample_size"]
    height, width = (size, size) if isinstance(size, int) else size
    channels, scale = unet["in_channels"], 1
    vae_config = folder / "vae" / "config.json"
    if (folder / "model_index.json").exists() and vae_config.exists():
        vae = _read_json(vae_config)
        scale = 2 ** (len(vae["block_out_channels"]) - 1)  # as render_data.loading computes it
        channels = vae.get("out_channels", 3)
    info = {"name": name, "width": int(width) * scale, "height": int(height) * scale, "channels": int(channels)}
    return _with_hash(info, folder)


def model_folder(spec: str | Path) -> Path:
    """The folder a model spec names: "embedded", a folder, or a hub id's snapshot in the local cache."""
    if isinstance(spec, str) and spec == "embedded":
        return EMBEDDED_DIR
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(str(spec), local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - LocalEntryNotFoundError, HFValidationError, ImportError
        raise ModelNotFoundError(
            f"model '{spec}': not a folder and not in the local Hugging Face cache (nothing is downloaded)"
        ) from exc


def _with_hash(info: dict, folder: Path) -> dict:
    digest = hashlib.sha256(json.dumps(info, sort_keys=True).encode())
    for f in sorted(Path(folder).rglob("*")):
        if f.is_file() and f.suffix in HASHED_SUFFIXES and f.name not in DESCRIPTIVE_FILES:
            digest.update(f.name.encode())
            with open(f, "rb") as fh:  # streamed: a latent model's weights are gigabytes
                for chunk in iter(lambda: fh.read(1 << 24), b""):
                    digest.update(chunk)
    return dict(info, hash=digest.hexdigest()[:16])


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ModelNotFoundError(f"{path}: missing (not a model folder?)") from exc
