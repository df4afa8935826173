"""Word marks: a beat starts an animation when the voice reaches a word of its speech or a <mark> of the
narration. The script places marks (never spoken, never subtitled), the voice times them, the beat waits
for them, and `make check` names the scene line and the narration line of a wait its speech cannot meet."""

import textwrap
from types import SimpleNamespace

import numpy as np
import pytest
from manim import tempconfig

from diffusion_journey import pipeline
from diffusion_journey.config import load_config
from diffusion_journey.narration import NarrationError, parse, plan
from diffusion_journey.voice import ClipCache, voice_plan
from diffusion_journey.voices.audio import Audio, Speech
from journey_base.chapters import get_chapter, load_module

SCRIPT = "@title T\nThe count is <count>{a.n} levels.\n[[heat]] Heat death, then heat <late>again.\n"
FACTS = {"a": {"n": 29592}}


def test_marks_sit_before_their_word_and_are_never_said():
    p = plan(parse(SCRIPT, "narration/x.txt"), FACTS, ["heat"])
    first, second = p.segments[0].clips[0], p.segments[1].clips[0]
    assert first.text == "The count is 29,592 levels." and first.marks == (("count", 3),)
    assert second.text == "Heat death, then heat again." and second.marks == (("late", 4),)
    assert "<" not in " ".join(p.sentences)


@pytest.mark.parametrize("source, line, fragment", [
    ("@title T\nOne <m>two.\nThree <m>four.\n", 3, "word mark <m> is used twice (first on line 2)"),
    ("@title T\nOne two. <m>\n\n[[heat]] Three.\n", 2, "word mark <m> has no words after it before cue [[heat]]"),
    ("@title T\nOne two.\n[[heat]] Three. <m>\n", 3, "has no words after it before the end of the chapter"),
    ("@title T\nOne <Bad Mark> two.\n", 2, "bad word mark <Bad Mark>"),
    ("@title T\nOne > two.\n", 2, "'>' without a matching '<'"),
])
def test_mark_mistakes_name_file_and_line(source, line, fragment):
    with pytest.raises(NarrationError) as err:
        plan(parse(source, "narration/x.txt"), {}, ["heat"] if "[[heat]]" in source else [])
    assert str(err.value).startswith(f"narration/x.txt:{line}: ") and fragment in str(err.value)


def test_each_wording_of_a_claim_may_place_the_same_mark():
    source = "@title T\n@claim a.n > 1\nBig <m>one.\n@otherwise\nSmall and <m>tiny one.\n@end\n"
    assert plan(parse(source), FACTS, []).segments[0].clips[0].marks == (("m", 1),)
    assert plan(parse(source), {"a": {"n": 0}}, []).segments[0].clips[0].marks == (("m", 2),)


class WordEngine:
    """A voice that says each word in 0.1 s per letter, and tells where each word starts."""
    name, version_key, word_timing = "fake", "fake 1", "voice"

    def speak(self, words):
        bounds = np.cumsum([0] + [len(w) * 2205 for w in words[:-1]]).tolist()
        return Speech(Audio(np.full(sum(len(w) for w in words) * 2205, 900, np.int16), 22050), bounds)


def test_the_voice_times_each_mark_at_its_word(tmp_path):
    timeline = voice_plan(plan(parse(SCRIPT), FACTS, ["heat"]), ClipCache(tmp_path, WordEngine()),
                          load_config()["voice"]["pauses"], pronunciations={})
    first, second = (seg["clips"][0] for seg in timeline["segments"])
    # "The count is " = 3 + 5 + 2 letters before the figure
    assert first["marks"] == [["count", pytest.approx(1.0)]] and first["words"][3][1] == pytest.approx(1.0)
    assert second["marks"] == [["late", pytest.approx(1.8)]]  # "Heat death, then heat " = 4 + 6 + 4 + 4
    assert (first["line"], second["line"]) == (2, 3)


# --- the beat waits: a real ChapterScene on chapter 01's script, run without drawing --------------------------
CH = get_chapter("01")
BEATS = ("canvas", "channels", "formula", "atoms", "nesting", "noise", "heat", "closing")


def _tiny_scene(tmp_path, heat_body: str):
    """A scene for chapter 01's narration whose beats only wait (heat_body is the 'heat' beat)."""
    (tmp_path / CH.scene_file.name).write_text(textwrap.dedent('''\
        from scenes.beats import ChapterScene, beat

        class Waits(ChapterScene):
            times = {}
    ''') + "".join(f"    @beat\n    def {name}(self, b):\n"
                   + (textwrap.indent(textwrap.dedent(heat_body), " " * 8) if name == "heat" else "        pass\n")
                   for name in BEATS))
    module = load_module(tmp_path / CH.scene_file.name, f"tests.waits_{tmp_path.name}")
    facts = pipeline.make_data(CH).facts
    timeline = pipeline.estimated_timeline(pipeline.narration_plan(CH, facts), load_config()["voice"]["pauses"])
    return module.Waits, timeline


