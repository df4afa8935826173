import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey_base.chapters import all_chapters
from diffusion_journey.narration import NarrationError, format_fact, parse, parse_file, plan

FACTS = {"space": {"exponent": 29592, "name": "tiny model", "ratio": 0.125}}


def test_parse_and_plan_splits_sentences_and_cues():
    script = parse(
        "@title A question?\n# a comment, never spoken\nFirst sentence with {space.exponent}.\n"
        "Second one [[zoom]] crosses a cue!\n\n[[end]] Third, after a paragraph? Yes.\n",
        "ch.txt",
    )
    p = plan(script, FACTS, known_cues=["zoom", "end"])
    assert p.title == "A question?"
    assert p.sentences == ["First sentence with 29,592.", "Second one crosses a cue!", "Third, after a paragraph?",
                           "Yes."]
    assert [s.cue for s in p.segments] == [None, "zoom", "end"]
    assert [c.text for c in p.segments[0].clips] == ["First sentence with 29,592.", "Second one"]
    # the split sentence keeps one index across the cue; pauses follow the punctuation
    assert p.segments[0].clips[1].sentence == p.segments[1].clips[0].sentence == 1
    assert [c.pause_after for c in p.segments[0].clips] == ["sentence", "mid_sentence_cue"]
    assert p.segments[1].clips[-1].pause_after == "paragraph"
    assert p.segments[2].clips[-1].pause_after == "chapter_end"


def test_cue_right_after_a_full_stop_ends_the_sentence():
    p = plan(parse("@title T\nOne.[[a]]Two.\n"), {}, ["a"])
    assert p.sentences == ["One.", "Two."]


@pytest.mark.parametrize(
    "source, line, fragment",
    [
        ("@title T\nfine\nbroken [[cue\n", 3, "unclosed cue mark"),
        ("@title T\nbroken {space.exponent\n", 2, "unclosed placeholder"),
        ("@title T\nok\n\nthe {space.missing} figure\n", 4, "unknown placeholder {space.missing}"),
        ("@title T\n[[nope]] text\n", 2, "unknown cue [[nope]]"),
        ("@title T\n[[zoom]] a\n[[zoom]] b\n", 3, "used twice"),
        ("@title T\n[[end]] a\n[[zoom]] b\n", 2, "out of order"),
        ("no title here\n", 1, "missing '@title"),
        ("@title T\ntext\n@title again\n", 3, "@title must come once"),
        ("@colour red\n", 1, "unknown directive"),
        ("@title T\nbad }\n", 2, "without a matching"),
        ("@title T\n{nodot}\n", 2, "bad placeholder"),
    ],
)
def test_errors_name_file_and_line(source, line, fragment):
    with pytest.raises(NarrationError) as err:
        plan(parse(source, "narration/x.txt"), FACTS, known_cues=["zoom", "end"] if "end" in source else ["zoom"])
    assert str(err.value).startswith(f"narration/x.txt:{line}: ")
    assert fragment in str(err.value)


def test_scene_cue_missing_from_script_is_an_error():
    with pytest.raises(NarrationError, match="never marks"):
        plan(parse("@title T\nno cues at all.\n", "x.txt"), {}, known_cues=["zoom"])


def test_format_fact():
    assert format_fact(29592) == "29,592"
    assert format_fact(2.0) == "2"
    assert format_fact(0.125) == "0.125"
    assert format_fact("words") == "words"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("ab .!?{}[]@#\n\t.x_") + ["[[a]]", "{space.exponent}", "é", "\n\n"]),
                max_size=60).map("".join))
def test_fuzz_only_typed_errors(body):
    """Whatever an editor types, the parser answers with a plan or a NarrationError, never a traceback."""
    for source in (body, "@title T\n" + body):
        try:
            p = plan(parse(source, "f.txt"), FACTS, known_cues=None)
        except NarrationError as exc:
            assert str(exc).startswith("f.txt:")
            continue
        clip_sentences = {c.sentence for s in p.segments for c in s.clips}
        assert clip_sentences == set(range(len(p.sentences)))
        for sentence in p.sentences:
            assert "[[" not in sentence and "{" not in sentence and sentence == sentence.strip()


def test_shipped_scripts_parse():
    for chapter in all_chapters():
        script = parse_file(chapter.narration)
        assert script.title and script.cues
