"""Integration: render chapter 1 at -ql with its real voice, assemble, and check the files with ffprobe."""

import json
import re
import subprocess

import numpy as np
import pytest
from PIL import Image

from diffusion_journey.narration import parse_file
from journey_base.chapters import get_chapter
from diffusion_journey import review
from diffusion_journey.cli import main
from diffusion_journey.media import probe
from diffusion_journey.subtitles import GAP, MAX_CPS, MAX_SECONDS, TARGET_CPS, parse_srt, rule_breaks

pytestmark = [pytest.mark.render, pytest.mark.timeout(2400)]  # renders chapters 01, 02 and the credits
CH = get_chapter("01")


@pytest.fixture(scope="module")
def rendered(build_dir):
    main(["scene", CH.id, "-q", "l"])
    out = build_dir / "full.mp4"
    main(["video", "-q", "l", "--chapters", "01", "02", "-o", str(out)])  # reuses the render of 01
    timeline = json.loads(CH.timeline_file.read_text())
    render = json.loads((CH.work_dir("l") / f"{CH.id}.render.json").read_text())
    return CH.video_dir("l") / f"{CH.id}.mp4", out, timeline, render


def _embedded_subtitles(path, tmp_path):
    srt = tmp_path / "extracted.srt"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(path), "-map", "0:s:0", str(srt)], check=True)
    return [b for b in re.split(r"\n\s*\n", srt.read_text().strip()) if "-->" in b]


def _off_standard(cues, until):
    """Cues that break the README's standard: <= 42 characters x 2 lines, 1-7 s, <= 17 characters/s wherever
    the voice allows (a faster cue is held up to the next cue, the end or 7 s, and is never above 20)."""
    bad = []
    for k, c in enumerate(cues):
        limit = min(cues[k + 1].start - GAP if k + 1 < len(cues) else until, c.start + MAX_SECONDS)
        broken = rule_breaks(c, max_cps=MAX_CPS)
        if c.cps > TARGET_CPS + 0.05 and c.end < limit - 0.01:
            broken.append(f"{c.cps:.1f} cps, though it could stay up until {limit:.2f}")
        if broken:
            bad.append((c, broken))
    return bad


def test_subtitles_of_every_built_chapter_keep_the_standard(rendered):
    _, full, _, _ = rendered
    for ch in (get_chapter("01"), get_chapter("02")):
        clip = ch.video_dir("l") / f"{ch.id}.mp4"
        cues = parse_srt(clip.with_suffix(".srt").read_text())
        assert cues and _off_standard(cues, float(probe(clip)["format"]["duration"])) == [], ch.id
    cues = parse_srt(full.with_suffix(".srt").read_text())
    assert _off_standard(cues, float(probe(full)["format"]["duration"])) == []


def _frame(path, t, tmp_path):
    png = tmp_path / f"frame_{t}.png"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", str(t), "-i", str(path), "-frames:v", "1", str(png)],
                   check=True)
    return np.asarray(Image.open(png).convert("RGB"), dtype=np.float32)


def test_chapter_clip_streams_duration_subtitles_chapters(rendered, tmp_path):
    clip, _, timeline, render = rendered
    info = probe(clip)
    kinds = [s["codec_type"] for s in info["streams"]]
    assert "video" in kinds and "audio" in kinds and "subtitle" in kinds
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (int(video["width"]), int(video["height"])) == (854, 480)
    # The animation kept pace with the voice: no cue reached late, length = narration length.
    duration = float(info["format"]["duration"])
    assert abs(duration - timeline["length"]) <= 0.5
    durations = [s["duration"] for s in timeline["segments"]]
    expected_starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    assert np.allclose(render["segment_starts"], expected_starts, atol=0.1)
    # The same cues embedded and beside the clip, each sentence cut into one or more cues to the standard.
    cues = parse_srt(clip.with_suffix(".srt").read_text())
    assert len(cues) >= len(timeline["sentences"])
    assert len(_embedded_subtitles(clip, tmp_path)) == len(cues)
    assert parse_srt(clip.with_suffix(".vtt").read_text()) == cues
    assert parse_srt(clip.with_suffix(".chapters.vtt").read_text())[0].text == "01 How many possible images?"
    assert [c["tags"]["title"] for c in info["chapters"]] == ["01 How many possible images?"]
    # the course-clip folder holds the clips and their subtitles, no intermediates
    assert {p.suffix for p in CH.video_dir("l").iterdir()} == {".mp4", ".srt", ".vtt"}
    assert not list(CH.video_dir("l").glob("*.*.mp4"))


def test_voice_is_audible_where_it_speaks(rendered):
    clip, _, timeline, _ = rendered
    first = timeline["segments"][0]["clips"][0]
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-ss", str(first["offset"]), "-t", str(first["duration"]),
                           "-i", str(clip), "-map", "0:a", "-af", "volumedetect", "-f", "null", "-"],
                          capture_output=True, text=True)
    mean_db = float(re.search(r"mean_volume: (-?[\d.]+) dB", proc.stderr).group(1))
    assert mean_db > -35


