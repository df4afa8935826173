"""``make review``: what a producer checks before publishing, measured on the built video itself.

Per chapter (from the mp4's chapter markers) and overall: subtitle cues breaking each rule of the standard,
words per minute over the time the voice speaks, static holds (>= 4 s without a pixel changing) and
near-still stretches (>= 4 s in which the picture barely changes: a thin line creeping, a counter ticking),
integrated loudness and true peak, the voice's DNSMOS (when the optional ``speechmos`` package is installed),
what the layout check recorded while rendering, and the sync audit: each on-screen text holding a figure or
a word the voice says, when it first showed against when the voice says it, and the figures the voice gives
that never show.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from journey_base.chapters import Chapter, work_dir
from journey_base.files import atomic_write_json, scratch_file, shown

from .loudness import MAX_TRUE_PEAK, TARGET_LUFS, ebur128
from .media import duration, ffmpeg_log, gray_frames, probe
from .subtitles import (MAX_CPS, MAX_LINE, MAX_LINES, MAX_SECONDS, MIN_SECONDS, TARGET_CPS, Cue, clip_words, parse_srt,
                        rule_breaks)
from .tools import require_tool

HOLD_SECONDS = 4.0
# Near-stillness: frames sampled 10 times a second on a 160x90 grey copy; a change under 0.15 grey levels per
# pixel on average from the previous sample is near-still. Measured on chapter 01 at 480p: a thin ring
# creeping or a counter ticking changes 0.04-0.13, a title's words fading in or a formula being written 0.2-0.4,
# a zoom 7-11, a new noise image 8.
STILL_SAMPLING = (10, 160, 90)
STILL_CHANGE = 0.15
SYNC_TOLERANCE = 1.0  # seconds between a text showing and the voice saying it, before it counts as off
NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split()) if i >= 2}
# Words too common to time a text by (the voice says them everywhere).
COMMON = set("""the and for are but not you all any can had her was one our out has his how its may new now
see two who did get let put say she too use that this with from they them then than there their what when
where which while will would could should into onto over under about after before each every only also just
like more most much many some such very here those these your yours been being have does done""".split())
# Quieter than this for this long is a wait, not narration: pauses between sentences (0.35 s) and
# paragraphs (0.8 s) count as speaking time, as in the usual words-per-minute of a narrator.
SILENCE = ("-45dB", 1.0)
RULES = ("line_length", "lines", "duration", "cps")
PACE_WPM = (150, 165)


@dataclass(frozen=True)
class Part:
    title: str
    start: float
    end: float


def parts_of(video: Path) -> list[Part]:
    info = probe(video)
    marks = [Part(c.get("tags", {}).get("title", f"chapter {i + 1}"), float(c["start_time"]), float(c["end_time"]))
             for i, c in enumerate(info.get("chapters", []))]
    return marks or [Part(video.stem, 0.0, float(info["format"]["duration"]))]


def subtitles_of(video: Path) -> tuple[list[Cue], str]:
    """The sidecar .srt when there is one, else the soft subtitles inside the mp4."""
    srt = video.with_suffix(".srt")
    if srt.exists():
        return parse_srt(srt.read_text(encoding="utf-8")), shown(srt)
    with scratch_file(video.with_name(f"{video.stem}.review.srt")) as tmp:
        ffmpeg_log(["-y", "-i", str(video), "-map", "0:s:0", "-f", "srt", str(tmp)])
        return parse_srt(tmp.read_text(encoding="utf-8")), "embedded"


def speech_spans(video: Path, length: float) -> list[tuple[float, float]]:
    """Where the voice speaks: the audio minus its pauses (ffmpeg silencedetect)."""
    log = ffmpeg_log(["-i", str(video), "-vn", "-af", f"silencedetect=noise={SILENCE[0]}:d={SILENCE[1]}",
                       "-f", "null", "-"])
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", log)] + [length] * 2
    spans, t = [], 0.0
    for a, b in zip(starts, ends):
        if a > t:
            spans.append((t, a))
        t = b
    if t < length:
        spans.append((t, length))
    return spans


def static_holds(video: Path, length: float) -> list[tuple[float, float]]:
    """Stretches of at least 4 s in which no pixel changes (freezedetect on a small copy of each frame)."""
    log = ffmpeg_log(["-i", str(video), "-an", "-sn", "-vf",
                       f"scale=160:-2,freezedetect=n=0.002:d={HOLD_SECONDS}", "-f", "null", "-"])
    starts = [float(x) for x in re.findall(r"freeze_start: ([\d.]+)", log)]
    ends = [float(x) for x in re.findall(r"freeze_end: ([\d.]+)", log)]
    ends += [length] * (len(starts) - len(ends))  # a hold that lasts to the end has no end line
    return list(zip(starts, ends))


def near_still(video: Path) -> list[tuple[float, float]]:
    """Stretches of at least 4 s in which every sampled frame differs from the one before by less than
    STILL_CHANGE grey levels per pixel on average (holds included: they do not change at all)."""
    fps, width, height = STILL_SAMPLING
    changes, last = [], None
    for block in gray_frames(video, fps, width, height):
        frames = block.astype(np.int16)
        previous = frames[:1] if last is None else last[None]
        changes.append(np.abs(np.diff(np.concatenate([previous, frames]), axis=0)).mean(axis=(1, 2)))
        last = frames[-1]
    quiet = np.concatenate(changes) < STILL_CHANGE if changes else np.zeros(0, bool)
    stretches, start = [], None
    for i, q in enumerate([*quiet, False]):  # sample i shows from i/fps; its change is from sample i-1
        if q and start is None:
            start = max(0, i - 1)
        elif not q and start is not None:
            if (i - start) / fps >= HOLD_SECONDS:
                stretches.append((start / fps, i / fps))
            start = None
    return stretches


def _overlap(spans, part: Part) -> float:
    return sum(max(0.0, min(b, part.end) - max(a, part.start)) for a, b in spans)


def dnsmos(video: Path, part: Part, speech: list[tuple[float, float]]) -> float | None:
    """DNSMOS overall (1-5) of the voice: the part's speech, pauses cut out, in 9 s windows (the model's)."""
    if importlib.util.find_spec("speechmos") is None:
        return None
    from speechmos import dnsmos as model

    exe = require_tool("ffmpeg", package="ffmpeg")
    raw = subprocess.run([exe, "-v", "error", "-ss", f"{part.start:.3f}", "-t", f"{part.end - part.start:.3f}",
                          "-i", str(video), "-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, np.float32)
    pieces = [audio[int((max(a, part.start) - part.start) * 16000):int((min(b, part.end) - part.start) * 16000)]
              for a, b in speech if b > part.start and a < part.end]
    voice = np.clip(np.concatenate(pieces) if pieces else audio[:0], -1, 1)
    window = int(model.INPUT_LENGTH * 16000)
    chunks = [voice[k:k + window] for k in range(0, len(voice) - window + 1, window)] or ([voice] if len(voice) else [])
    if not chunks:
        return None
    return float(np.mean([model.run(c, sr=16000)["ovrl_mos"] for c in chunks]))


def render_record(part: Part, quality: str) -> dict | None:
    """What the render of this chapter recorded (found by the chapter number in its title): the layout
    check's findings, when each text first showed, when the scene reached each cue."""
    number = re.match(r"(\d+)\s", part.title)
    if not number:
        return None
    found = sorted(work_dir(quality).glob(f"{int(number[1]):02d}_*.layout.json"))
    return json.loads(found[0].read_text()) if found else None


