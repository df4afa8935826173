"""The narration script format: parse, fill in figures from the data, split into voiced clips.

A script is plain text (one file per chapter in ``narration/``)::

    @title How many possible images?
    # A line starting with '#' is a comment for editors; it is never spoken.

    A picture of {possible_images.width} by {possible_images.height} pixels...
    [[formula]] Each pixel has three colour channels.

- ``@title TEXT``       the chapter's title (title card, chapter marker); once, before any text.
- ``{group.name}``      a figure from the chapter's data (``build/data/<chapter>/facts.json``);
                        never type a number the data can give.
- ``[[cue]]``           a cue mark: the scene's beat of this name starts when the voice reaches this point.
- ``<mark>``            a word mark inside a beat's speech, never spoken nor subtitled: the beat's
                        ``b.at("<mark>")`` starts what follows when the voice reaches the next word.
- ``@claim COND`` / ``@or COND`` / ``@otherwise`` / ``@end``  a guarded claim: the first wording whose
                        condition the data makes true is spoken (see diffusion_journey/claims.py).
- A blank line ends a paragraph (a longer pause). Sentences end with ``.``, ``!`` or ``?``; each is voiced
  as one clip, or one per stretch between its cue marks. Subtitles are cut from the voiced words, not by
  sentence (diffusion_journey/subtitles.py: a long sentence takes several cues, short ones may share one).

Every mistake raises :class:`NarrationError`, whose message starts with ``file:line:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from journey_base.facts import lookup_fact
from journey_base.files import shown

from .claims import Alternative, ClaimBlock, ClaimSyntaxError, Condition, Decision, choose

CUE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
PLACEHOLDER_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+\Z")
DIRECTIVES = ("title", "claim", "or", "otherwise", "end")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and then whitespace.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


class NarrationError(ValueError):
    """A mistake in a narration script, located at ``path:line``."""

    def __init__(self, path: str | Path, line: int, message: str, column: int | None = None):
        self.path, self.line, self.column, self.message = str(path), line, column, message
        super().__init__(f"{path}:{line}:{'' if column is None else f'{column}:'} {message}")


@dataclass(frozen=True)
class Text:
    text: str
    line: int


@dataclass(frozen=True)
class Placeholder:
    name: str
    line: int


@dataclass(frozen=True)
class Cue:
    name: str
    line: int


@dataclass(frozen=True)
class Mark:
    name: str
    line: int


@dataclass(frozen=True)
class ParagraphBreak:
    line: int


Token = Text | Placeholder | Cue | Mark | ParagraphBreak | ClaimBlock

# The inline marks: (opens, closes, valid name, token, what it is called, message for a bad name).
MARKS = (
    ("[[", "]]", CUE_NAME, Cue, "cue mark", "bad cue name [[{name}]]: use lowercase letters, digits and '_'"),
    ("<", ">", CUE_NAME, Mark, "word mark", "bad word mark <{name}>: use lowercase letters, digits and '_'"),
    ("{", "}", PLACEHOLDER_NAME, Placeholder, "placeholder",
     "bad placeholder {{{name}}}: expected {{group.name}} from the chapter's data"),
)


@dataclass
class Script:
    path: str
    title: str
    tokens: list[Token] = field(default_factory=list)

    @property
    def cues(self) -> list[Cue]:
        return [t for t in self.tokens if isinstance(t, Cue)]

    @property
    def marks(self) -> list[Mark]:
        inside = [t for b in self.claims for alt in b.alternatives for t in alt.tokens]
        return [t for t in self.tokens + inside if isinstance(t, Mark)]

    @property
    def placeholders(self) -> list[Placeholder]:
        inside = [t for b in self.claims for alt in b.alternatives for t in alt.tokens]
        return [t for t in self.tokens + inside if isinstance(t, Placeholder)]

    @property
    def claims(self) -> list[ClaimBlock]:
        return [t for t in self.tokens if isinstance(t, ClaimBlock)]


@dataclass(frozen=True)
class Clip:
    """One stretch of speech voiced as a unit: a sentence, or the part of it between cue marks."""

    text: str
    sentence: int  # index into Plan.sentences
    pause_after: str  # "sentence" | "paragraph" | "mid_sentence_cue" | "chapter_end"
    line: int = 0  # the script line the clip starts on (errors and warnings name it)
    marks: tuple[tuple[str, int], ...] = ()  # (word mark, index of the word it stands before)


@dataclass
class Segment:
    """The speech between two cue marks. Segment 0 starts with the chapter; segment k at cue k."""

    cue: str | None
    clips: list[Clip] = field(default_factory=list)


@dataclass
class Plan:
    title: str
    segments: list[Segment]
    sentences: list[str]
    claims: list[Decision] = field(default_factory=list)  # which wording the data chose, claim by claim
    path: str = "<narration>"  # the script file, as errors name it

    def sentence_lines(self) -> list[int]:
        """The line each sentence starts on."""
        lines: dict[int, int] = {}
        for seg in self.segments:
            for clip in seg.clips:
                lines.setdefault(clip.sentence, clip.line)
        return [lines[i] for i in range(len(self.sentences))]


def parse_file(path: str | Path) -> Script:
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8")) + 1  # in characters, as editors count
        raise NarrationError(shown(path), data.count(b"\n", 0, exc.start) + 1,
                             f"not UTF-8 text: byte 0x{data[exc.start]:02x} ({exc.reason}); save the file as UTF-8",
                             column=column) from None
    return parse(text, shown(path))


def parse(source: str, path: str | Path = "<narration>") -> Script:
    """Parse a script. Raises NarrationError (never anything else) on a malformed one."""
    title: str | None = None
    tokens: list[Token] = []
    seen_cues: dict[str, int] = {}
    seen_marks: dict[str, tuple[int, tuple | None]] = {}
    in_paragraph = False
    claim: ClaimBlock | None = None  # the guarded claim being read, if any
    target = tokens  # where the next tokens go: the script, or the current claim alternative

    for line_no, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if in_paragraph:
                target.append(ParagraphBreak(line_no))
                in_paragraph = False
            continue
        if line.startswith("#"):
            continue
        if line.startswith("@"):
            name, _, value = line[1:].partition(" ")
            if name not in DIRECTIVES:
                raise NarrationError(path, line_no, f"unknown directive '@{name}' (known: "
                                                    f"{', '.join('@' + d for d in DIRECTIVES)})")
            if name != "title":
                claim, target = _claim_directive(name, value, claim, tokens, line_no, path)
                continue
            if tokens or title is not None:
                raise NarrationError(path, line_no, "@title must come once, before the first sentence")
            if not value.strip():
                raise NarrationError(path, line_no, "@title needs a title after it")
            title = value.strip()
            continue
        for token in _tokenize_line(line, line_no, path):
            if isinstance(token, Cue):
                if claim is not None:
                    raise NarrationError(path, line_no, f"cue [[{token.name}]] inside a claim: put it before "
                                                        f"'@claim' (line {claim.line}) or after its '@end'")
                if token.name in seen_cues:
                    raise NarrationError(
                        path, line_no, f"cue [[{token.name}]] is used twice (first on line {seen_cues[token.name]})"
                    )
                seen_cues[token.name] = line_no
            if isinstance(token, Mark):
                # once per chapter, but each wording of a claim may place it (only one is spoken)
                scope = None if claim is None else (claim.line, len(claim.alternatives))
                first, other = seen_marks.get(token.name, (None, None))
                if first and not (scope and other and scope[0] == other[0] and scope != other):
                    raise NarrationError(path, line_no, f"word mark <{token.name}> is used twice (first on "
                                                        f"line {first})")
                seen_marks[token.name] = (line_no, scope)
            target.append(token)
        target.append(Text(" ", line_no))  # a line break inside a paragraph is a space
        in_paragraph = True

    if claim is not None:
        raise NarrationError(path, claim.line, "this claim is never closed: end it with a line '@end'")
    if title is None:
        raise NarrationError(path, 1, "missing '@title ...' line at the top")
    if not any(isinstance(t, Text) and t.text.strip() for t in tokens) and not any(
        isinstance(t, (Placeholder, ClaimBlock)) for t in tokens
    ):
        raise NarrationError(path, 1, "the script has no text to speak")
    return Script(str(path), title, tokens)


def _claim_directive(name: str, value: str, claim: ClaimBlock | None, tokens: list, line_no: int, path):
    """Read @claim / @or / @otherwise / @end; returns (the open claim or None, where tokens go next)."""
    if name == "claim" and claim is not None:
        raise NarrationError(path, line_no, f"@claim inside the claim of line {claim.line}: close that one with '@end'")
    if name != "claim" and claim is None:
        raise NarrationError(path, line_no, f"@{name} without a '@claim' before it")
    if name in ("or", "otherwise", "end") and claim.alternatives[-1].condition is None and name != "end":
        raise NarrationError(path, line_no, f"@{name} after '@otherwise': '@otherwise' is the last wording")
    if name == "end":
        if not any(t for alt in claim.alternatives for t in alt.tokens):
            raise NarrationError(path, line_no, "this claim has no wording to speak")
        return None, tokens
    condition = None
    if name in ("claim", "or"):
        try:
            condition = Condition.parse(value)
        except ClaimSyntaxError as exc:
            raise NarrationError(path, line_no, str(exc)) from None
    elif value.strip():
        raise NarrationError(path, line_no, "@otherwise takes no condition")
    if name == "claim":
        claim = ClaimBlock(line_no)
        tokens.append(claim)
    claim.alternatives.append(Alternative(condition, line_no))
    return claim, claim.alternatives[-1].tokens


def _choose_claims(script: Script, facts: Mapping) -> tuple[list[Token], list[Decision]]:
    """The script's tokens with each claim replaced by the wording its data makes true."""
    chosen, decisions = [], []
    for token in script.tokens:
        if not isinstance(token, ClaimBlock):
            chosen.append(token)
            continue
        for alt in token.alternatives:
            for name in alt.condition.facts_named() if alt.condition else []:
                try:
                    lookup_fact(facts, name)
                except KeyError:
                    known = ", ".join(sorted(_flatten(facts))) or "none"
                    raise NarrationError(script.path, alt.line, f"the claim names {name}, which the data does not "
                                                                f"have (the data has: {known})") from None
        alt, decision = choose(token, facts, lookup_fact)
        if alt is None:
            measured = ", ".join(f"{k} = {format_fact(v)}" for k, v in decision.values.items())
            raise NarrationError(script.path, token.line, f"the claim '{decision.condition}' is not true of the "
                                                          f"data ({measured}) and no other wording is: fix the "
                                                          f"claim or add an '@otherwise' wording")
        chosen += alt.tokens
        decisions.append(decision)
    return chosen, decisions