def test_frames_show_the_canvas_and_the_title(rendered, tmp_path):
    clip, _, timeline, render = rendered
    title = _frame(clip, 1.5, tmp_path)
    assert title.std() > 3  # text on the dark background, not a blank frame
    canvas_at = render["segment_starts"][1] + 3.0  # the noise canvas is up a few seconds after its cue
    canvas = _frame(clip, canvas_at, tmp_path)
    h, w, _ = canvas.shape
    left = canvas[h // 4: 3 * h // 4, w // 8: w // 2]
    assert left.std(axis=(0, 1)).mean() > 40  # many-coloured noise pixels


def test_full_video_has_every_chapter_and_its_subtitles(rendered, tmp_path):
    clip, full, timeline, _ = rendered
    info = probe(full)
    titles = [c["tags"]["title"] for c in info["chapters"]]
    parts = [get_chapter("01"), get_chapter("02")]
    assert titles == [f"{ch.number:02d} {parse_file(ch.narration).title}" for ch in parts] + ["Credits"]
    lengths = [float(probe(ch.video_dir("l") / f"{ch.id}.mp4")["format"]["duration"]) for ch in parts]
    lengths.append(float(probe(CH.work_dir("l") / "end_card.av.mp4")["format"]["duration"]))
    assert abs(float(info["format"]["duration"]) - sum(lengths)) <= 0.5
    # every chapter's marker starts at the sum of the earlier chapters' lengths and ends where the next starts
    assert np.allclose([float(c["start_time"]) for c in info["chapters"]], np.cumsum([0.0, *lengths[:-1]]), atol=0.05)
    assert np.allclose([float(c["end_time"]) for c in info["chapters"]], np.cumsum(lengths), atol=0.05)
    assert len(_embedded_subtitles(full, tmp_path)) >= len(timeline["sentences"])
    assert len(_embedded_subtitles(full, tmp_path)) == len(parse_srt(full.with_suffix(".srt").read_text()))
    assert full.with_suffix(".vtt").exists()
    chapters = parse_srt(full.with_suffix(".chapters.vtt").read_text())
    assert [c.text for c in chapters] == titles
    assert [round(c.start, 2) for c in chapters] == [round(float(c["start_time"]), 2) for c in info["chapters"]]


def test_the_chain_and_the_heat_death_land_on_the_words_that_name_them(rendered):
    """Chapter 01 with its real voice: each figure of the 256^12,288 = 10^29,592 chain and of the heat-death
    comparison first shows within half a second of the word the voice names it with (the sync audit)."""
    clip, _, _, _ = rendered
    record = json.loads((CH.work_dir("l") / f"{CH.id}.layout.json").read_text())
    named = [t for t in record["texts"] if "{,}" in t["text"] and "\\times" not in t["text"]
             or "years" in t["text"] or "heat death" in t["text"]]
    # 256^12,288, 10^29,592, 10^29,583 years, "heat death of the universe", 10^100 years
    assert len(named) == 5, [t["text"] for t in named]
    audit = review.sync_audit(review.Part("01", 0.0, float(probe(clip)["format"]["duration"])),
                              dict(record, texts=named))
    assert audit["texts"] == 5 and abs(audit["worst"]["offset"]) <= 0.5, audit["worst"]


def test_the_dry_run_still_stretches_are_still_in_the_render(rendered):
    """``check --sync``'s still stretches (back-to-back waits with nothing moving, found without drawing a
    frame) are still in the real render of the same voiced timeline: nothing changes inside any of them
    beyond the encoder's rounding.
    (The render holds longer where only a counter ticks: ``make review`` measures those from the frames.)"""
    from diffusion_journey import pipeline
    from video_frames import decode_frames

    clip, _, timeline, _ = rendered
    stretches = pipeline.sync_check(CH, timeline)["still_stretches"]
    assert stretches, "chapter 01 has no still stretch to compare"
    fps = 15
    for s in stretches:
        inner = s["seconds"] - 2 * 0.2  # a few frames of rounding at either end
        frames = decode_frames(clip, size=(160, 90), at=s["start"] + 0.2, count=int(inner * fps)).astype(np.int16)
        change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2)).max()  # a counter's tick: 0.04 or more
        assert len(frames) >= inner * fps - 1 and change < 0.01, (s, change)


def test_the_noise_changes_in_every_frame_while_the_voice_waits(rendered):
    """"A new random image every frame": the flicker keeps changing through the waits of its beat too (Manim
    freezes a wait unless an updater takes dt; ChapterScene.wait draws it frame by frame)."""
    from video_frames import decode_frames

    clip, _, _, render = rendered
    cues = [s["cue"] for s in json.loads(CH.timeline_file.read_text())["segments"]]
    heat = render["segment_starts"][cues.index("heat")]
    frames = decode_frames(clip, size=(160, 90), at=heat - 3.0, count=40).astype(np.int16)  # the noise beat's end
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    assert len(change) >= 39 and change.min() > 2.0, np.round(change, 1)
