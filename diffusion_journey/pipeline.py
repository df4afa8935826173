"""The stages, in the one direction data flows:

    narration + config -> render_data artifacts -> voiced timeline -> Manim scene -> assembled video

Each stage skips work whose inputs have not changed: journey_base.freshness keys over its code and inputs.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from manim import tempconfig
from tqdm import tqdm

from journey_base.chapters import Chapter, work_dir
from journey_base.credits import CREDITS_FILE
from journey_base.files import atomic_write_bytes, atomic_write_json, published_together, scratch_file, shown
from journey_base.freshness import read_record, sha, stage_key, write_record
from journey_base.paths import BUILD, ROOT
from render_data.artifacts import DATA_DIR, build_chapter_data
from scenes import end_card
from scenes.beats import ChapterScene, CueError, spoken_form
from scenes.contract import missing_reads, scene_waits

from . import beat_render
from .beat_render import scene_class
from .config import QUALITIES, load_config
from .loudness import MAX_TRUE_PEAK, TARGET_LUFS, TOLERANCE_LU, ebur128, normalising_filter
from .media import add_subtitles_and_chapters, concat, duration, mux_audio, refilter_audio, write_ffmetadata
from .review import Part, sync_audit
from .narration import NarrationError, Plan, check_sentence_lengths, parse_file, plan
from .subtitles import chapters_vtt, subtitle_cues, to_srt, to_vtt
from .tools import require_tool
from .voice import Audio, ClipCache, load_engine, mark_times, mix_timeline, voice_plan
from .voices.speakable import PRONUNCIATIONS
from .voices.words import estimated_bounds, word_times

AUDIO_CACHE = BUILD / "audio" / "cache"
END_CARD = ROOT / "scenes" / "end_card.py"


# --- data -------------------------------------------------------------------------------------------
def make_data(chapter: Chapter, force: bool = False):
    started = time.perf_counter()
    data, rebuilt = build_chapter_data(chapter, force=force)
    state = f"computed in {time.perf_counter() - started:.1f}s" if rebuilt else "up to date"
    print(f"[data]  {chapter.id}: {state}")
    return data


# --- narration ----------------------------------------------------------------------------------------
def narration_plan(chapter: Chapter, facts: dict) -> Plan:
    """Parse and fill in the script, checking its cues against the scene's beats and its sentence lengths."""
    the_plan = plan(parse_file(chapter.narration), facts, known_cues=scene_class(chapter).cues())
    limits = load_config()["narration"]
    check_sentence_lengths(the_plan, int(limits["max_sentence_chars"]), int(limits["max_sentence_words"]))
    return the_plan


def check_chapter(chapter: Chapter, report=print) -> list[str]:
    """Both contracts of a chapter: narration <-> data (placeholders, cues, guarded claims) and scene <-> data
    (the facts and arrays it reads). Returns the problems; reports which wording each claim's data chose."""
    data = make_data(chapter)
    problems = []
    try:
        the_plan = narration_plan(chapter, data.facts)
        for d in the_plan.claims:
            measured = ", ".join(f"{k} = {v}" for k, v in d.values.items())
            report(f"[check] {chapter.id}: claim at line {d.line} ({measured}): says the '{d.chosen}' wording")
    except NarrationError as exc:
        problems.append(str(exc))
    else:
        problems += unsaid_waits(chapter, the_plan)
    arrays = {name.removesuffix(".npy") for name in data.manifest.get("files", {}) if name.endswith(".npy")}
    problems += missing_reads(chapter.scene_file, data.facts, arrays)
    return problems


def unsaid_waits(chapter: Chapter, the_plan: Plan) -> list[str]:
    """'scene:line: ...' for each word or word mark a beat waits for that its speech does not say."""
    speech = {seg.cue: seg for seg in the_plan.segments}
    mark_beats = {name: seg.cue for seg in the_plan.segments for c in seg.clips for name, _ in c.marks}
    problems = []
    for wait in scene_waits(chapter.scene_file):
        here = f"{shown(chapter.scene_file)}:{wait.line}"
        if wait.words is None:
            problems.append(f"{here}: the words beat '{wait.beat}' waits for are not a literal string, so they "
                            f"cannot be checked")
            continue
        seg = speech.get(wait.beat)
        if seg is None or not seg.clips:
            continue  # not a beat the narration marks: the cue check reports that
        said = [spoken_form(w) for c in seg.clips for w in c.text.split()]
        wanted = [spoken_form(w) for w in wait.words.split()]
        name = wait.words[1:-1] if wait.words.startswith("<") and wait.words.endswith(">") else None
        if name is not None and mark_beats.get(name) == wait.beat:
            continue
        if name is None and wanted and any(said[i:i + len(wanted)] == wanted for i in range(len(said))):
            continue
        elsewhere = f" (the mark is in beat '{mark_beats[name] or 'opening'}')" if name in mark_beats else ""
        problems.append(f"{here}: beat '{wait.beat}' waits for '{wait.words}', which its speech "
                        f"({shown(chapter.narration)}:{seg.clips[0].line}) does not say{elsewhere}")
    return problems


