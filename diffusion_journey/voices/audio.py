"""Audio as the engines hand it over: int16 mono samples, plus the words' times within it."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class VoiceError(RuntimeError):
    pass


@dataclass
class Audio:
    samples: np.ndarray  # int16, mono
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def to_wav_bytes(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(self.samples.astype("<i2").tobytes())
        return buf.getvalue()


@dataclass
class Speech:
    """One voiced clip. ``bounds`` (when the engine knows them) are the sample offsets where each spoken
    word starts, one per word the engine was given, increasing; the last word runs to the end."""

    audio: Audio
    bounds: list[int] | None = None


def read_wav(path: Path) -> Audio:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise VoiceError(f"{path}: expected 16-bit mono WAV")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
        return Audio(data, w.getframerate())


def wav_bytes_to_audio(data: bytes) -> Audio:
    with wave.open(io.BytesIO(data), "rb") as w:
        rate = w.getframerate()
        return Audio(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy(), rate)


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(samples, np.float64) * 32767.0), -32768, 32767).astype(np.int16)
