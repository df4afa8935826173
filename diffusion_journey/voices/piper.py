"""Piper (a PyPI wheel and a voice package): the fast draft voice. Its voices carry no alignments, so its
word timings are estimated."""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import wave

from .audio import Speech, VoiceError, wav_bytes_to_audio


class PiperEngine:
    name = "piper"
    word_timing = "estimated"

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

    def speak(self, words: list[str]) -> Speech:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            self._voice.synthesize_wav(" ".join(words), w, syn_config=self._syn)
        return Speech(wav_bytes_to_audio(buf.getvalue()))
