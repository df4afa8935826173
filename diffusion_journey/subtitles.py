"""Subtitles from the same segment timings the audio is placed by: one cue per narrated sentence."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

SUBTITLE_LINE = 60  # characters: most sentences fit on two lines


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def sentence_cues(timeline: dict, segment_starts: list[float], offset: float = 0.0) -> list[Cue]:
    """Each sentence spans from its first clip's start to its last clip's end (clips may cross cue marks)."""
    spans: dict[int, list[float]] = {}
    for seg, start in zip(timeline["segments"], segment_starts, strict=True):
        for clip in seg["clips"]:
            a = offset + start + clip["offset"]
            b = a + clip["duration"]
            lo_hi = spans.setdefault(clip["sentence"], [a, b])
            lo_hi[0], lo_hi[1] = min(lo_hi[0], a), max(lo_hi[1], b)
    return [Cue(spans[i][0], spans[i][1], text) for i, text in enumerate(timeline["sentences"])]


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, width=SUBTITLE_LINE)) or text


def to_srt(cues: list[Cue]) -> str:
    blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_wrap(c.text)}\n"
              for i, c in enumerate(cues, start=1)]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_wrap(c.text)}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
