"""``make review``: what a producer checks before publishing, measured on the built video itself.

Per chapter (from the mp4's chapter markers) and overall: subtitle cues breaking each rule of the standard,
words per minute over the time the voice speaks, static holds (>= 4 s without a pixel changing), integrated
loudness and true peak, the voice's DNSMOS (when the optional ``speechmos`` package is installed) and what
the layout check recorded while rendering.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from journey_base.chapters import work_dir
from journey_base.files import atomic_write_json, scratch_file, shown

from .loudness import MAX_TRUE_PEAK, TARGET_LUFS, ebur128
from .media import duration, ffmpeg_log, probe
from .subtitles import MAX_CPS, Cue, parse_srt, rule_breaks
from .tools import require_tool

HOLD_SECONDS = 4.0
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


def layout_record(part: Part, quality: str) -> dict | None:
    """What the layout check recorded for this chapter's render (found by the chapter number in its title)."""
    number = re.match(r"(\d+)\s", part.title)
    if not number:
        return None
    found = sorted(work_dir(quality).glob(f"{int(number[1]):02d}_*.layout.json"))
    if not found:
        return None
    record = json.loads(found[0].read_text())
    return {"checked": record.get("checked"), "problems": len(record.get("problems", [])),
            "still_holds": record.get("still_holds", [])}


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


def _section(part: Part, cues, speech, holds, loud, mos, layout) -> dict:
    words = sum(len(c.text.split()) for c in cues)
    speaking = _overlap(speech, part)
    inside = [(a, b) for a, b in holds if a < part.end and b > part.start]
    longest = max((min(b, part.end) - max(a, part.start) for a, b in inside), default=0.0)
    return {"title": part.title, "start": round(part.start, 3), "end": round(part.end, 3),
            "subtitles": _cue_report(cues),
            "words": words, "speech_seconds": round(speaking, 2),
            "wpm": round(60 * words / speaking, 1) if speaking > 0 else None,
            "static_holds": [{"start": round(a, 2), "seconds": round(b - a, 2)} for a, b in inside],
            "longest_hold_seconds": round(longest, 2),
            "loudness_lufs": _finite(loud.integrated), "true_peak_dbtp": _finite(loud.true_peak),
            "dnsmos_overall": None if mos is None else round(mos, 2), "layout": layout}


def review(video: Path, quality: str) -> dict:
    if not video.exists():
        raise FileNotFoundError(f"{shown(video)}: no video to review (build it with `make video`)")
    length = duration(video)
    parts = parts_of(video)
    cues, source = subtitles_of(video)
    speech, holds = speech_spans(video, length), static_holds(video, length)
    sections = []
    for part in parts:
        mine = [c for c in cues if part.start <= c.start < part.end]
        loud = ebur128(video, part.start, part.end - part.start)
        sections.append(_section(part, mine, speech, holds, loud, dnsmos(video, part, speech),
                                 layout_record(part, quality)))
    whole = Part("overall", 0.0, length)
    voiced = [s["dnsmos_overall"] for s in sections if s["dnsmos_overall"] is not None]
    overall = _section(whole, cues, speech, holds, ebur128(video), None, None)
    overall["dnsmos_overall"] = round(float(np.mean(voiced)), 2) if voiced else None
    overall["layout"] = {"problems": sum(s["layout"]["problems"] for s in sections if s["layout"])}
    return {"video": shown(video), "subtitles": source, "seconds": round(length, 2),
            "norms": {"max_line": 42, "max_lines": 2, "cue_seconds": [1, 7], "cps": [17, MAX_CPS],
                      "wpm": list(PACE_WPM), "lufs": TARGET_LUFS, "max_true_peak": MAX_TRUE_PEAK,
                      "hold_seconds": HOLD_SECONDS},
            "chapters": sections, "overall": overall}


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def table(report: dict) -> str:
    head = (f"{'chapter':34s} {'cues':>4s} {'line':>4s} {'2ln':>3s} {'dur':>3s} {'cps':>3s} {'>20':>3s} "
            f"{'wpm':>5s} {'holds':>5s} {'longest':>7s} {'LUFS':>6s} {'dBTP':>5s} {'MOS':>4s} {'layout':>6s}")
    rows = [head, "-" * len(head)]
    for s in report["chapters"] + [report["overall"]]:
        b = s["subtitles"]["broken"]
        layout = "-" if not s["layout"] else str(s["layout"]["problems"])
        rows.append(
            f"{s['title'][:34]:34s} {s['subtitles']['cues']:4d} {b['line_length']:4d} {b['lines']:3d} "
            f"{b['duration']:3d} {b['cps']:3d} {s['subtitles']['cps_over_20']:3d} "
            f"{s['wpm'] if s['wpm'] is not None else '-':>5} {len(s['static_holds']):5d} "
            f"{s['longest_hold_seconds']:6.1f}s {_num(s['loudness_lufs']):>6s} {_num(s['true_peak_dbtp']):>5s} "
            f"{s['dnsmos_overall'] if s['dnsmos_overall'] is not None else '-':>4} {layout:>6s}")
    o = report["overall"]
    rows += ["", "columns: cues breaking each rule (line > 42 chars, > 2 lines, outside 1-7 s, > 17 cps; > 20 cps), "
                 f"words per minute of narration, waits >= 1 s left out (aim {PACE_WPM[0]}-{PACE_WPM[1]}), "
                 f"holds >= {HOLD_SECONDS:.0f} s without a pixel changing, loudness (aim {TARGET_LUFS:.0f} +- 1 LUFS, "
                 f"true peak <= {MAX_TRUE_PEAK} dBTP), DNSMOS overall, layout-check problems",
             f"overall: {o['subtitles']['cues_breaking_any_rule']} of {o['subtitles']['cues']} cues break a rule; "
             f"{o['wpm']} wpm; {o['loudness_lufs']} LUFS, {o['true_peak_dbtp']} dBTP"]
    return "\n".join(rows)


def write_review(video: Path, quality: str, out: Path) -> dict:
    report = review(video, quality)
    atomic_write_json(out, report)
    return report
