"""Kokoro-82M (int8 ONNX) run directly on onnxruntime: the default voice, with word timings.

kokoro-onnx's own ``Kokoro`` class is not used for synthesis: it neither fixes the thread count nor reads
the duration output this project adds, and its phonemizer call breaks a number at its decimal point
("0.125" is read "zero. one hundred twenty-five"). Its vocabulary and espeak-ng set-up are used (voices.phonemes).
"""

from __future__ import annotations

import importlib.metadata

import numpy as np

from .audio import Audio, Speech, VoiceError, float_to_int16
from .kokoro_files import MODEL_SHA256, model_file, sha256_of, voice_table
from .phonemes import Phonemizer

SAMPLE_RATE = 24_000
FRAME = 600  # samples per duration frame
MAX_PHONEMES = 510  # the model's context, less the two padding tokens
# One thread count, whatever the machine: onnxruntime splits its work by thread, and a fixed split is what
# makes the same text give the same bytes (measured: 1 and 2 threads agree; the default, one per core, is
# not promised to).
THREADS = 2
QUIET_DB = -45.0  # below the loudest 10 ms, relative: silence to trim at the clip's ends
LEAD_IN, TAIL = 0.03, 0.06  # seconds kept before the first and after the last sound


class KokoroEngine:
    name = "kokoro"
    word_timing = "voice"

    def __init__(self, voice: str = "af_heart", speed: float = 1.0, language: str = "en-us"):
        try:
            import onnxruntime as ort
            from kokoro_onnx.config import DEFAULT_VOCAB
        except ImportError as exc:
            raise VoiceError(f"Kokoro unavailable ({exc}); run 'make setup' (pip install kokoro-onnx)") from exc
        if not 0.5 <= speed <= 2.0:
            raise VoiceError(f"journey.toml: kokoro_speed {speed} is outside 0.5-2.0")
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(str(model_file()), options, providers=["CPUExecutionProvider"])
        self._styles = voice_table(voice)
        self._vocab = DEFAULT_VOCAB
        self._phonemizer = Phonemizer(self._vocab, language)
        self._speed = float(speed)
        versions = "; ".join(f"{d} {importlib.metadata.version(d)}"
                             for d in ("kokoro-onnx", "onnxruntime", "espeakng-loader", "phonemizer"))
        self.version_key = (f"kokoro-v1.0-int8 {MODEL_SHA256[:12]}; voice {voice} "
                            f"{sha256_of(self._styles.tobytes())[:12]}; speed {speed}; {language}; {versions}")

    def speak(self, words: list[str]) -> Speech:
        phonemes, starts = self._phonemizer.with_word_starts(words)
        tokens = [self._vocab[p] for p in phonemes]
        if not any(p.isalpha() for p in phonemes):
            raise VoiceError(f"nothing the voice can speak in {' '.join(words)!r}")
        if len(tokens) > MAX_PHONEMES:
            raise VoiceError(f"{len(tokens)} phonemes, more than the {MAX_PHONEMES} Kokoro speaks in one go: "
                             f"split the sentence")
        audio, frames = self._session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": self._styles[len(tokens) - 1],
            "speed": np.array([self._speed], dtype=np.float32),
        })
        audio = np.asarray(audio, np.float32).ravel()
        # edges[k] = the sample where token k starts (token 0 is the leading pad); frames * 600 = the audio.
        edges = np.concatenate([[0], np.cumsum(np.asarray(frames).ravel())]) * FRAME
        edges = np.round(edges * (len(audio) / edges[-1])).astype(np.int64)
        head, tail = _sound_span(audio)
        bounds = [int(np.clip(edges[1 + s] - head, 0, tail - head)) for s in starts]
        return Speech(Audio(float_to_int16(audio[head:tail]), SAMPLE_RATE), bounds)


def _sound_span(audio: np.ndarray) -> tuple[int, int]:
    """The samples from just before the first sound to just after the last (the model pads both ends)."""
    frame = SAMPLE_RATE // 100
    usable = len(audio) // frame * frame
    rms = np.sqrt((audio[:usable].reshape(-1, frame).astype(np.float64) ** 2).mean(axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (QUIET_DB / 20)) if usable else []
    if len(loud) == 0:
        return 0, len(audio)
    head = max(0, loud[0] * frame - int(LEAD_IN * SAMPLE_RATE))
    tail = min(len(audio), (loud[-1] + 1) * frame + int(TAIL * SAMPLE_RATE))
    return head, tail