def _tokenize_line(line: str, line_no: int, path: str | Path) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    buf: list[str] = []

    def flush():
        if buf:
            tokens.append(Text("".join(buf), line_no))
            buf.clear()

    while i < len(line):
        mark = next((m for m in MARKS if line.startswith(m[0], i)), None)
        if mark:
            opener, closer, pattern, kind, what, bad_name = mark
            end = line.find(closer, i + len(opener))
            if end < 0:
                raise NarrationError(path, line_no, f"unclosed {what} '{line[i:i + 20]}' (expected '{closer}')")
            name = line[i + len(opener): end].strip()
            if not pattern.match(name):
                raise NarrationError(path, line_no, bad_name.format(name=name))
            flush()
            tokens.append(kind(name, line_no))
            i = end + len(closer)
        elif closer := next((m[1] for m in MARKS if line.startswith(m[1], i)), None):
            opener = next(m[0] for m in MARKS if m[1] == closer)
            raise NarrationError(path, line_no, f"'{closer}' without a matching '{opener}'")
        else:
            buf.append(line[i])
            i += 1
    flush()
    return tokens


def format_fact(value) -> str:
    """How a figure reads in speech and subtitles: 29592 -> '29,592', 0.125 -> '0.125'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:,.3g}"
    return str(value)


def plan(script: Script, facts: Mapping, known_cues: list[str] | tuple[str, ...] | None = None) -> Plan:
    """Fill in the figures, split into sentences and cue segments.

    ``known_cues`` are the cues the chapter's scene waits on: a cue the script uses that the scene
    does not know, or one the scene needs that the script lacks, is an error.
    """
    tokens, decisions = _choose_claims(script, facts)
    _check_placeholders(script, facts)
    if known_cues is not None:
        _check_cues(script, known_cues)
    segments, sentences = _Splitter(script.path).split(_fill_in(tokens, facts))
    return Plan(script.title, segments, sentences, decisions, path=script.path)


def _check_placeholders(script: Script, facts: Mapping) -> None:
    """Every placeholder names a figure of the data, those of the wordings the claims dropped too (data that
    changes may choose them next time)."""
    for token in script.placeholders:
        try:
            lookup_fact(facts, token.name)
        except KeyError:
            known = ", ".join(sorted(_flatten(facts))) or "none"
            raise NarrationError(
                script.path, token.line, f"unknown placeholder {{{token.name}}} (the data has: {known})"
            ) from None


def _check_cues(script: Script, known_cues: list[str] | tuple[str, ...]) -> None:
    """The script marks exactly the cues the scene waits on, in the scene's order."""
    for cue in script.cues:
        if cue.name not in known_cues:
            raise NarrationError(
                script.path, cue.line,
                f"unknown cue [[{cue.name}]]: the scene waits on {', '.join(known_cues) or 'no cues'}",
            )
    used = {c.name for c in script.cues}
    missing = [c for c in known_cues if c not in used]
    if missing:
        last = script.tokens[-1].line if script.tokens else 1
        raise NarrationError(
            script.path, last, f"the scene waits on cue(s) {', '.join(missing)} that the script never marks"
        )
    for cue, expected in zip(script.cues, known_cues):
        if cue.name != expected:
            raise NarrationError(
                script.path, cue.line,
                f"cue [[{cue.name}]] is out of order: the scene waits on {', '.join(known_cues)} in that order",
            )


