"""espeak-ng, the system package: robotic but always there, the last fallback. Word timings estimated."""

from __future__ import annotations

import subprocess

from ..tools import require_tool
from .audio import Speech, VoiceError, wav_bytes_to_audio


class EspeakEngine:
    name = "espeak-ng"
    word_timing = "estimated"

    def __init__(self, voice: str, words_per_minute: int):
        self._exe = require_tool("espeak-ng", package="espeak-ng")
        self._voice, self._wpm = voice, words_per_minute
        version = subprocess.run([self._exe, "--version"], capture_output=True, text=True).stdout.strip()
        self.version_key = f"{version}; voice {voice}; wpm {words_per_minute}"

    def speak(self, words: list[str]) -> Speech:
        proc = subprocess.run(
            [self._exe, "-v", self._voice, "-s", str(self._wpm), "--stdout", " ".join(words)], capture_output=True
        )
        if proc.returncode != 0:
            raise VoiceError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
        return Speech(wav_bytes_to_audio(proc.stdout))
