"""The inputs of a course build, small: the explorer chapters' real data on their tiny configs (the embedded
model and the judge), and a short synthetic video per chapter (a test pattern with a tone) published by the
project's own publish step with subtitles from a hand-made timeline, then joined into the full video with its
chapters track, as `make video` lays them out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from diffusion_journey.narration import parse_file
from diffusion_journey.pipeline import publish
from diffusion_journey.subtitles import subtitle_cues
from journey_base.chapters import EXPERIMENTS_DIR, Chapter, load_module
from journey_base.files import atomic_write_json
from journey_base.freshness import sha
from render_data.artifacts import DATA_DIR, ArtifactWriter

QUALITY = "l"
MODEL_INFO = {"name": "embedded", "width": 64, "height": 64}
SENTENCE_SECONDS = 2.0
PAUSE = 0.3
LATE = 0.6  # the scene reaches the second cue this long after the voice of the first segment ends


def tiny_config(experiment) -> dict:
    if hasattr(experiment, "tiny_config"):
        return experiment.tiny_config()
    if hasattr(experiment, "TINY_CONFIG"):  # chapter 11: fewer branches than its own tiny run, still two points
        return dict(experiment.TINY_CONFIG, steps=4, branch_steps=[0, 2], branches=2)
    return dict(experiment.CONFIG, steps=3)  # chapter 02: one walk


def make_data(chapter: Chapter) -> Path:
    """The chapter's experiment on its tiny config into build/data/<id>/ (facts, arrays, a manifest)."""
    experiment = load_module(EXPERIMENTS_DIR / f"{chapter.id}.py", f"render_data.experiments.course_{chapter.id}")
    folder = DATA_DIR / chapter.id
    folder.mkdir(parents=True, exist_ok=True)
    writer = ArtifactWriter(folder)
    experiment.run(writer, tiny_config(experiment), MODEL_INFO)
    atomic_write_json(folder / "facts.json", writer.facts)
    files = {p.name: sha(p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()}
    atomic_write_json(folder / "manifest.json", {"chapter": chapter.id, "files": files})
    return folder


def _words(sentence: str) -> list[list]:
    """Each word's time in its clip, as the voice stage estimates them for an engine without timings."""
    from diffusion_journey.voices.words import estimated_bounds, word_times

    words, rate = sentence.split(), 1000
    n = int(SENTENCE_SECONDS * rate)
    return word_times(words, estimated_bounds(words, n), n, rate)


def _timeline(chapter: Chapter, title: str) -> tuple[dict, list[float], float]:
    """Three sentences in two cue segments; the second segment starts LATE after the first one's voice."""
    sentences = [f"Chapter {chapter.number} begins here.", f"A second sentence of chapter {chapter.number}.",
                 f"And the last one of chapter {chapter.number}."]
    segments, starts, t = [], [], 0.0
    for seg_sentences in ([0], [1, 2]):
        clips, offset = [], 0.0
        for i in seg_sentences:
            clips.append({"text": sentences[i], "sentence": i, "offset": offset, "duration": SENTENCE_SECONDS,
                          "words": _words(sentences[i])})
            offset += SENTENCE_SECONDS + PAUSE
        segments.append({"cue": None if not starts else "more", "duration": offset, "clips": clips})
        starts.append(t)
        t += offset + LATE
    timeline = {"title": title, "sentences": sentences, "segments": segments,
                "length": sum(s["duration"] for s in segments)}
    return timeline, starts, t


def _test_pattern(out: Path, seconds: float) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=15:d={seconds}",
                    "-f", "lavfi", "-i", f"sine=f=330:d={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-ar", "48000", "-ac", "2", "-shortest", str(out)], check=True)


def make_video(chapters: list[Chapter], out: Path) -> Path:
    """Each chapter's clip (with .srt/.vtt), its timeline and render record; then the full video ``out``."""
    avs, cues, marks, t = [], [], [], 0.0
    for ch in chapters:
        title = parse_file(ch.narration).title
        timeline, starts, length = _timeline(ch, title)
        ch.timeline_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(ch.timeline_file, timeline)
        work = ch.work_dir(QUALITY)
        work.mkdir(parents=True, exist_ok=True)
        atomic_write_json(work / f"{ch.id}.render.json", {"key": "test", "segment_starts": starts, "duration": length})
        av = work / f"{ch.id}.av.mp4"
        _test_pattern(av, length)
        name = f"{ch.number:02d} {title}"
        clip = ch.video_dir(QUALITY) / f"{ch.id}.mp4"
        clip.parent.mkdir(parents=True, exist_ok=True)
        publish(av, clip, name, subtitle_cues(timeline, starts, until=length), [(0.0, length, name)],
                work / f"{ch.id}.ffmetadata")
        cues += subtitle_cues(timeline, starts, offset=t, until=t + length)
        marks.append((t, t + length, name))
        avs.append(av)
        t += length
    listing = out.with_suffix(".concat.txt")
    listing.write_text("".join(f"file '{p}'\n" for p in avs))
    joined = out.with_suffix(".av.mp4")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(joined)], check=True)
    publish(joined, out, "test course", cues, marks, out.with_suffix(".ffmetadata"))
    return out


def sentence_times(chapter: Chapter) -> list[float]:
    """Where the sentences of ``_timeline`` start in the chapter's clip (what the page must seek to)."""
    timeline, starts, _ = _timeline(chapter, "")
    return [start + clip["offset"] for seg, start in zip(timeline["segments"], starts) for clip in seg["clips"]]


if __name__ == "__main__":  # a quick look: python tests/tiny_course.py (with DIFFUSION_JOURNEY_BUILD set)
    import sys

    from journey_base.chapters import get_chapter

    chosen = [get_chapter(n) for n in sys.argv[1:]] or [get_chapter("02")]
    make_video(chosen, DATA_DIR.parent / "video" / "diffusion-journey.mp4")
    print(json.dumps([c.id for c in chosen]))