def _run(cls, timeline):
    with tempconfig({"dry_run": True, "quality": "low_quality", "disable_caching": True, "progress_bar": "none",
                     "verbosity": "WARNING"}):
        scene = cls(timeline=timeline, skip_animations=True, layout_check=False)
        scene.render()
    return scene


def test_a_beat_waits_for_the_words_of_its_speech_in_order(tmp_path):
    cls, timeline = _tiny_scene(tmp_path, '''\
        self.times["start"] = self.now
        for words in ("ten to the power", "go cold", "Ten to the POWER,"):  # the second saying, after "go cold"
            b.at(words)
            self.times[words] = self.now
    ''')
    scene = _run(cls, timeline)
    (segment,) = [s for s in timeline["segments"] if s["cue"] == "heat"]
    words = [(w.strip(",.").lower(), c["offset"] + a) for c in segment["clips"] for w, a, _ in c["words"]]
    ten = [t for (w, t), (nxt, _) in zip(words, words[1:]) if (w, nxt) == ("ten", "to")]
    go = next(t for (w, t), (nxt, _) in zip(words, words[1:]) if (w, nxt) == ("go", "cold"))
    assert len(ten) == 2 and ten[0] < go < ten[1]
    waited = [scene.times[w] - scene.times["start"] for w in ("ten to the power", "go cold", "Ten to the POWER,")]
    assert waited == pytest.approx([ten[0], go, ten[1]], abs=1 / 15)  # within a frame of the word


def test_waiting_for_words_the_beat_does_not_say_names_both_files(tmp_path):
    cls, timeline = _tiny_scene(tmp_path, '''\
        b.at("go cold")
        b.at("images")
    ''')
    with pytest.raises(Exception) as err:
        _run(cls, timeline)
    heat_line = next(c.line for s in pipeline.narration_plan(CH, pipeline.make_data(CH).facts).segments
                     if s.cue == "heat" for c in s.clips[:1])
    message = str(err.value)
    assert f"{CH.scene_file.name}:" in message and "beat 'heat' waits for 'images'" in message
    assert f"narration/{CH.narration.name}:{heat_line}" in message
    assert "after the words it already waited for" in message


def test_make_check_names_a_wait_the_speech_does_not_say(tmp_path):
    the_plan = plan(parse(SCRIPT, "narration/x.txt"), FACTS, ["heat"])
    scene = tmp_path / "x.py"
    scene.write_text(textwrap.dedent('''\
        class X:
            @beat
            def heat(self, b):
                b.at("heat death")
                b.at("<late>")
                b.fill(until="<count>")
                b.at("go cold")
                b.at(self.word)
    '''))
    chapter = SimpleNamespace(scene_file=scene, narration=tmp_path / "x.txt")
    problems = pipeline.unsaid_waits(chapter, the_plan)
    assert problems == [
        f"{scene}:6: beat 'heat' waits for '<count>', which its speech ({tmp_path / 'x.txt'}:3) does not say "
        "(the mark is in beat 'opening')",
        f"{scene}:7: beat 'heat' waits for 'go cold', which its speech ({tmp_path / 'x.txt'}:3) does not say",
        f"{scene}:8: the words beat 'heat' waits for are not a literal string, so they cannot be checked"]


def test_shipped_scenes_wait_only_for_words_they_say():
    for number in ("01", "02"):
        ch = get_chapter(number)
        assert pipeline.unsaid_waits(ch, pipeline.narration_plan(ch, pipeline.make_data(ch).facts)) == []


def test_check_sync_finds_a_figure_shown_before_the_voice_says_it(monkeypatch):
    """The sync audit from a dry run: chapter 01 shows each figure on its word mark; with the beats' waits
    for words taken out, the heat-death figure shows at its beat's start, well before it is said."""
    ch = get_chapter("01")
    data = pipeline.make_data(ch)
    timeline = pipeline.estimated_timeline(pipeline.narration_plan(ch, data.facts), load_config()["voice"]["pauses"])
    figure = str(data.facts["viewing"]["heat_death_exponent"])

    def heat_death_item(audit):
        return next(i for i in audit["items"] if i["by"] == figure)

    assert abs(heat_death_item(pipeline.sync_check(ch, timeline))["offset"]) <= 2 / 15  # on its mark, within frames
    monkeypatch.setattr("scenes.beats.Beat.at", lambda self, words: None)
    early = heat_death_item(pipeline.sync_check(ch, timeline))
    assert early["offset"] < -1 and early in pipeline.sync_check(ch, timeline)["off_by_more_than_1s"]
