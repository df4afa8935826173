"""Offline speech: a Piper neural voice (from a PyPI wheel) with espeak-ng as the fallback.

Each clip of a narration plan is synthesized on its own, so its exact duration is known without any
speech recognition; clips are cached under ``build/audio/cache`` by hash(text, voice, engine version).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import io
import json
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from journey_base.files import atomic_write_bytes
from .tools import require_tool


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


def read_wav(path: Path) -> Audio:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise VoiceError(f"{path}: expected 16-bit mono WAV")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
        return Audio(data, w.getframerate())


class PiperEngine:
    name = "piper"

    def __init__(self, voice_package: str, length_scale: float):
        try:
            from piper import PiperVoice, SynthesisConfig
            voice_mod = importlib.import_module(voice_package)
        except ImportError as exc:
            raise VoiceError(f"Piper voice unavailable ({exc}); pip install piper-tts {voice_package}") from exc
        self._voice = PiperVoice.load(str(voice_mod.model_path()), config_path=str(voice_mod.config_path()))
        self._syn = SynthesisConfig(length_scale=length_scale)
        dist = voice_package.replace("_", "-")
        self.version_key = (
            f"piper-tts {importlib.metadata.version('piper-tts')}; voice {dist} "
            f"{importlib.metadata.version(dist)}; length_scale {length_scale}"
        )

    def synthesize(self, text: str) -> Audio:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            self._voice.synthesize_wav(text, w, syn_config=self._syn)
        buf.seek(0)
        with wave.open(buf, "rb") as w:
            rate = w.getframerate()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
        return Audio(data, rate)


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, voice: str, words_per_minute: int):
        self._exe = require_tool("espeak-ng", package="espeak-ng")
        self._voice, self._wpm = voice, words_per_minute
        version = subprocess.run([self._exe, "--version"], capture_output=True, text=True).stdout.strip()
        self.version_key = f"{version}; voice {voice}; wpm {words_per_minute}"

    def synthesize(self, text: str) -> Audio:
        proc = subprocess.run(
            [self._exe, "-v", self._voice, "-s", str(self._wpm), "--stdout", text], capture_output=True
        )
        if proc.returncode != 0:
            raise VoiceError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
        with wave.open(io.BytesIO(proc.stdout), "rb") as w:
            rate = w.getframerate()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
        return Audio(data, rate)


def load_engine(voice_config: dict):
    """The configured engine, or the fallback (with a warning) when it cannot be loaded."""
    def make(name: str):
        if name == "piper":
            return PiperEngine(voice_config["piper_voice"], float(voice_config.get("piper_length_scale", 1.0)))
        if name == "espeak-ng":
            return EspeakEngine(voice_config.get("espeak_voice", "en-us"),
                                int(voice_config.get("espeak_words_per_minute", 160)))
        raise VoiceError(f"journey.toml: unknown voice engine '{name}' (use 'piper' or 'espeak-ng')")

    try:
        return make(voice_config["engine"])
    except VoiceError as exc:
        fallback = voice_config.get("fallback")
        if not fallback or fallback == voice_config["engine"]:
            raise
        print(f"warning: {exc}; falling back to {fallback}")
        return make(fallback)


class ClipCache:
    """WAV files keyed by hash(text, engine version): editing one sentence re-voices only that one."""

    def __init__(self, root: Path, engine):
        self.root, self.engine = root, engine

    def key(self, text: str) -> str:
        blob = json.dumps({"text": text, "engine": self.engine.name, "version": self.engine.version_key})
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def get(self, text: str) -> tuple[Path, Audio]:
        path = self.root / f"{self.key(text)}.wav"
        if path.exists():
            try:
                return path, read_wav(path)
            except (wave.Error, EOFError, VoiceError):
                path.unlink()  # a damaged cache entry is re-voiced, not trusted
        audio = self.engine.synthesize(text)
        if audio.duration <= 0:
            raise VoiceError(f"the voice produced no audio for: {text!r}")
        atomic_write_bytes(path, audio.to_wav_bytes())
        return path, audio


def voice_plan(plan, cache: ClipCache, pauses: dict, progress=None) -> dict:
    """Voice every clip; return the timeline (segment durations, clip offsets) as a JSON-able dict."""
    segments = []
    rate = None
    for seg in plan.segments:
        clips, t = [], 0.0
        for clip in seg.clips:
            path, audio = cache.get(clip.text)
            if rate is None:
                rate = audio.sample_rate
            elif audio.sample_rate != rate:
                raise VoiceError(f"mixed sample rates in one chapter ({rate} vs {audio.sample_rate})")
            clips.append({"text": clip.text, "sentence": clip.sentence, "wav": path.name,
                          "offset": round(t, 4), "duration": round(audio.duration, 4)})
            t += audio.duration + float(pauses[clip.pause_after])
            if progress:
                progress.update(1)
        segments.append({"cue": seg.cue, "duration": round(t, 4), "clips": clips})
    return {
        "title": plan.title,
        "engine": cache.engine.name,
        "engine_version": cache.engine.version_key,
        "sample_rate": rate,
        "sentences": plan.sentences,
        "segments": segments,
        "length": round(sum(s["duration"] for s in segments), 4),
    }


def mix_timeline(timeline: dict, segment_starts: list[float], total: float, cache_dir: Path) -> Audio:
    """Place each clip at its segment's actual start (as the scene reached the cue) in silence."""
    rate = timeline["sample_rate"]
    out = np.zeros(int(round(total * rate)) + 1, dtype=np.int32)
    for seg, start in zip(timeline["segments"], segment_starts, strict=True):
        for clip in seg["clips"]:
            samples = read_wav(cache_dir / clip["wav"]).samples
            at = int(round((start + clip["offset"]) * rate))
            end = min(len(out), at + len(samples))
            out[at:end] += samples[: end - at]
    return Audio(np.clip(out, -32768, 32767).astype(np.int16), rate)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None
