"""Which model the data comes from, and the facts about it that chapters state.

The embedded default is the project's own small pixel-space model (``models/embedded``, weights
committed). Its hash covers only what defines the model (weights and configs), not its evaluation or
card, so re-running ``make eval`` does not make every chapter's data stale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .embedded_model import EMBEDDED_DIR, RESOLUTION, UNET_CONFIG

# Files beside the weights that describe the model but do not change what it computes.
DESCRIPTIVE_FILES = {"eval.json", "training.json"}

# The embedded model's image geometry as designed (pixel space, RGB).
EMBEDDED_PLAN = {"name": "diffusion-journey emoji model", "width": RESOLUTION, "height": RESOLUTION,
                 "channels": UNET_CONFIG["in_channels"]}


def describe_model(spec: str = "embedded") -> dict:
    """Name, image geometry and a content hash of the model (so data made with another model is stale)."""
    if spec != "embedded":
        raise ValueError(f"model '{spec}': only the embedded model is available so far")
    info = dict(EMBEDDED_PLAN)
    unet_config = EMBEDDED_DIR / "unet" / "config.json"
    digest = hashlib.sha256(json.dumps(info, sort_keys=True).encode())
    if unet_config.exists():
        cfg = json.loads(unet_config.read_text())
        size = cfg["sample_size"]
        info.update(width=size, height=size, channels=cfg["in_channels"])
        for f in sorted(EMBEDDED_DIR.rglob("*")):
            if f.is_file() and f.suffix in {".json", ".safetensors"} and f.name not in DESCRIPTIVE_FILES:
                digest.update(f.name.encode())
                digest.update(f.read_bytes())
    info["hash"] = digest.hexdigest()[:16]
    return info
