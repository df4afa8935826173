"""The voice: the clip cache and timeline (a counting fake engine), the real Kokoro voice (speech, word timings,
byte-identical output from scratch, the model's sha256), Piper and the espeak-ng fallback."""

import shutil
import wave

import numpy as np
import pytest

from diffusion_journey.config import load_config
from diffusion_journey.narration import parse, plan
from diffusion_journey.voice import (Audio, ClipCache, EspeakEngine, KokoroEngine, PiperEngine, VoiceError,
                                     load_engine, mix_timeline, read_wav, voice_plan)
from diffusion_journey.voices import kokoro_files
from diffusion_journey.voices.audio import Speech

VOICE = load_config()["voice"]
PAUSES = {"sentence": 0.5, "paragraph": 1.0, "mid_sentence_cue": 0.1, "chapter_end": 0.25}


class CountingEngine:
    name, version_key, word_timing = "fake", "fake 1", "estimated"

    def __init__(self):
        self.calls = []

    def speak(self, words):
        self.calls.append(words)
        text = " ".join(words)
        return Speech(Audio(np.full(int(22050 * 0.01 * len(text)), 1000, np.int16), 22050))


def test_cache_voices_each_text_once(tmp_path):
    engine = CountingEngine()
    cache = ClipCache(tmp_path, engine)
    p1, s1 = cache.get(["Hello", "there."])
    p2, s2 = cache.get(["Hello", "there."])
    assert engine.calls == [["Hello", "there."]] and p1 == p2 and np.array_equal(s1.audio.samples, s2.audio.samples)
    cache.get(["Something", "else."])
    assert len(engine.calls) == 2
    # another voice version is another cache entry
    engine.version_key = "fake 2"
    assert cache.get(["Hello", "there."])[0] != p1


def test_timeline_offsets_words_and_mix(tmp_path):
    engine = CountingEngine()
    the_plan = plan(parse("@title T\nAbc. Defgh [[x]] ij.\n", "narration/t.txt"), {}, ["x"])
    timeline = voice_plan(the_plan, ClipCache(tmp_path, engine), PAUSES, pronunciations={})
    seg0, seg1 = timeline["segments"]
    assert [c["text"] for c in seg0["clips"]] == ["Abc.", "Defgh"]
    assert seg0["clips"][1]["offset"] == pytest.approx(0.04 + 0.5, abs=1e-3)
    assert seg0["duration"] == pytest.approx(0.04 + 0.5 + 0.05 + 0.1, abs=1e-3)
    assert timeline["length"] == pytest.approx(seg0["duration"] + 0.03 + 0.25, abs=1e-3)
    # a voice without alignments: words spread by their letters, marked as estimated
    assert timeline["word_timing"] == "estimated"
    assert seg1["clips"][0]["words"] == [["ij.", 0.0, 0.03]]
    # the scene reached cue x one second late: its clip is placed one second later, in silence before
    audio = mix_timeline(timeline, [0.0, seg0["duration"] + 1.0], total=3.0, cache_dir=tmp_path)
    nonzero = np.flatnonzero(audio.samples)
    assert nonzero[-1] / 22050 == pytest.approx(seg0["duration"] + 1.0 + 0.03, abs=2e-3)
    assert audio.duration == pytest.approx(3.0, abs=1e-3)


# --- Kokoro, the default voice -------------------------------------------------------------------------------
SENTENCE = "Each pixel mixes red, green and blue: 7.1 million numbers in all."


@pytest.fixture(scope="module")
def kokoro():
    return KokoroEngine(VOICE["kokoro_voice"], VOICE["kokoro_speed"])


def test_kokoro_is_the_default_engine():
    assert VOICE["engine"] == "kokoro" and VOICE["fallback"][0] == "piper"


def test_kokoro_speaks_with_word_timings_that_tile_the_clip(kokoro, tmp_path):
    the_plan = plan(parse(f"@title T\n{SENTENCE}\n", "narration/t.txt"), {})
    timeline = voice_plan(the_plan, ClipCache(tmp_path, kokoro), PAUSES, pronunciations={})
    (clip,) = timeline["segments"][0]["clips"]
    assert timeline["word_timing"] == "voice" and timeline["sample_rate"] == 24000
    audio = read_wav(tmp_path / clip["wav"])
    assert 3.0 < clip["duration"] < 9.0 and np.abs(audio.samples).max() > 3000  # real speech, not silence
    words = clip["words"]
    assert [w for w, _, _ in words] == SENTENCE.split()  # the written words, punctuation attached
    starts, ends = [s for _, s, _ in words], [e for _, _, e in words]
    assert starts[0] == 0.0 and ends[-1] == pytest.approx(clip["duration"], abs=1e-3)
    assert all(a < b for a, b in zip(starts, starts[1:])) and ends[:-1] == starts[1:]
    spans = {w: e - s for w, s, e in words}
    # "7.1" is said "seven point one": far longer than the short word "in"; "million" longer than "in" too
    assert spans["7.1"] > 2 * spans["in"] and spans["million"] > spans["in"]
    # the speech of each word lies in its span: the quietest word gap is quieter than the loudest word
    loud = [np.abs(audio.samples[int(s * 24000):int(e * 24000)]).max() for _, s, e in words]
    assert min(loud) > 1000