def _fill_in(tokens: list[Token], facts: Mapping) -> list[_Run | Cue | ParagraphBreak]:
    """Placeholders replaced by their figures (all checked to exist), and neighbouring text merged into runs so
    that a sentence end followed by a line break is seen as one; a word mark keeps its place in the text."""
    stream: list[_Run | Cue | ParagraphBreak] = []
    for token in tokens:
        if isinstance(token, Placeholder):
            token = Text(format_fact(lookup_fact(facts, token.name)), token.line)
        if isinstance(token, (Text, Mark)):
            if not (stream and isinstance(stream[-1], _Run)):
                stream.append(_Run())
            stream[-1].add(token)
        else:
            stream.append(token)
    return stream


class _Splitter:
    """Cuts the filled-in stream into clips (a sentence, or its part between cue marks), sentences and the
    segments between cue marks."""

    def __init__(self, path: str):
        self.path = path
        self.segments = [Segment(cue=None)]
        self.sentences: list[str] = []
        self.current: list[str] = []  # text of the sentence being built, clip by clip
        self.clip: list[str] = []  # text of the clip being built
        self.clip_line = 0  # where the clip being built starts
        self.clip_marks: list[tuple[Mark, int]] = []  # word marks met since the last clip, at their word's index

    def split(self, stream: list[_Run | Cue | ParagraphBreak]) -> tuple[list[Segment], list[str]]:
        for token in stream:
            if isinstance(token, Cue):
                self.cue(token)
            elif isinstance(token, ParagraphBreak):
                self.paragraph_break()
            else:
                self.text(token)
        self.end_sentence("chapter_end")
        self.no_words_after_marks("the end of the chapter")
        _set_last_pause(self.segments, "chapter_end")
        return self.segments, self.sentences

    def cue(self, token: Cue) -> None:
        if _ends_sentence(self.clip_text()):
            self.end_sentence("sentence")
        else:
            self.end_clip("mid_sentence_cue")
        self.no_words_after_marks(f"cue [[{token.name}]]")
        self.segments.append(Segment(cue=token.name))

    def paragraph_break(self) -> None:
        if self.clip_text():
            self.end_sentence("paragraph")
        else:  # the sentence already ended at the line's full stop: lengthen its pause
            self.clip.clear()
            _set_last_pause(self.segments, "paragraph")

    def text(self, run: _Run) -> None:
        """Split the text at sentence ends; the remainder stays open for the next token."""
        at = marks_at = 0
        for end in SENTENCE_END.finditer(run.text):
            # a mark right after the full stop belongs to the next sentence's first word
            self.add_text(run, at, end.start(), (marks_at, end.start() - 1))
            self.end_sentence("sentence")
            at, marks_at = end.end(), end.start()
        self.add_text(run, at, len(run.text), (marks_at, len(run.text)))

    def add_text(self, run: _Run, start: int, end: int, marks: tuple[int, int]) -> None:
        """run.text[start:end] joins the clip, and the run's word marks at offsets within ``marks`` (inclusive)."""
        piece = run.text[start:end]
        for offset, mark in run.marks:
            if marks[0] <= offset <= marks[1]:
                before = _squash("".join(self.clip) + piece[:max(0, offset - start)])
                self.clip_marks.append((mark, len(before.split())))
        if piece.strip() and not self.clip_text():
            self.clip_line = run.line_at(start + len(piece) - len(piece.lstrip()))
        self.clip.append(piece)

    def clip_text(self) -> str:
        return _squash("".join(self.clip))

    def end_clip(self, pause: str) -> None:
        text = self.clip_text()
        self.clip.clear()
        if text:
            marks = tuple((m.name, i) for m, i in self.clip_marks)
            self.segments[-1].clips.append(Clip(text, len(self.sentences), pause, self.clip_line, marks))
            self.current.append(text)
            self.clip_marks.clear()

    def end_sentence(self, pause: str) -> None:
        self.end_clip(pause)
        if self.current:
            self.sentences.append(" ".join(self.current))
            self.current.clear()

    def no_words_after_marks(self, before: str) -> None:
        if self.clip_marks:
            mark = self.clip_marks[0][0]
            raise NarrationError(self.path, mark.line, f"word mark <{mark.name}> has no words after it "
                                                       f"before {before}: put it before the word it marks")