def layout_record(record: dict | None) -> dict | None:
    if record is None:
        return None
    return {"checked": record.get("checked"), "problems": len(record.get("problems", [])),
            "still_holds": record.get("still_holds", []), "late_words": record.get("late_words", [])}


def tokens(text: str) -> list[str]:
    """The figures and words of a text as the voice would say them: '29{,}592' and '29,592' -> '29592';
    'Heat' -> 'heat'; TeX commands dropped; words of one or two letters and very common ones left out."""
    plain = re.sub(r"\\[A-Za-z]+", " ", text.replace("{,}", ","))
    found = []
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?|[A-Za-z]+", plain):
        word = m.group().lower()
        if word[0].isdigit():
            found.append(word.replace(",", ""))
        elif word in NUMBER_WORDS:
            found.append(NUMBER_WORDS[word])
        elif len(word) > 2 and word not in COMMON:
            found.append(word)
    return found


def sync_audit(part: Part, record: dict | None, timeline: dict | None = None) -> dict | None:
    """Each recorded text that holds something its beat's speech (or the next beat's) says: shown at (video
    time) against the saying, nearest to that time, of its rarest such figure or word (a figure before a
    word, the first in the text on a tie); and the figures said that no text ever shows."""
    timeline_file = Chapter(record["chapter"]).timeline_file if record else None
    if not record or "texts" not in record or "segment_starts" not in record or \
            not (timeline or timeline_file.exists()):
        return None
    timeline = timeline or json.loads(timeline_file.read_text())
    beats = [seg["cue"] or "opening" for seg in timeline["segments"]]
    by_beat: list[dict[str, list[float]]] = [{} for _ in beats]
    for k, (seg, start) in enumerate(zip(timeline["segments"], record["segment_starts"], strict=True)):
        for clip in seg["clips"]:
            for word, at, _ in clip_words(clip):
                for token in tokens(word):
                    by_beat[k].setdefault(token, []).append(part.start + start + clip["offset"] + at)
    items, on_screen = [], set()
    for text in record["texts"]:
        mine = tokens(text["text"])
        on_screen.update(mine)
        k = beats.index(text["beat"]) if text.get("beat") in beats else None
        said: dict[str, list[float]] = {}  # a text belongs with what is said as it shows, or just after
        for near in by_beat[k:k + 2] if k is not None else []:
            for token, times in near.items():
                said.setdefault(token, []).extend(times)
        known = [t for t in mine if t in said]
        if not known:
            continue
        token = min(known, key=lambda t: (len(said[t]), not t[0].isdigit()))  # the first of the rarest
        shown_at = part.start + text["t"]
        voice_at = min(said[token], key=lambda t: abs(t - shown_at))
        items.append({"text": text["text"], "beat": text.get("beat"), "by": token, "shown": round(shown_at, 2),
                      "said": round(voice_at, 2), "offset": round(shown_at - voice_at, 2)})
    off = [i for i in items if abs(i["offset"]) > SYNC_TOLERANCE]
    first_said: dict[str, float] = {}
    for beat in by_beat:
        for token, times in beat.items():
            first_said[token] = min(first_said.get(token, times[0]), times[0])
    unshown = [{"figure": t, "said": round(at, 2)} for t, at in first_said.items()
               if t[0].isdigit() and t not in on_screen]
    return {"texts": len(items), "off": len(off), "worst": max(items, key=lambda i: abs(i["offset"]), default=None),
            "items": items,
            "off_by_more_than_1s": sorted(off, key=lambda i: -abs(i["offset"])),
            "figures_never_shown": sorted(unshown, key=lambda u: u["said"])}


