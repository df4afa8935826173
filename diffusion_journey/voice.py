"""Offline speech for the narration: engine choice, the clip cache, and each chapter's voiced timeline.

Engines (diffusion_journey/voices/): Kokoro (default; word timings from the model's phoneme durations),
Piper (the fast draft voice) and espeak-ng (always there), tried in that order of preference as journey.toml
says. Each clip of a narration plan is synthesized on its own, so its exact duration and its words' times
are known without any speech recognition. Clips are cached under ``build/audio/cache`` by hash(spoken
words, engine, its version key: model, voice, speed, library versions); synthesis is deterministic, so a
from-scratch build voices the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import wave
from pathlib import Path

import numpy as np

from journey_base.files import atomic_write_bytes, atomic_write_json
from .voices.audio import Audio, Speech, VoiceError, read_wav
from .voices.espeak import EspeakEngine
from .voices.kokoro import KokoroEngine
from .voices.piper import PiperEngine
from .voices.speakable import describe, load_pronunciations, spoken_words, unspeakable
from .voices.words import estimated_bounds, word_times

ENGINES = ("kokoro", "piper", "espeak-ng")

__all__ = ["Audio", "VoiceError", "read_wav", "load_engine", "make_engine", "ClipCache", "voice_plan",
           "mark_times", "mix_timeline", "KokoroEngine", "PiperEngine", "EspeakEngine"]


def make_engine(name: str, voice_config: dict):
    if name == "kokoro":
        return KokoroEngine(voice_config.get("kokoro_voice", "af_heart"), float(voice_config.get("kokoro_speed", 1.0)))
    if name == "piper":
        return PiperEngine(voice_config["piper_voice"], float(voice_config.get("piper_length_scale", 1.0)))
    if name == "espeak-ng":
        return EspeakEngine(voice_config.get("espeak_voice", "en-us"),
                            int(voice_config.get("espeak_words_per_minute", 160)))
    raise VoiceError(f"journey.toml: unknown voice engine '{name}' (use {', '.join(map(repr, ENGINES))})")


def load_engine(voice_config: dict):
    """The configured engine, or the first fallback that loads (with a warning naming why)."""
    fallback = voice_config.get("fallback") or []
    chain = list(dict.fromkeys([voice_config["engine"], *([fallback] if isinstance(fallback, str) else fallback)]))
    for name, next_name in zip(chain, [*chain[1:], None]):
        try:
            return make_engine(name, voice_config)
        except VoiceError as exc:
            if next_name is None:
                raise
            print(f"warning: {exc}; falling back to {next_name}")


class ClipCache:
    """A clip's WAV (and, for engines that place words, its word starts) keyed by hash(spoken words, engine
    version): editing one sentence re-voices only that one; changing voice, speed or engine re-voices all."""

    def __init__(self, root: Path, engine):
        self.root, self.engine = root, engine

    def key(self, spoken: list[str]) -> str:
        blob = json.dumps({"words": spoken, "engine": self.engine.name, "version": self.engine.version_key})
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def get(self, spoken: list[str]) -> tuple[Path, Speech]:
        wav = self.root / f"{self.key(spoken)}.wav"
        starts = wav.with_suffix(".words.json")
        timed = self.engine.word_timing == "voice"
        if wav.exists() and (starts.exists() or not timed):
            try:
                bounds = json.loads(starts.read_text())["bounds"] if timed else None
                return wav, Speech(read_wav(wav), bounds)
            except (wave.Error, EOFError, VoiceError, ValueError, KeyError):
                wav.unlink()  # a damaged cache entry is re-voiced, not trusted
        speech = self.engine.speak(spoken)
        if speech.audio.duration <= 0:
            raise VoiceError("the voice produced no audio")
        if timed:
            atomic_write_json(starts, {"bounds": speech.bounds})
        atomic_write_bytes(wav, speech.audio.to_wav_bytes())
        return wav, speech


def voice_plan(plan, cache: ClipCache, pauses: dict, progress=None, pronunciations: dict | None = None) -> dict:
    """Voice every clip; return the timeline (segment durations, clip offsets, word times) as a JSON-able dict.

    Warns, naming the line, about characters the voice cannot read; any engine failure is raised as one
    VoiceError naming the sentence's file:line and the engine's own error."""
    pronunciations = load_pronunciations() if pronunciations is None else pronunciations
    spoken = {}
    for clip in (c for seg in plan.segments for c in seg.clips):
        spoken[clip] = spoken_words(clip.text, pronunciations)
        odd = unspeakable(" ".join(spoken[clip][1]))
        if odd:
            # espeak-ng spells other scripts letter by letter ("Hebrew shin Hebrew lamed ...") and names emoji
            print(f"warning: {plan.path}:{clip.line}: the voice cannot read {', '.join(map(describe, odd))} "
                  f"naturally: give a spoken form in narration/pronunciations.toml")
    segments = []
    rate = None
    for seg in plan.segments:
        clips, t = [], 0.0
        for clip in seg.clips:
            written, said = spoken[clip]
            try:
                path, speech = cache.get(said)
            except Exception as exc:  # noqa: BLE001 - any engine failure is reported at the sentence
                reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:600]
                raise VoiceError(f"{plan.path}:{clip.line}: the {cache.engine.name} voice failed on this "
                                 f"sentence: {reason}") from exc
            audio = speech.audio
            if rate is None:
                rate = audio.sample_rate
            elif audio.sample_rate != rate:
                raise VoiceError(f"mixed sample rates in one chapter ({rate} vs {audio.sample_rate})")
            bounds = speech.bounds or estimated_bounds(said, len(audio.samples))
            words = word_times(written, bounds, len(audio.samples), rate)
            clips.append({"text": clip.text, "sentence": clip.sentence, "line": clip.line, "wav": path.name,
                          "offset": round(t, 4), "duration": round(audio.duration, 4), "words": words,
                          "marks": mark_times(clip.marks, words, audio.duration)})
            t += audio.duration + float(pauses[clip.pause_after])
            if progress:
                progress.update(1)
        segments.append({"cue": seg.cue, "duration": round(t, 4), "clips": clips})
    return {
        "title": plan.title,
        "engine": cache.engine.name,
        "engine_version": cache.engine.version_key,
        "word_timing": cache.engine.word_timing,
        "sample_rate": rate,
        "sentences": plan.sentences,
        "segments": segments,
        "length": round(sum(s["duration"] for s in segments), 4),
    }


def mark_times(marks, words: list[list], duration: float) -> list[list]:
    """Each word mark at the start of the word it stands before (the clip's end if it closes the clip)."""
    return [[name, words[i][1] if i < len(words) else round(duration, 3)] for name, i in marks]


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