def voice_chapter(chapter: Chapter, facts: dict, engine=None, engine_name: str | None = None) -> dict:
    """Voice the chapter with ``engine``, or the one journey.toml names (``engine_name`` overrides it).
    With the configured engine, a timeline voiced from the same script, voice settings and code is reused
    without loading the voice at all."""
    config = load_config()
    the_plan = narration_plan(chapter, facts)
    record = chapter.timeline_file.with_name("voice.json")
    key = stage_key(code=[Path(__file__).with_name("voice.py")], voice=config["voice"], engine=engine_name,
                    pronunciations=PRONUNCIATIONS, script=_script_of(the_plan))
    info = read_record(record, key, outputs=[chapter.timeline_file]) if engine is None else None
    if info and info.get("timeline") == sha(chapter.timeline_file.read_bytes()):
        timeline = json.loads(chapter.timeline_file.read_text())
        if all((AUDIO_CACHE / c["wav"]).exists() for s in timeline["segments"] for c in s["clips"]):
            return timeline
    engine_given = engine is not None
    engine = engine or load_engine(dict(config["voice"], engine=engine_name or config["voice"]["engine"]))
    cache = ClipCache(AUDIO_CACHE, engine)
    n_clips = sum(len(s.clips) for s in the_plan.segments)
    with tqdm(total=n_clips, desc=f"[voice] {chapter.id}", unit="clip", leave=False) as bar:
        timeline = voice_plan(the_plan, cache, config["voice"]["pauses"], progress=bar)
    timeline["chapter"] = chapter.id
    atomic_write_json(chapter.timeline_file, timeline)
    if not engine_given:
        write_record(record, key, timeline=sha(chapter.timeline_file.read_bytes()))
    else:
        record.unlink(missing_ok=True)  # voiced by another engine than the configured one: not reusable as that
    print(f"[voice] {chapter.id}: {len(timeline['sentences'])} sentences, {timeline['length']:.1f}s "
          f"({engine.name})")
    return timeline


def _script_of(the_plan: Plan) -> list:
    """What the voice says, and where: every clip's words, line, marks and the pause after it, per cue."""
    return [the_plan.title, the_plan.sentences,
            [[seg.cue, [[c.text, c.sentence, c.line, list(c.marks), c.pause_after] for c in seg.clips]]
             for seg in the_plan.segments]]


# --- scene ------------------------------------------------------------------------------------------------
@dataclass
class RenderedChapter:
    chapter: Chapter
    silent: Path  # the scene as Manim rendered it
    segment_starts: list[float]  # when the scene reached each cue (segment 0 at 0.0)
    duration: float
    timeline: dict


def render_key(chapter: Chapter, quality: str, layout_check: bool = True) -> str:
    """The scene module and every project module it imports, its data, its voiced timeline, the quality."""
    manifest = json.loads((DATA_DIR / chapter.id / "manifest.json").read_text())
    return stage_key(code=[chapter.scene_file], data=manifest["files"], timeline=chapter.timeline_file,
                     quality=quality, manim=importlib.metadata.version("manim"), layout_check=layout_check)


def render_scene(chapter: Chapter, quality: str, force: bool = False, layout_check: bool = True) -> RenderedChapter:
    """Render the chapter in step with its voice, beat by beat (diffusion_journey.beat_render): only the
    beats whose key changed are drawn. The layout check runs throughout (off for drafts); what it found,
    and any long still holds, are written beside the render for ``make review``. Here, in this process;
    ``make video`` runs the same steps as tasks (plan, render jobs on workers, finish)."""
    beat_render.write_produced(plan_render(chapter.id, quality, 1, layout_check, force))
    beat_render.write_produced(render_job(chapter.id, quality, 0, layout_check, force))
    return finish_render(chapter, quality, layout_check)


