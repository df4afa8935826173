"""A video's frames decoded by ffmpeg, for tests that compare what was drawn (one decoder for all of them)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from diffusion_journey.media import probe

CHANNELS = {"gray": 1, "rgb24": 3}


def decode_frames(path: Path, pix_fmt: str = "gray", size: tuple[int, int] | None = None, at: float | None = None,
                  count: int | None = None) -> np.ndarray:
    """The first video stream's frames as uint8 [N, H, W] (``pix_fmt="gray"``) or [N, H, W, 3] ("rgb24"): every
    frame at the video's own size, or ``count`` frames from ``at`` seconds, scaled to ``size`` = (width, height)."""
    if size is None:
        video = next(s for s in probe(path)["streams"] if s["codec_type"] == "video")
        width, height = int(video["width"]), int(video["height"])
    else:
        width, height = size
    args = ["ffmpeg", "-v", "error", *(["-ss", f"{at:.3f}"] if at is not None else []), "-i", str(path),
            "-map", "0:v:0", *(["-frames:v", str(count)] if count is not None else []),
            *(["-vf", f"scale={width}:{height}"] if size is not None else []), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    raw = subprocess.run(args, capture_output=True, check=True).stdout
    channels = CHANNELS[pix_fmt]
    shape = (-1, height, width) if channels == 1 else (-1, height, width, channels)
    return np.frombuffer(raw, np.uint8).reshape(shape)