def test_kokoro_gives_identical_bytes_from_scratch(kokoro, tmp_path):
    first, _ = ClipCache(tmp_path / "a", kokoro).get(["Twelve", "thousand", "numbers."])
    fresh = KokoroEngine(VOICE["kokoro_voice"], VOICE["kokoro_speed"])  # a new session: nothing carried over
    fresh.speak(["Something", "else", "first."])  # and a different history before it
    second, _ = ClipCache(tmp_path / "b", fresh).get(["Twelve", "thousand", "numbers."])
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".words.json").read_text() == second.with_suffix(".words.json").read_text()


def test_kokoro_cache_hit_keeps_the_word_timings(kokoro, tmp_path, monkeypatch):
    cache = ClipCache(tmp_path, kokoro)
    path, speech = cache.get(["Blue", "noise."])
    monkeypatch.setattr(kokoro, "speak", lambda words: pytest.fail("voiced again despite the cache"))
    again_path, again = cache.get(["Blue", "noise."])
    assert again_path == path and again.bounds == speech.bounds
    assert np.array_equal(again.audio.samples, speech.audio.samples)
    # a faster voice is another entry
    assert ClipCache(tmp_path, KokoroEngine("af_heart", 1.2)).key(["Blue", "noise."]) != cache.key(["Blue", "noise."])


def test_kokoro_model_sha256_is_checked(tmp_path, capsys):
    parts = kokoro_files.installed_parts()
    tampered = tmp_path / "part.bin"
    data = bytearray(parts[1].read_bytes())
    data[1000] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(VoiceError, match=r"sha256 [0-9a-f]{64}, expected 6e742170"):
        kokoro_files.model_file([parts[0], tampered, *parts[2:]], cache=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.onnx"))  # nothing half-made left behind
    # a damaged cached copy is noticed and assembled again from the wheels
    good = kokoro_files.model_file(cache=tmp_path / "cache")
    with open(good, "r+b") as f:
        f.seek(5000)
        f.write(b"\0" * 16)
    assert kokoro_files.model_file(cache=tmp_path / "cache") == good
    assert "damaged (sha256 mismatch); assembling it again" in capsys.readouterr().out
    assert good.read_bytes()[5000:5016] != b"\0" * 16


def test_kokoro_speed_out_of_range_is_named():
    with pytest.raises(VoiceError, match="journey.toml: kokoro_speed 3.0"):
        KokoroEngine("af_heart", 3.0)


# --- the draft voice and the last fallback ---------------------------------------------------------------------
def test_piper_voice_speaks_offline():
    engine = PiperEngine(VOICE["piper_voice"], 1.0)
    audio = engine.speak(["Twelve", "thousand", "numbers."]).audio
    assert audio.sample_rate == 22050
    assert 0.8 < audio.duration < 4.0
    assert np.abs(audio.samples).max() > 3000  # real speech, not silence
    longer = engine.speak("Twelve thousand numbers, and then a good many more words after them.".split()).audio
    assert longer.duration > audio.duration * 1.8


def test_cli_engine_override_loads_piper():
    engine = load_engine(dict(VOICE, engine="piper"))
    assert isinstance(engine, PiperEngine) and engine.word_timing == "estimated"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_is_the_last_fallback(tmp_path, capsys):
    engine = load_engine(dict(VOICE, engine="kokoro", kokoro_speed=9.0, piper_voice="no_such_voice_package",
                              fallback=["piper", "espeak-ng"]))
    assert isinstance(engine, EspeakEngine)
    out = capsys.readouterr().out
    assert "falling back to piper" in out and "falling back to espeak-ng" in out
    path, speech = ClipCache(tmp_path, engine).get("Hello from the fallback voice.".split())
    assert speech.audio.duration > 0.5
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