def plan_render(chapter_id: str, quality: str, parts: int, layout_check: bool = True,
                force: bool = False) -> dict[str, bytes]:
    """The chapter's render plan: the dry run on the voiced timeline (which raises LayoutError before a
    frame is drawn), each beat's key, and the beats whose clips are missing split into ``parts`` jobs.
    Returns the files it makes (relative to build/): the plan and the layout findings; none if fresh."""
    chapter = Chapter(chapter_id)
    key = render_key(chapter, quality, layout_check)
    work = chapter.work_dir(quality)
    if not force and fresh_render(chapter, quality, key):
        return {}
    # Manim shells out to these; say which package is missing before it fails deep inside a render.
    for tool, package in (("latex", "texlive-latex-base"), ("dvisvgm", "dvisvgm"), ("ffmpeg", "ffmpeg")):
        require_tool(tool, package=package)
    scene = beat_render.dry_run(chapter, quality, layout_check=layout_check)
    plans = beat_render.plan_beats(chapter, quality, scene)
    jobs = beat_render.split_jobs(beat_render.stale(plans, force), parts)
    starts = list(scene.segment_starts)
    layout = {"chapter": chapter.id, "checked": layout_check, "problems": scene.layout_problems,
              "still_holds": [{"beat": b, "seconds": s} for b, s in scene.still_holds],
              "late_words": [{"beat": b, "words": w, "seconds": s} for b, w, s in scene.late_words],
              "texts": list(scene.first_shown.values()), "segment_starts": starts}
    the_plan = {"key": key, "segment_starts": starts, "duration": float(scene.renderer.time),
                "beats": [{"index": p.index, "cue": p.cue, "seconds": p.seconds, "key": p.key,
                           "clip": str(p.clip.relative_to(BUILD)), "drawn": p.drawn} for p in plans],
                "jobs": [beat_render.clip_paths(plans, job) for job in jobs],
                "rendered": sum(len(j) for j in jobs)}
    return {str((work / f"{chapter.id}.layout.json").relative_to(BUILD)): _json_bytes(layout),
            str((work / f"{chapter.id}.plan.json").relative_to(BUILD)): _json_bytes(the_plan)}


def render_job(chapter_id: str, quality: str, job: int, layout_check: bool = True,
               force: bool = False) -> dict[str, bytes]:
    """Job ``job`` of the chapter's plan: its beats' clips (relative to build/); none if the render is
    fresh or the plan has fewer jobs."""
    chapter = Chapter(chapter_id)
    key = render_key(chapter, quality, layout_check)
    work = chapter.work_dir(quality)
    if not force and fresh_render(chapter, quality, key):
        return {}
    the_plan = json.loads((work / f"{chapter.id}.plan.json").read_text())
    if the_plan["key"] != key or job >= len(the_plan["jobs"]):
        return {}
    clips = {int(k): rel for k, rel in the_plan["jobs"][job].items()}
    return beat_render.render_beat_clips(chapter.id, quality, sorted(clips), clips)


def fresh_render(chapter: Chapter, quality: str, key: str) -> dict | None:
    """The chapter's render record when its silent render is there and of these inputs (``key``), else None."""
    work = chapter.work_dir(quality)
    return read_record(work / f"{chapter.id}.render.json", key, outputs=[work / f"{chapter.id}.silent.mp4"])


def _json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1) + "\n").encode()


def finish_render(chapter: Chapter, quality: str, layout_check: bool = True) -> RenderedChapter:
    """The beats' clips joined (streams copied) into the silent chapter, and its record; or the record, if
    the render was fresh."""
    work = chapter.work_dir(quality)
    silent, record = work / f"{chapter.id}.silent.mp4", work / f"{chapter.id}.render.json"
    key = render_key(chapter, quality, layout_check)
    timeline = json.loads(chapter.timeline_file.read_text())
    info = fresh_render(chapter, quality, key)
    if info:
        print(f"[scene] {chapter.id} @{QUALITIES[quality][1]}: up to date")
        return RenderedChapter(chapter, silent, info["segment_starts"], info["duration"], timeline)
    the_plan = json.loads((work / f"{chapter.id}.plan.json").read_text())
    if the_plan["key"] != key:
        raise RuntimeError(f"{chapter.id}: its render plan is of other inputs (rendered while they changed?); "
                           f"run again")
    clips = [BUILD / b["clip"] for b in the_plan["beats"] if b["drawn"]]
    absent = [shown(c) for c in clips if not c.exists()]
    if absent:
        raise RuntimeError(f"{chapter.id}: beat clips missing after rendering: {', '.join(absent)}")
    concat(clips, silent)
    beat_render.remove_stale_clips(chapter, quality, {Path(b["clip"]).name for b in the_plan["beats"]})
    starts, total = the_plan["segment_starts"], the_plan["duration"]
    print(f"[scene] {chapter.id} @{QUALITIES[quality][1]}: {the_plan['rendered']} of {len(the_plan['beats'])} "
          f"beats drawn, {total:.1f}s of video")
    write_record(record, key, segment_starts=starts, duration=total, beats=[b["key"] for b in the_plan["beats"]])
    return RenderedChapter(chapter, silent, starts, total, timeline)


