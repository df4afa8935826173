"""Bad input on the voice side gets one clear line naming the file and line: a sentence too long, an engine
failure, bytes that are not UTF-8, characters the voice cannot read (a warning; the pronunciation table
gives them a spoken form)."""

import numpy as np
import pytest
from kokoro_onnx.config import DEFAULT_VOCAB

from diffusion_journey.narration import NarrationError, check_sentence_lengths, parse, parse_file, plan
from diffusion_journey.voice import Audio, ClipCache, KokoroEngine, VoiceError, voice_plan
from diffusion_journey.voices.audio import Speech
from diffusion_journey.voices.phonemes import Phonemizer, speakable_number_text
from diffusion_journey.voices.speakable import PRONUNCIATIONS, load_pronunciations

PAUSES = {"sentence": 0.5, "paragraph": 1.0, "mid_sentence_cue": 0.1, "chapter_end": 0.25}


class RecordingEngine:
    name, version_key, word_timing = "fake", "fake 1", "estimated"

    def __init__(self):
        self.heard = []

    def speak(self, words):
        self.heard.append(" ".join(words))
        return Speech(Audio(np.full(2205 * len(words), 1000, np.int16), 22050))


class FailingEngine(RecordingEngine):
    name = "failing"

    def speak(self, words):
        raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned\n"
                           "while running ConvTranspose node. Failed to allocate memory for 14 GB")


def test_clips_know_their_line():
    p = plan(parse("@title T\n# comment\nFirst sentence\nruns on. Second [[x]] half\non line 5.\n\nLast.\n",
                   "narration/x.txt"), {}, ["x"])
    assert [(c.text, c.line) for s in p.segments for c in s.clips] == [
        ("First sentence runs on.", 3), ("Second", 4), ("half on line 5.", 4), ("Last.", 7)]
    assert p.sentence_lines() == [3, 4, 7] and p.path == "narration/x.txt"


@pytest.mark.parametrize("sentence, message", [
    ("A" + " very" * 60 + " long sentence.", "sentence too long (316 chars, limit 250)"),
    ("So " * 46 + "many.", "sentence too long (47 words, limit 45)"),
])
def test_a_long_sentence_is_one_line_before_voicing(sentence, message):
    p = plan(parse(f"@title T\nShort one.\n\n{sentence}\n", "narration/x.txt"), {})
    with pytest.raises(NarrationError) as err:
        check_sentence_lengths(p, 250, 45)
    assert str(err.value) == f"narration/x.txt:4: {message}"


def test_a_200_kb_sentence_with_cue_marks_stops_at_its_line():
    huge = ("word " * 20_000) + "[[a]] " + ("more " * 20_000) + "end."
    p = plan(parse(f"@title T\nFine.\n{huge}\n", "narration/x.txt"), {}, ["a"])
    with pytest.raises(NarrationError, match=r"^narration/x.txt:3: sentence too long \(200,?\d+ chars"):
        check_sentence_lengths(p, 250, 45)


def test_an_engine_failure_names_the_sentence_and_the_engine_error(tmp_path):
    p = plan(parse("@title T\nFine.\n\nThis one breaks the voice.\n", "narration/x.txt"), {})
    engine = FailingEngine()
    with pytest.raises(VoiceError) as err:
        voice_plan(p, ClipCache(tmp_path, engine), PAUSES, pronunciations={})
    message = str(err.value)
    assert message.startswith("narration/x.txt:2: the failing voice failed on this sentence: RuntimeError: "
                              "[ONNXRuntimeError]")
    assert "Failed to allocate memory for 14 GB" in message and "\n" not in message
    assert not list(tmp_path.iterdir())  # nothing half-written in the cache


def test_kokoro_refusal_names_the_line(tmp_path, capsys):
    p = plan(parse("@title T\nWords first.\n★ ★\n", "narration/x.txt"), {})  # espeak-ng has no word for it
    with pytest.raises(VoiceError, match=r"^narration/x.txt:3: the kokoro voice failed on this sentence: "
                                         r"VoiceError: nothing the voice can speak"):
        voice_plan(p, ClipCache(tmp_path, KokoroEngine()), PAUSES, pronunciations={})
    assert "narration/x.txt:3: the voice cannot read '★' (BLACK STAR) naturally" in capsys.readouterr().out


def test_invalid_utf8_is_reported_at_its_line_and_column(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"@title T\n" + b"Fine line.\n" * 11 + "Caf\u00e9 ok ".encode() + b"\xff bad.\n")
    with pytest.raises(NarrationError) as err:
        parse_file(path)
    assert str(err.value).startswith(f"{path}:13:9: not UTF-8 text: byte 0xff")


def test_unreadable_characters_warn_with_their_line(tmp_path, capsys):
    source = "@title T\nThe guess x̂0 moves.\nShalom שלום 🎉 now.\n"
    p = plan(parse(source, "narration/x.txt"), {})
    voice_plan(p, ClipCache(tmp_path, RecordingEngine()), PAUSES, pronunciations={})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("warning: narration/x.txt:2: the voice cannot read '̂' (COMBINING CIRCUMFLEX ACCENT) "
                             "naturally")
    assert out[1].startswith("warning: narration/x.txt:3: the voice cannot read 'ש' (HEBREW LETTER SHIN)")
    assert "'🎉' (PARTY POPPER)" in out[1] and "narration/pronunciations.toml" in out[1] and len(out) == 2


def test_the_pronunciation_table_gives_spoken_forms_and_subtitles_keep_the_written(tmp_path, capsys):
    table = load_pronunciations()  # the project's own narration/pronunciations.toml
    p = plan(parse("@title T\nThe guess x̂0, the noise (ε).\n", "narration/x.txt"), {})
    engine = RecordingEngine()
    timeline = voice_plan(p, ClipCache(tmp_path, engine), PAUSES, pronunciations=table)
    assert engine.heard == ["The guess x hat zero, the noise (epsilon)."]
    (clip,) = timeline["segments"][0]["clips"]
    assert [w for w, _, _ in clip["words"]] == ["The", "guess", "x̂0,", "the", "noise", "(ε)."]
    assert timeline["sentences"] == ["The guess x̂0, the noise (ε)."]
    assert "warning" not in capsys.readouterr().out


@pytest.mark.parametrize("text, message", [
    ('[spoken]\n"ε" = \n', "pronunciations.toml: "),
    ('[spoken]\n"two words" = "x"\n', 'pronunciations.toml: [spoken] "two words"'),
])
def test_a_bad_pronunciation_table_is_named(tmp_path, text, message):
    path = tmp_path / PRONUNCIATIONS.name
    path.write_text(text)
    with pytest.raises(VoiceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_pronunciations(path)


def test_decimals_are_spoken_whole():
    # the phonemizer reads a decimal point as a full stop ("0.125" -> "zero. one hundred twenty-five")
    assert speakable_number_text("7.1 million, 0.787 and 29,592.") == "7 point 1 million, 0 point 7 8 7 and 29,592."
    phonemes = Phonemizer(DEFAULT_VOCAB).phonemes("A U-Net with 7.1 million parameters... and more.")
    assert "pˈɔɪnt wˈʌn" in phonemes and phonemes.endswith("mˈɔːɹ.")  # nothing after the point is lost
