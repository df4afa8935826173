"""The pipeline's one config file, journey.toml at the project root."""

from __future__ import annotations

import tomllib
from pathlib import Path

from journey_base.paths import ROOT

QUALITIES = {  # make/CLI letter -> manim quality name, label
    "l": ("low_quality", "480p15"),
    "m": ("medium_quality", "720p30"),
    "h": ("high_quality", "1080p60"),
}


class ConfigError(ValueError):
    pass


def load_config(path: Path | None = None) -> dict:
    path = path or ROOT / "journey.toml"
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file missing") from None