def layout_check(chapter: Chapter) -> ChapterScene:
    """Run the chapter's scene without drawing a frame (each animation jumps to its end) on a timeline
    estimated from the script, with the layout check on. Raises LayoutError; returns the scene that ran
    (its ``still_holds``, ``segment_starts``, ``timeline``)."""
    data = make_data(chapter)
    timeline = estimated_timeline(narration_plan(chapter, data.facts), load_config()["voice"]["pauses"])
    return beat_render.dry_run(chapter, "l", timeline=timeline)


def sync_check(chapter: Chapter, timeline: dict | None = None) -> dict:
    """The sync audit of ``make review`` for one chapter, without drawing a frame: the scene's dry run on its
    voiced timeline (or ``timeline``) says when each text first shows; the timeline, when the voice says it.
    Also the words a beat reached late and the still stretches (``ChapterScene.still_stretches``)."""
    if timeline is None and not chapter.timeline_file.exists():
        raise CueError(f"{shown(chapter.timeline_file)} missing: voice the chapter first "
                       f"('make voice CH={chapter.number:02d}')")
    scene = beat_render.dry_run(chapter, "l", timeline=timeline, layout_check=False)
    record = {"chapter": chapter.id, "texts": list(scene.first_shown.values()),
              "segment_starts": list(scene.segment_starts)}
    length = float(scene.renderer.time)
    audit = sync_audit(Part(chapter.id, 0.0, length), record, scene.timeline)
    stretches = scene.still_stretches()
    return {**audit, "late_words": scene.late_words, "length": round(length, 2), "still_stretches": stretches,
            "still_share": round(sum(s["seconds"] for s in stretches) / length, 3) if length else 0.0}


def estimated_timeline(the_plan: Plan, pauses: dict, words_per_second: float = 2.6) -> dict:
    """A timeline with each clip's length and words' times guessed from its words (no voice needed): for the
    layout check, and so that a scene's word marks are checked without voicing."""
    segments = []
    for seg in the_plan.segments:
        clips, t = [], 0.0
        for c in seg.clips:
            written = c.text.split()
            length = len(written) / words_per_second
            ms = int(length * 1000)
            words = word_times(written, estimated_bounds(written, ms), ms, 1000)
            clips.append({"text": c.text, "sentence": c.sentence, "line": c.line, "offset": round(t, 3),
                          "duration": round(length, 3), "words": words, "marks": mark_times(c.marks, words, length)})
            t += length + float(pauses[c.pause_after])
        segments.append({"cue": seg.cue, "duration": round(t, 3), "clips": clips})
    return {"title": the_plan.title, "segments": segments, "sentences": the_plan.sentences,
            "length": sum(s["duration"] for s in segments)}


def render_end_card(quality: str) -> Path:
    """The silent credits card, as a clip with the same streams as the chapters (so concat copies)."""
    out_dir = work_dir(quality)
    clip = out_dir / "end_card.av.mp4"
    record = out_dir / "end_card.render.json"
    key = stage_key(code=[END_CARD], credits=CREDITS_FILE, quality=quality,
                    manim=importlib.metadata.version("manim"))
    if read_record(record, key, outputs=[clip]):
        return clip
    with tempconfig(beat_render.manim_settings(quality, "end_card", progress="none")):
        scene = end_card.EndCard()
        scene.render()
        silent, total = Path(scene.renderer.file_writer.movie_file_path), float(scene.renderer.time)
    wav = out_dir / "end_card.silence.wav"
    atomic_write_bytes(wav, Audio(np.zeros(int(total * 22050) + 1, np.int16), 22050).to_wav_bytes())
    mux_audio(silent, wav, clip)
    write_record(record, key, duration=total)
    return clip


