"""`review` on a tiny synthetic video made with ffmpeg: two chapters, a still first half, a pause in the
voice, one good cue and two that break the subtitle rules."""

import json
import subprocess

import pytest

from diffusion_journey.cli import main
from diffusion_journey import review
from diffusion_journey.review import table

SRT = """1
00:00:00,500 --> 00:00:02,900
One good cue, easy to read.

2
00:00:05,100 --> 00:00:08,400
A line longer than forty-two characters: see
3
lines

3
00:00:08,500 --> 00:00:09,700
Twenty-five characters!!!
"""
WORDS = 6 + 9 + 2
META = """;FFMETADATA1
title=tiny
[CHAPTER]
TIMEBASE=1/1000
START=0
END=5000
title=01 First
[CHAPTER]
TIMEBASE=1/1000
START=5000
END=10000
title=02 Second
"""


# Chapter 01's voice: segment 0 from 0 s, segment 1 (its cue reached at 2 s) saying the figures.
TIMELINE = {"segments": [
    {"cue": None, "clips": [{"text": "The count is 256 levels.", "sentence": 0, "offset": 0.2, "duration": 1.6,
                             "words": [["The", 0.0, 0.2], ["count", 0.2, 0.6], ["is", 0.6, 0.8],
                                       ["256", 0.8, 1.2], ["levels.", 1.2, 1.6]]}]},
    {"cue": "heat", "clips": [{"text": "Heat death comes first: 12,288.", "sentence": 1, "offset": 0.5,
                               "duration": 2.0, "words": [["Heat", 0.0, 0.4], ["death", 0.4, 0.8],
                                                          ["comes", 0.8, 1.1], ["first:", 1.1, 1.5],
                                                          ["12,288.", 1.5, 2.0]]}]}]}
# What the scene showed, and when: "256" with its word (said at 1.0 s); the heat-death line 2.5 s before
# "Heat" (said at 2.5 s, in the next beat); a label the voice never says; a word the voice said a beat
# earlier; 12,288 is said but never shown.
TEXTS = [{"text": "256", "t": 1.3, "beat": "opening"},
         {"text": r"\text{heat death of the universe}:", "t": 0.0, "beat": "opening"},
         {"text": "a new random image", "t": 0.5, "beat": "opening"},
         {"text": "count", "t": 4.5, "beat": "heat"}]  # said only in the beat before: not this text's word


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, build_dir):
    folder = tmp_path_factory.mktemp("review")
    video = folder / "tiny.mp4"
    (folder / "tiny.srt").write_text(SRT)
    (folder / "meta.txt").write_text(META)
    # Still for 5 s, then moving; a "voice" (a tone) that pauses from 3 s to 6 s.
    subprocess.run([
        "ffmpeg", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=10:d=5",
        "-f", "lavfi", "-i", "testsrc=s=160x90:r=10:d=5",
        "-f", "lavfi", "-i", "aevalsrc=0.2*sin(2*PI*220*t)*(lt(t\\,3)+gt(t\\,6)):s=16000:d=10",
        "-i", str(folder / "tiny.srt"), "-i", str(folder / "meta.txt"),
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a", "-map", "3:s",
        "-map_chapters", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "mov_text",
        str(video)], check=True)
    # Layout records in a folder of their own: other tests' renders (chapter 02's) must not be read here.
    records = folder / "work"
    records.mkdir()
    (records / "01_first.layout.json").write_text(json.dumps(
        {"chapter": "01_first", "checked": True, "problems": ["label overlaps the panel"], "still_holds": [],
         "texts": TEXTS, "segment_starts": [0.0, 2.0]}))
    timeline = build_dir / "audio" / "01_first" / "timeline.json"
    timeline.parent.mkdir(parents=True, exist_ok=True)
    timeline.write_text(json.dumps(TIMELINE))
    out = folder / "review.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(review, "work_dir", lambda quality: records)
        main(["review", str(video), "-q", "l", "--json", str(out)])
    return json.loads(out.read_text())


def test_cues_breaking_rules_are_reported_per_chapter(reviewed):
    first, second = reviewed["chapters"]
    assert (first["title"], second["title"]) == ("01 First", "02 Second")
    assert first["subtitles"]["cues"] == 1 and first["subtitles"]["cues_breaking_any_rule"] == 0
    assert second["subtitles"]["broken"] == {"line_length": 1, "lines": 1, "duration": 0, "cps": 1}
    assert second["subtitles"]["cps_over_20"] == 1  # 25 characters in 1.2 s
    assert [c["breaks"] for c in second["subtitles"]["breaking"]] == [["line_length", "lines"], ["cps"]]
    assert reviewed["overall"]["subtitles"]["cues_breaking_any_rule"] == 2