def _cue_report(cues: list[Cue]) -> dict:
    broken = {rule: 0 for rule in RULES}
    over_max, listed = 0, []
    for c in cues:
        rules = rule_breaks(c)
        for rule in rules:
            broken[rule] += 1
        over_max += "cps" in rule_breaks(c, max_cps=MAX_CPS)
        if rules:
            listed.append({"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text, "breaks": rules,
                           "cps": round(c.cps, 1)})
    return {"cues": len(cues), "broken": broken, "cps_over_20": over_max,
            "cues_breaking_any_rule": len(listed), "breaking": listed}


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) and x > -70.0 else None  # silence: nothing to measure


def _within(spans, part: Part) -> list[tuple[float, float]]:
    return [(max(a, part.start), min(b, part.end)) for a, b in spans if a < part.end and b > part.start]


def _stillness(part: Part, holds, still) -> dict:
    length = max(part.end - part.start, 1e-6)
    mine_holds, mine_still = _within(holds, part), _within(still, part)
    longest = max(mine_still, key=lambda s: s[1] - s[0], default=None)
    return {"hold_share": round(sum(b - a for a, b in mine_holds) / length, 3),
            "near_still_share": round(sum(b - a for a, b in mine_still) / length, 3),
            "near_still": [{"start": round(a, 2), "seconds": round(b - a, 2)} for a, b in mine_still],
            "longest_near_still": None if longest is None else {"start": round(longest[0], 2),
                                                               "seconds": round(longest[1] - longest[0], 2)}}