# --- assembly -----------------------------------------------------------------------------------------------
def chapter_clip(rendered: RenderedChapter, quality: str) -> Path:
    """The course clip: narrated chapter with its own subtitles (.srt/.vtt beside it) and a chapter marker.
    Mixed, normalised and published only when the silent render, the timeline or this code changed."""
    ch, out_dir, work = rendered.chapter, rendered.chapter.video_dir(quality), rendered.chapter.work_dir(quality)
    clip, av, record = out_dir / f"{ch.id}.mp4", work / f"{ch.id}.av.mp4", work / f"{ch.id}.clip.json"
    # The silent render by its record (its key and its beats' keys): hashing the video itself would be slower.
    key = stage_key(code=[Path(__file__)], render=work / f"{ch.id}.render.json", timeline=ch.timeline_file,
                    quality=quality)
    sidecars = [clip.with_suffix(".srt"), clip.with_suffix(".vtt")]
    if read_record(record, key, outputs=[clip, av, *sidecars]):
        return clip
    wav = work / f"{ch.id}.narration.wav"
    total = duration(rendered.silent)
    audio = mix_timeline(rendered.timeline, rendered.segment_starts, total, AUDIO_CACHE)
    atomic_write_bytes(wav, audio.to_wav_bytes())
    mux_audio(rendered.silent, wav, av, audio_filter=normalising_filter(wav))
    length = duration(av)
    cues = subtitle_cues(rendered.timeline, rendered.segment_starts, until=length)
    title = f"{ch.number:02d} {rendered.timeline['title']}"
    publish(av, clip, title, cues, [(0.0, length, title)], work / f"{ch.id}.ffmetadata")
    write_record(record, key)
    print(f"[clip]  {shown(clip)} ({duration(clip):.1f}s)")
    return clip


def full_video(clips: list[tuple[RenderedChapter, Path]], out: Path, quality: str) -> Path:
    """Concatenate the chapters' audio+video (and the credits) without re-encoding, then add all subtitles
    and chapter markers."""
    avs = [r.chapter.work_dir(quality) / f"{r.chapter.id}.av.mp4" for r, _ in clips]
    end_card = render_end_card(quality)
    record = work_dir(quality) / f"{out.stem}.video.json"
    # The parts by their own records' keys (each covers its inputs), rather than hashing every video.
    parts = [r.chapter.work_dir(quality) / f"{r.chapter.id}.clip.json" for r, _ in clips]
    parts.append(work_dir(quality) / "end_card.render.json")
    key = stage_key(code=[Path(__file__)], parts=[p.read_text() if p.exists() else "" for p in parts],
                    out=str(out), quality=quality)
    if read_record(record, key, outputs=[out, out.with_suffix(".srt"), out.with_suffix(".vtt")]):
        print(f"[video] {shown(out)}: up to date")
        return out
    cues, chapters, t = [], [], 0.0
    for (rendered, _), av in zip(clips, avs):
        length = duration(av)
        cues += subtitle_cues(rendered.timeline, rendered.segment_starts, offset=t, until=t + length)
        chapters.append((t, t + length, f"{rendered.chapter.number:02d} {rendered.timeline['title']}"))
        t += length
    chapters.append((t, t + duration(end_card), "Credits"))
    with scratch_file(work_dir(quality) / f"{out.stem}.av.mp4") as joined:
        concat(avs + [end_card], joined)
        # Each chapter is at the norm already; the whole is measured, and corrected only if it drifted.
        whole = ebur128(joined)
        if abs(whole.integrated - TARGET_LUFS) > TOLERANCE_LU or whole.true_peak > MAX_TRUE_PEAK:
            refilter_audio(joined, normalising_filter(joined), joined)
            whole = ebur128(joined)
        print(f"[audio] {whole.integrated:.1f} LUFS integrated, true peak {whole.true_peak:.1f} dBTP")
        publish(joined, out, "From noise to image: a diffusion journey", cues, chapters,
                work_dir(quality) / f"{out.stem}.ffmetadata")
    write_record(record, key)
    return out


def publish(av: Path, out: Path, title: str, cues: list, chapters: list[tuple[float, float, str]],
            meta: Path) -> None:
    """The video (soft subtitles, chapter markers) and its .srt, .vtt and .chapters.vtt, as one set: all
    written to temp names, then renamed, the video first (see journey_base.files.published_together)."""
    write_ffmetadata(meta, title, chapters)
    sidecars = [out.with_suffix(".srt"), out.with_suffix(".vtt"), out.with_suffix(".chapters.vtt")]
    with published_together([out, *sidecars]) as (video, srt, vtt, chapter_track):
        srt.write_text(to_srt(cues))
        vtt.write_text(to_vtt(cues))
        chapter_track.write_text(chapters_vtt(chapters))
        add_subtitles_and_chapters(av, srt, meta, video)
