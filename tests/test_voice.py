import shutil
import wave

import numpy as np
import pytest

from diffusion_journey.config import load_config
from diffusion_journey.narration import parse, plan
from diffusion_journey.voice import Audio, ClipCache, EspeakEngine, PiperEngine, load_engine, mix_timeline, voice_plan

VOICE = load_config()["voice"]


class CountingEngine:
    name, version_key = "fake", "fake 1"

    def __init__(self):
        self.calls = []

    def synthesize(self, text):
        self.calls.append(text)
        return Audio(np.full(int(22050 * 0.01 * len(text)), 1000, np.int16), 22050)


def test_cache_voices_each_text_once(tmp_path):
    engine = CountingEngine()
    cache = ClipCache(tmp_path, engine)
    p1, a1 = cache.get("Hello there.")
    p2, a2 = cache.get("Hello there.")
    assert engine.calls == ["Hello there."] and p1 == p2 and np.array_equal(a1.samples, a2.samples)
    cache.get("Something else.")
    assert len(engine.calls) == 2
    # another voice version is another cache entry
    engine.version_key = "fake 2"
    assert cache.get("Hello there.")[0] != p1


def test_timeline_offsets_and_mix(tmp_path):
    engine = CountingEngine()
    pauses = {"sentence": 0.5, "paragraph": 1.0, "mid_sentence_cue": 0.1, "chapter_end": 0.25}
    the_plan = plan(parse("@title T\nAbc. Defgh [[x]] ij.\n"), {}, ["x"])
    timeline = voice_plan(the_plan, ClipCache(tmp_path, engine), pauses)
    seg0, seg1 = timeline["segments"]
    assert [c["text"] for c in seg0["clips"]] == ["Abc.", "Defgh"]
    assert seg0["clips"][1]["offset"] == pytest.approx(0.04 + 0.5, abs=1e-3)
    assert seg0["duration"] == pytest.approx(0.04 + 0.5 + 0.05 + 0.1, abs=1e-3)
    assert timeline["length"] == pytest.approx(seg0["duration"] + 0.03 + 0.25, abs=1e-3)
    # the scene reached cue x one second late: its clip is placed one second later, in silence before
    audio = mix_timeline(timeline, [0.0, seg0["duration"] + 1.0], total=3.0, cache_dir=tmp_path)
    nonzero = np.flatnonzero(audio.samples)
    assert nonzero[-1] / 22050 == pytest.approx(seg0["duration"] + 1.0 + 0.03, abs=2e-3)
    assert audio.duration == pytest.approx(3.0, abs=1e-3)


def test_piper_voice_speaks_offline():
    engine = PiperEngine(VOICE["piper_voice"], 1.0)
    audio = engine.synthesize("Twelve thousand numbers.")
    assert audio.sample_rate == 22050
    assert 0.8 < audio.duration < 4.0
    assert np.abs(audio.samples).max() > 3000  # real speech, not silence
    longer = engine.synthesize("Twelve thousand numbers, and then a good many more words after them.")
    assert longer.duration > audio.duration * 1.8


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_fallback_when_piper_voice_is_missing(tmp_path, capsys):
    engine = load_engine(dict(VOICE, engine="piper", piper_voice="no_such_voice_package", fallback="espeak-ng"))
    assert isinstance(engine, EspeakEngine)
    assert "falling back to espeak-ng" in capsys.readouterr().out
    path, audio = ClipCache(tmp_path, engine).get("Hello from the fallback voice.")
    assert audio.duration > 0.5
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
