"""Subtitles to the usual standard, timed by the words of the voiced timeline.

Each chapter's words are cut into cues at clause and phrase boundaries (punctuation first, then before a
conjunction or preposition), every cue at most two lines of 42 characters, lasting 1-7 s and read at no
more than 17 characters per second where the speech allows (never above 20): a cue stays up into the
silence after its words, never over the next cue. Two-line cues are broken where the lines balance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import srt

MAX_LINE = 42  # characters per line
MAX_LINES = 2
MIN_SECONDS, MAX_SECONDS = 1.0, 7.0
TARGET_CPS, MAX_CPS = 17.0, 20.0  # characters per second (spaces count; a line break counts as one)
GAP = 0.04  # seconds left blank between two cues, so players show them as separate
CLOSE_GAP = 0.5  # a shorter blank than this is closed (less flicker)
LONG_PAUSE = 1.0  # a cue never bridges a silence this long inside it

CONJUNCTIONS = {"and", "but", "or", "nor", "so", "yet", "because", "which", "that", "while", "when", "where",
                "whereas", "if", "unless", "than", "then", "until", "since", "although", "though", "who",
                "whose", "whom", "how", "what", "why", "as", "like"}
PREPOSITIONS = {"of", "in", "on", "at", "to", "for", "with", "from", "by", "into", "onto", "through", "over",
                "under", "about", "after", "before", "between", "without", "within", "across", "along",
                "against", "toward", "towards", "per", "via", "around", "behind", "beyond", "during"}
# Words a cue or a line should not end on: they belong with what follows.
CLINGING = {"a", "an", "the", "its", "their", "our", "your", "my", "his", "her", "this", "these", "those",
            "every", "each", "no", "one", "two"} | PREPOSITIONS | CONJUNCTIONS


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str  # lines joined by "\n"

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def cps(self) -> float:
        return len(self.text) / max(self.end - self.start, 1e-6)


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    sentence: int


def rule_breaks(cue: Cue, max_cps: float = TARGET_CPS) -> list[str]:
    """The rules of the standard this cue breaks: 'line_length', 'lines', 'duration', 'cps'."""
    broken = []
    if any(len(line) > MAX_LINE for line in cue.lines):
        broken.append("line_length")
    if len(cue.lines) > MAX_LINES:
        broken.append("lines")
    if not MIN_SECONDS - 1e-3 <= cue.end - cue.start <= MAX_SECONDS + 1e-3:
        broken.append("duration")
    if cue.cps > max_cps + 0.05:
        broken.append("cps")
    return broken


# --- words and their times -------------------------------------------------------------------------------
def clip_words(clip: dict) -> list[tuple[str, float, float]]:
    """The clip's words with times from its start, as the voice stage wrote them (the engine's own timings, or
    its estimate for an engine without them: diffusion_journey.voices.words)."""
    return [(str(w), float(a), float(b)) for w, a, b in clip["words"]]


def timed_words(timeline: dict, segment_starts: list[float], offset: float = 0.0) -> list[Word]:
    """Every word of the chapter at its time in the video (clips move with the cue the scene reached)."""
    words = []
    for seg, start in zip(timeline["segments"], segment_starts, strict=True):
        for clip in seg["clips"]:
            at = offset + start + clip["offset"]
            words += [Word(w, at + a, at + b, clip["sentence"]) for w, a, b in clip_words(clip)]
    return words


# --- where to cut -------------------------------------------------------------------------------------------
def _bare(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word).lower()


def _boundary_cost(before: str, after: str) -> float:
    """How badly a cut between these two words reads: low after punctuation, then before a conjunction,
    then before a preposition; never leave an article or preposition hanging."""
    if re.search(r"[.!?][\"')\]]*$", before):
        cost = 0.0
    elif re.search(r"[;:\u2014\u2013]$", before) or after in ("\u2014", "\u2013", "-"):
        cost = 1.0
    elif before.endswith(","):
        cost = 2.0
    elif before.endswith(")") or after.startswith("("):
        cost = 4.0
    elif _bare(after) in CONJUNCTIONS:
        cost = 10.0
    elif _bare(after) in PREPOSITIONS:
        cost = 12.0
    else:
        cost = 30.0
    if _bare(before) in CLINGING and not re.search(r"\W$", before):
        cost += 20.0
    return cost


ORPHAN = 12  # characters: a shorter line beside a long one is an orphan


def wrap(text: str) -> tuple[str, float]:
    """One line when it fits, else the two-line break with the most even lines at a good place.
    Returns (lines joined by newline, cost); cost is inf when the text cannot fit two lines."""
    if len(text) <= MAX_LINE:
        return text, 0.0
    words = text.split(" ")
    best, best_cost = None, float("inf")
    for k in range(1, len(words)):
        top, bottom = " ".join(words[:k]), " ".join(words[k:])
        if len(top) > MAX_LINE or len(bottom) > MAX_LINE:
            continue
        cost = abs(len(top) - len(bottom)) / 4 + _boundary_cost(words[k - 1], words[k]) / 2
        if min(len(top), len(bottom)) < ORPHAN:  # a word or two alone on a line reads as a stray
            cost += 10.0
        if cost < best_cost:
            best, best_cost = f"{top}\n{bottom}", cost
    if best is None:
        return text, float("inf")
    return best, best_cost


def _timing(words: list[Word], i: int, j: int, until: float) -> tuple[float, float]:
    """Cue i..j-1: from its first word to long enough to read (1 s, 17 cps), into silence only."""
    start, spoken_end = words[i].start, words[j - 1].end
    chars = len(" ".join(w.text for w in words[i:j]))
    limit = (words[j].start - GAP) if j < len(words) else until
    limit = min(limit, start + MAX_SECONDS)
    end = min(max(spoken_end, start + MIN_SECONDS, start + chars / TARGET_CPS), limit)
    if limit - end < CLOSE_GAP and j < len(words):
        end = limit
    return start, max(end, spoken_end)


def _cue_cost(words: list[Word], i: int, j: int, until: float) -> float:
    text = " ".join(w.text for w in words[i:j])
    _, wrap_cost = wrap(text)
    if wrap_cost == float("inf") and j - i > 1:
        return float("inf")
    start, end = _timing(words, i, j, until)
    seconds = end - start
    cps = len(text) / max(seconds, 1e-6)
    cost = 2.0 + min(wrap_cost, 50.0)  # a constant per cue: fewer, fuller cues
    if cps > MAX_CPS:
        cost += 1000 + 100 * (cps - MAX_CPS)
    elif cps > TARGET_CPS:
        cost += 25 * (cps - TARGET_CPS)
    if seconds < MIN_SECONDS:
        cost += 200 * (MIN_SECONDS - seconds)
    if seconds > MAX_SECONDS:
        cost += 1000 + 100 * (seconds - MAX_SECONDS)
    if words[i].sentence != words[j - 1].sentence:
        # Short sentences may share a cue, whole; a cue never holds the end of one and the start of the next.
        starts_whole = i == 0 or words[i - 1].sentence != words[i].sentence
        ends_whole = j == len(words) or words[j].sentence != words[j - 1].sentence
        if not (starts_whole and ends_whole):
            return float("inf")
        cost += 8.0 * (words[j - 1].sentence - words[i].sentence)  # a cue per sentence reads better
    for a, b in zip(words[i:j - 1], words[i + 1:j]):
        if b.start - a.end > LONG_PAUSE:
            cost += 500.0  # text shown long before it is said
    if j < len(words) and words[j].sentence == words[j - 1].sentence:
        cost += _boundary_cost(words[j - 1].text, words[j].text)
        if len(text) < 16:
            cost += 6.0  # a scrap of a sentence on its own
    return cost


def make_cues(words: list[Word], until: float) -> list[Cue]:
    """Cut the words into cues with the least total cost (dynamic programming over the cut points)."""
    n = len(words)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if len(" ".join(w.text for w in words[i:j])) > MAX_LINE * MAX_LINES and j - i > 1:
                break
            cost = best[i] + _cue_cost(words, i, j, until)
            if cost < best[j]:
                best[j], cut[j] = cost, i
    spans, j = [], n
    while j > 0:
        spans.append((cut[j], j))
        j = cut[j]
    cues = []
    for i, j in reversed(spans):
        start, end = _timing(words, i, j, until)
        cues.append(Cue(round(start, 3), round(end, 3), wrap(" ".join(w.text for w in words[i:j]))[0]))
    return cues


def subtitle_cues(timeline: dict, segment_starts: list[float], offset: float = 0.0,
                  until: float | None = None) -> list[Cue]:
    """The chapter's cues at their times in the video; ``until`` is where the chapter ends (no cue runs
    past it)."""
    words = timed_words(timeline, segment_starts, offset)
    if not words:
        return []
    return make_cues(words, until if until is not None else words[-1].end + MAX_SECONDS)


# --- files ---------------------------------------------------------------------------------------------------
# SRT is composed and parsed by the `srt` library. WebVTT cues differ only in the header, '.' before the
# milliseconds and an optional cue number, so they are written from the same timestamps.
def _subtitles(spans: list[tuple[float, float, str]]) -> list[srt.Subtitle]:
    return [srt.Subtitle(i, _delta(a), _delta(b), text) for i, (a, b, text) in enumerate(spans, start=1)]


def _delta(seconds: float) -> timedelta:
    """The time in whole milliseconds, rounded (a negative time is 0): what the files hold."""
    return timedelta(milliseconds=round(max(0.0, seconds) * 1000))


def _vtt_stamp(delta: timedelta) -> str:
    return srt.timedelta_to_srt_timestamp(delta).replace(",", ".")


def _vtt(subtitles: list[srt.Subtitle], numbered: bool) -> str:
    blocks = [(f"{s.index}\n" if numbered else "")
              + f"{_vtt_stamp(s.start)} --> {_vtt_stamp(s.end)}\n{s.content}\n" for s in subtitles]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_srt(cues: list[Cue]) -> str:
    # reindex=False: cues keep their order and numbers (srt would drop zero-length ones). srt ends every block
    # with a blank line; the files never had one after the last block, and stay byte-identical.
    text = srt.compose(_subtitles([(c.start, c.end, c.text) for c in cues]), reindex=False)
    return text.removesuffix("\n")


def to_vtt(cues: list[Cue]) -> str:
    return _vtt(_subtitles([(c.start, c.end, c.text) for c in cues]), numbered=False)


def chapters_vtt(chapters: list[tuple[float, float, str]]) -> str:
    """A WebVTT chapters track (web players read chapters from their own track, not from the mp4)."""
    return _vtt(_subtitles(chapters), numbered=True)


def parse_srt(text: str) -> list[Cue]:
    """Cues of an .srt (or the cue blocks of a .vtt). Lenient, as players are: what is not a cue is skipped."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if text.startswith("WEBVTT"):
        text = text.partition("\n\n")[2]  # the header block
    # Block by block: across blocks srt takes a cue's last line that is a bare number ("256") for the next
    # cue's index. A cue never holds a blank line (srt.compose removes them).
    return [Cue(_seconds(s.start), _seconds(s.end), s.content.strip())
            for block in re.split(r"\n\s*\n", text.strip()) for s in srt.parse(block, ignore_errors=True)]


def _seconds(delta: timedelta) -> float:
    # whole seconds + milliseconds / 1000, so a time reads back as the same float it always did
    return delta.days * 86400 + delta.seconds + delta.microseconds // 1000 / 1000
