from diffusion_journey.subtitles import sentence_cues, to_srt, to_vtt

TIMELINE = {
    "sentences": ["One two.", "Three four five."],
    "segments": [
        {"cue": None, "duration": 3.0, "clips": [
            {"sentence": 0, "offset": 0.0, "duration": 1.0}, {"sentence": 1, "offset": 1.5, "duration": 1.2}]},
        {"cue": "b", "duration": 2.0, "clips": [{"sentence": 1, "offset": 0.0, "duration": 1.5}]},
    ],
}


def test_sentence_spans_follow_the_scene_cue_times():
    # The scene reached cue "b" late, at 4.0 s instead of 3.0 s: the sentence's second clip moves with it.
    cues = sentence_cues(TIMELINE, [0.0, 4.0])
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 1.0, "One two."), (1.5, 5.5, "Three four five.")]


def test_offset_for_later_chapters_and_formats():
    cues = sentence_cues(TIMELINE, [0.0, 3.0], offset=3661.25)
    srt, vtt = to_srt(cues), to_vtt(cues)
    assert srt.startswith("1\n01:01:01,250 --> 01:01:02,250\nOne two.\n")
    assert "2\n01:01:02,750 --> 01:01:05,750\nThree four five.\n" in srt
    assert vtt.startswith("WEBVTT\n\n01:01:01.250 --> 01:01:02.250\nOne two.\n")
    assert srt.count(" --> ") == vtt.count(" --> ") == 2


def test_long_sentences_wrap_on_two_lines():
    long = "word " * 20
    timeline = {"sentences": [long.strip()], "segments": [
        {"cue": None, "duration": 5, "clips": [{"sentence": 0, "offset": 0, "duration": 4}]}]}
    text_lines = to_srt(sentence_cues(timeline, [0.0])).strip().split("\n")[2:]
    assert len(text_lines) == 2 and all(len(line) <= 60 for line in text_lines)