def test_pace_holds_loudness_and_layout(reviewed):
    first, second = reviewed["chapters"]
    overall = reviewed["overall"]
    # The voice speaks 7 of the 10 s (the 3 s pause is a wait, left out).
    assert overall["speech_seconds"] == pytest.approx(7.0, abs=0.3)
    assert overall["wpm"] == pytest.approx(60 * WORDS / 7.0, rel=0.05)
    # The still first half is one hold of about 5 s; the moving half has none.
    assert len(first["static_holds"]) == 1 and first["longest_hold_seconds"] == pytest.approx(5.0, abs=0.3)
    assert second["static_holds"] == [] and overall["longest_hold_seconds"] == first["longest_hold_seconds"]
    # A 0.2-amplitude tone: peaks at -14 dBTP, mean square 3 dB lower, so about -17.7 LUFS (R128's -0.691).
    assert overall["loudness_lufs"] == pytest.approx(-17.7, abs=0.5)
    assert overall["true_peak_dbtp"] == pytest.approx(-14.0, abs=1.0)
    assert first["layout"]["problems"] == 1 and second["layout"] is None
    assert overall["layout"]["problems"] == 1


def test_table_and_sources(reviewed):
    printed = table(reviewed)
    assert "02 Second" in printed and "overall: 2 of 3 cues break a rule" in printed
    assert reviewed["video"].endswith("tiny.mp4") and reviewed["subtitles"].endswith("tiny.srt")
    mos = reviewed["overall"]["dnsmos_overall"]
    assert mos is None or 1.0 <= mos <= 5.0  # only with the optional speechmos package


def test_sync_audit_times_texts_against_the_voice(reviewed):
    first, second = reviewed["chapters"]
    sync = first["sync"]
    assert sync["texts"] == 2 and sync["off"] == 1  # the labels the voice does not say with them are not audited
    (early,) = sync["off_by_more_than_1s"]
    assert (early["by"], early["shown"], early["said"], early["offset"]) == ("heat", 0.0, 2.5, -2.5)
    assert sync["worst"] == early
    assert sync["figures_never_shown"] == [{"figure": "12288", "said": 4.0}]
    assert second["sync"] is None  # no render record for chapter 02
    assert reviewed["overall"]["sync"]["off"] == 1 and reviewed["overall"]["sync"]["figures_never_shown"] == 1
    assert "said, never shown: 12288 (4s)" in table(reviewed)


@pytest.fixture(scope="module")
def still_video(tmp_path_factory):
    """16 s: moving 0-3 s, a thin line creeping 3-9 s (never frozen, barely changing), moving 9-11 s,
    frozen 11-16 s."""
    video = tmp_path_factory.mktemp("still") / "still.mp4"
    video.with_suffix(".srt").write_text(SRT)
    line = "color=c=black:s=160x90:r=10:d=6,format=gray,geq=lum='if(lt(X\\,10+T*15)*between(Y\\,40\\,41)\\,255\\,16)'"
    subprocess.run([
        "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=160x90:r=10:d=3",
        "-f", "lavfi", "-i", line + ",format=yuv420p", "-f", "lavfi", "-i", "testsrc=s=160x90:r=10:d=2",
        "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=10:d=5",
        "-f", "lavfi", "-i", "aevalsrc=0.2*sin(2*PI*220*t):s=16000:d=16",
        "-filter_complex", "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0[v]", "-map", "[v]", "-map", "4:a",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video)], check=True)
    return video


def test_near_still_stretches_and_hold_share(still_video):
    assert review.near_still(still_video) == [pytest.approx((3.0, 9.0), abs=0.2), pytest.approx((11.0, 16.0), abs=0.2)]
    report = review.review(still_video, "l")
    still = report["overall"]["stillness"]
    assert still["hold_share"] == pytest.approx(5 / 16, abs=0.02)  # only the frozen end is a hold
    assert still["near_still_share"] == pytest.approx(11 / 16, abs=0.03)
    assert still["longest_near_still"] == {"start": pytest.approx(3.0, abs=0.2), "seconds": pytest.approx(6.0, abs=0.2)}
