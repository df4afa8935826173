"""Loudness to the web-video norm: -16 LUFS integrated, true peak at most -1.5 dBTP (EBU R128 measures).

ffmpeg's two-pass ``loudnorm``: a measuring pass, then ``linear=true`` with the measured values, which scales
the whole track by one gain (speech keeps its dynamics). One gain can only reach the target when the
track's peaks leave room; the voices here peak about 20 dB above their loudness, so their peaks are first
brought down by a limiter at a gain found by measuring (a few passes, about a second per minute of audio).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .media import ffmpeg_log

TARGET_LUFS = -16.0
MAX_TRUE_PEAK = -1.5  # dBTP, in the delivered file
# loudnorm aims lower than the limit: AAC encoding adds a few tenths of a dB to the peaks.
AIM_TRUE_PEAK = -2.0
LIMIT_DBFS = -2.5  # the limiter's ceiling on sample peaks (true peaks land a little higher)
TOLERANCE_LU = 0.3


class LoudnessError(RuntimeError):
    pass


@dataclass(frozen=True)
class Measured:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU
    threshold: float  # LUFS
    offset: float

    @property
    def silent(self) -> bool:
        return self.integrated < -70.0  # below EBU R128's absolute gate: nothing to normalise


def _loudnorm(linear: Measured | None = None) -> str:
    args = f"loudnorm=I={TARGET_LUFS}:TP={AIM_TRUE_PEAK}:LRA=20:print_format=json"
    if linear:
        args += (f":measured_I={linear.integrated:.2f}:measured_TP={linear.true_peak:.2f}"
                 f":measured_LRA={linear.lra:.2f}:measured_thresh={linear.threshold:.2f}"
                 f":offset={linear.offset:.2f}:linear=true")
    return args


def measure(path: Path, pre: str = "") -> Measured:
    """loudnorm's first pass over the file's audio (after the filters in ``pre``)."""
    err = ffmpeg_log(["-i", str(path), "-vn", "-af", pre + _loudnorm(), "-f", "null", "-"])
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", err)
    if not found:
        raise LoudnessError(f"{path}: no loudnorm measurement in ffmpeg's output")
    d = {k: float(v) for k, v in json.loads(found.group(0)).items() if k.startswith(("input_", "target_"))}
    return Measured(d["input_i"], d["input_tp"], d["input_lra"], d["input_thresh"], d["target_offset"])


# Measured as delivered: 48 kHz stereo (mono speech spread on both channels at -3 dB each: the same
# loudness, 3 dB lower peaks, so less limiting).
DELIVERED = "aresample=48000,aformat=channel_layouts=stereo,"


def _limiter(gain_db: float) -> str:
    ceiling = 10 ** (LIMIT_DBFS / 20)
    return f"{DELIVERED}volume={gain_db:.2f}dB,alimiter=limit={ceiling:.4f}:level=false:latency=true,"


def normalising_filter(path: Path) -> str | None:
    """The audio filter that brings this file to the target with one linear gain (peaks limited first when
    they would not fit), or None when it is silent."""
    pre = DELIVERED
    m = measure(path, pre)
    if m.silent:
        return None
    if m.true_peak + (TARGET_LUFS - m.integrated) > AIM_TRUE_PEAK:
        # Limiting lowers the loudness too: find the gain before the limiter that lands on the target
        # (secant steps; loudness grows with the gain, more slowly the harder the limiter works).
        tried: list[tuple[float, float]] = []
        gain = TARGET_LUFS - m.integrated
        for _ in range(5):
            pre = _limiter(gain)
            m = measure(path, pre)
            miss = TARGET_LUFS - m.integrated
            if abs(miss) <= TOLERANCE_LU:
                break
            tried.append((gain, m.integrated))
            slope = 0.5
            if len(tried) > 1:
                (g0, i0), (g1, i1) = tried[-2:]
                slope = min(max((i1 - i0) / (g1 - g0), 0.1), 1.0) if g1 != g0 else slope
            gain += miss / slope
    return pre + _loudnorm(linear=m)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP


def ebur128(path: Path, start: float | None = None, length: float | None = None) -> Loudness:
    """Integrated loudness and true peak as EBU R128 defines them (ffmpeg's ebur128 with peak=true), of the
    whole file or of a stretch of it."""
    window = (["-ss", f"{start:.3f}"] if start is not None else []) + (["-t", f"{length:.3f}"] if length else [])
    err = ffmpeg_log([*window, "-i", str(path), "-vn", "-af", "ebur128=peak=true", "-f", "null", "-"])
    summary = err[err.rfind("Summary:"):]
    i, tp = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary), re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not (i and tp):
        raise LoudnessError(f"{path}: no ebur128 summary in ffmpeg's output")
    return Loudness(float(i.group(1)), float(tp.group(1)))
