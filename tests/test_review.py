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


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
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
        {"chapter": "01_first", "checked": True, "problems": ["label overlaps the panel"], "still_holds": []}))
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