@dataclass
class _Run:
    """Neighbouring text tokens joined into one string, remembering the line each part came from."""

    text: str = ""
    starts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, line)
    marks: list[tuple[int, Mark]] = field(default_factory=list)  # (offset in text, word mark)

    def add(self, token: Text | Mark) -> None:
        if isinstance(token, Mark):
            self.marks.append((len(self.text), token))
            return
        self.starts.append((len(self.text), token.line))
        self.text += token.text

    def line_at(self, offset: int) -> int:
        return next(line for start, line in reversed(self.starts) if start <= offset)


def check_sentence_lengths(the_plan: Plan, max_chars: int, max_words: int) -> None:
    """Every sentence within the limits (journey.toml [narration]), checked before anything is voiced: a
    very long sentence reads as an unreadable subtitle and can exceed what the voice takes in one go."""
    for text, line in zip(the_plan.sentences, the_plan.sentence_lines(), strict=True):
        if len(text) > max_chars:
            raise NarrationError(the_plan.path, line, f"sentence too long ({len(text)} chars, limit {max_chars})")
        if len(text.split()) > max_words:
            raise NarrationError(the_plan.path, line,
                                 f"sentence too long ({len(text.split())} words, limit {max_words})")


def _set_last_pause(segments: list[Segment], pause: str) -> None:
    """Give the latest clip (wherever it sits among the segments) a different pause after it."""
    for seg in reversed(segments):
        if seg.clips:
            last = seg.clips[-1]
            seg.clips[-1] = replace(last, pause_after=pause)
            return


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.!?][\"')\]]*\Z", text))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _flatten(facts: Mapping, prefix: str = "") -> list[str]:
    names = []
    for key, value in facts.items():
        if isinstance(value, Mapping):
            names += _flatten(value, f"{prefix}{key}.")
        else:
            names.append(f"{prefix}{key}")
    return names