def _section(part: Part, cues, speech, holds, still, loud, mos, layout) -> dict:
    words = sum(len(c.text.split()) for c in cues)
    speaking = _overlap(speech, part)
    inside = [(a, b) for a, b in holds if a < part.end and b > part.start]
    longest = max((min(b, part.end) - max(a, part.start) for a, b in inside), default=0.0)
    return {"title": part.title, "start": round(part.start, 3), "end": round(part.end, 3),
            "subtitles": _cue_report(cues),
            "words": words, "speech_seconds": round(speaking, 2),
            "wpm": round(60 * words / speaking, 1) if speaking > 0 else None,
            "static_holds": [{"start": round(a, 2), "seconds": round(b - a, 2)} for a, b in inside],
            "longest_hold_seconds": round(longest, 2), "stillness": _stillness(part, holds, still),
            "loudness_lufs": _finite(loud.integrated), "true_peak_dbtp": _finite(loud.true_peak),
            "dnsmos_overall": None if mos is None else round(mos, 2), "layout": layout}


def review(video: Path, quality: str) -> dict:
    if not video.exists():
        raise FileNotFoundError(f"{shown(video)}: no video to review (build it with `make video`)")
    length = duration(video)
    parts = parts_of(video)
    cues, source = subtitles_of(video)
    speech, holds, still = speech_spans(video, length), static_holds(video, length), near_still(video)
    sections = []
    for part in parts:
        mine = [c for c in cues if part.start <= c.start < part.end]
        loud = ebur128(video, part.start, part.end - part.start)
        record = render_record(part, quality)
        sections.append(_section(part, mine, speech, holds, still, loud, dnsmos(video, part, speech),
                                 layout_record(record)))
        sections[-1]["sync"] = sync_audit(part, record)
    whole = Part("overall", 0.0, length)
    voiced = [s["dnsmos_overall"] for s in sections if s["dnsmos_overall"] is not None]
    overall = _section(whole, cues, speech, holds, still, ebur128(video), None, None)
    overall["dnsmos_overall"] = round(float(np.mean(voiced)), 2) if voiced else None
    overall["layout"] = {"problems": sum(s["layout"]["problems"] for s in sections if s["layout"])}
    audited = [s["sync"] for s in sections if s["sync"]]
    overall["sync"] = {"texts": sum(a["texts"] for a in audited), "off": sum(a["off"] for a in audited),
                       "worst": max((a["worst"] for a in audited if a["worst"]), key=lambda i: abs(i["offset"]),
                                    default=None),
                       "figures_never_shown": sum(len(a["figures_never_shown"]) for a in audited)} if audited else None
    return {"video": shown(video), "subtitles": source, "seconds": round(length, 2),
            "norms": {"max_line": MAX_LINE, "max_lines": MAX_LINES, "cue_seconds": [MIN_SECONDS, MAX_SECONDS],
                      "cps": [TARGET_CPS, MAX_CPS],
                      "wpm": list(PACE_WPM), "lufs": TARGET_LUFS, "max_true_peak": MAX_TRUE_PEAK,
                      "hold_seconds": HOLD_SECONDS, "near_still_change": STILL_CHANGE,
                      "sync_tolerance_seconds": SYNC_TOLERANCE},
            "chapters": sections, "overall": overall}


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def table(report: dict) -> str:
    head = (f"{'chapter':34s} {'cues':>4s} {'line':>4s} {'2ln':>3s} {'dur':>3s} {'cps':>3s} {f'>{MAX_CPS:.0f}':>3s} "
            f"{'wpm':>5s} {'holds':>5s} {'longest':>7s} {'held':>4s} {'still':>6s} {'LUFS':>6s} {'dBTP':>5s} "
            f"{'MOS':>4s} {'layout':>6s} {'sync':>5s} {'worst':>6s} {'unshown':>7s}")
    rows = [head, "-" * len(head)]
    for s in report["chapters"] + [report["overall"]]:
        b = s["subtitles"]["broken"]
        layout = "-" if not s["layout"] else str(s["layout"]["problems"])
        still = s["stillness"]
        longest_still = still["longest_near_still"]["seconds"] if still["longest_near_still"] else 0.0
        sync = s.get("sync")
        unshown = sync["figures_never_shown"] if sync else None
        rows.append(
            f"{s['title'][:34]:34s} {s['subtitles']['cues']:4d} {b['line_length']:4d} {b['lines']:3d} "
            f"{b['duration']:3d} {b['cps']:3d} {s['subtitles']['cps_over_20']:3d} "
            f"{s['wpm'] if s['wpm'] is not None else '-':>5} {len(s['static_holds']):5d} "
            f"{s['longest_hold_seconds']:6.1f}s {100 * still['hold_share']:3.0f}% {longest_still:5.1f}s "
            f"{_num(s['loudness_lufs']):>6s} {_num(s['true_peak_dbtp']):>5s} "
            f"{s['dnsmos_overall'] if s['dnsmos_overall'] is not None else '-':>4} {layout:>6s} "
            f"{'-' if not sync else str(sync['off']) + '/' + str(sync['texts']):>5s} "
            f"{'-' if not sync or not sync['worst'] else format(sync['worst']['offset'], '+.1f') + 's':>6s} "
            f"{'-' if unshown is None else len(unshown) if isinstance(unshown, list) else unshown:>7}")
    o = report["overall"]
    rows += ["", f"columns: cues breaking each rule (line > {MAX_LINE} chars, > {MAX_LINES} lines, outside "
                 f"{MIN_SECONDS:.0f}-{MAX_SECONDS:.0f} s, > {TARGET_CPS:.0f} cps; > {MAX_CPS:.0f} cps), "
                 f"words per minute of narration, waits >= 1 s left out (aim {PACE_WPM[0]}-{PACE_WPM[1]}), "
                 f"holds >= {HOLD_SECONDS:.0f} s without a pixel changing (count, longest, share of the runtime), "
                 f"the longest near-still stretch (>= {HOLD_SECONDS:.0f} s changing < {STILL_CHANGE} grey levels "
                 f"per pixel), loudness (aim {TARGET_LUFS:.0f} +- 1 LUFS, true peak <= {MAX_TRUE_PEAK} dBTP), "
                 f"DNSMOS overall, layout-check problems, sync: texts shown more than {SYNC_TOLERANCE:.0f} s from "
                 "the voice saying them / texts audited, the worst (- early, + late), figures said but never shown",
             f"overall: {o['subtitles']['cues_breaking_any_rule']} of {o['subtitles']['cues']} cues break a rule; "
             f"{o['wpm']} wpm; {o['loudness_lufs']} LUFS, {o['true_peak_dbtp']} dBTP"]
    for s in report["chapters"]:
        sync = s.get("sync") or {}
        for item in sync.get("off_by_more_than_1s", []):
            rows.append(f"  {s['title'][:30]}: {item['text'][:48]!r} shown {item['shown']:.1f}s, said "
                        f"{item['said']:.1f}s ({item['offset']:+.1f}s)")
        if sync.get("figures_never_shown"):
            rows.append(f"  {s['title'][:30]}: said, never shown: "
                        + ", ".join(f"{u['figure']} ({u['said']:.0f}s)" for u in sync["figures_never_shown"]))
    return "\n".join(rows)


def write_review(video: Path, quality: str, out: Path) -> dict:
    report = review(video, quality)
    atomic_write_json(out, report)
    return report
