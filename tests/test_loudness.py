"""Loudness: two-pass loudnorm brings a quiet, peaky voice-like track to -16 LUFS and true peak <= -1.5 dBTP,
as measured afterwards on the AAC the videos carry."""

import subprocess

import numpy as np
import pytest

from diffusion_journey.loudness import MAX_TRUE_PEAK, TARGET_LUFS, ebur128, measure, normalising_filter
from diffusion_journey.media import AAC
from diffusion_journey.voice import Audio

RATE = 22050


def _voice_like(seconds: float, level: float, peaks: float) -> np.ndarray:
    """Syllables (a buzzy 120 Hz voice, 4 per second) with pauses, and short loud bursts for peaks."""
    t = np.arange(int(seconds * RATE)) / RATE
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 2 * t), 0, None) * (np.sin(2 * np.pi * 0.25 * t) > -0.6)
    x = level * buzz * syllables / np.abs(buzz).max()
    rng = np.random.default_rng(0)
    for at in rng.integers(0, len(t) - 200, size=12):
        x[at:at + 40] += peaks * np.hanning(40) * rng.choice([-1, 1])
    return np.clip(x * 32767, -32768, 32767).astype(np.int16)


def _measure_wav(tmp_path, samples):
    wav = tmp_path / "before.wav"
    wav.write_bytes(Audio(samples, RATE).to_wav_bytes())
    return measure(wav)


def _normalised(tmp_path, samples):
    wav = tmp_path / "in.wav"
    wav.write_bytes(Audio(samples, RATE).to_wav_bytes())
    af = normalising_filter(wav)
    out = tmp_path / "out.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-af", af, *AAC, str(out)], check=True)
    return af, ebur128(out)


@pytest.mark.parametrize("peaks", [0.95, 0.0])
def test_a_quiet_voice_reaches_the_norm_with_room_for_its_peaks(tmp_path, peaks):
    samples = _voice_like(20.0, level=0.08, peaks=peaks)
    before = _measure_wav(tmp_path, samples)
    assert before.integrated < -24  # quiet
    af, after = _normalised(tmp_path, samples)
    assert "linear=true" in af
    # Peaks 20+ dB above the loudness need the limiter before one gain can fit; low peaks do not.
    assert ("alimiter" in af) == (peaks > 0)
    assert abs(after.integrated - TARGET_LUFS) <= 0.5, after
    assert after.true_peak <= MAX_TRUE_PEAK, after


def test_silence_is_left_alone(tmp_path):
    wav = tmp_path / "silence.wav"
    wav.write_bytes(Audio(np.zeros(RATE * 3, np.int16), RATE).to_wav_bytes())
    assert normalising_filter(wav) is None
