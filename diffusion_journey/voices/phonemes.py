"""Kokoro's input: espeak-ng phonemes for a clip, and which phoneme each word starts at.

espeak-ng reads a sentence as a whole (it reduces "a" to "ɐ" and runs "of the" into "ʌvðə"), so the clip is
phonemized once, in context. To know where each written word starts in that string, every word is also
phonemized on its own and the two strings are aligned (difflib, stress marks ignored): the context
changes a vowel here and there, never the order.
"""

from __future__ import annotations

import difflib
import logging
import re

STRESS = "ˈˌ"
# The phonemizer treats a decimal point as a full stop ("0.125" -> "zero. one hundred twenty-five"), so
# numbers with a fraction are spelled out the way a narrator reads them: "7 point 1", "0 point 7 8 7".
DECIMAL = re.compile(r"(\d)\.(\d+)")


def speakable_number_text(text: str) -> str:
    return DECIMAL.sub(lambda m: f"{m.group(1)} point {' '.join(m.group(2))}", text)


class Phonemizer:
    """espeak-ng (the library from the espeakng-loader wheel) through the phonemizer package, keeping only
    the symbols in Kokoro's vocabulary."""

    def __init__(self, vocab: dict[str, int], language: str = "en-us"):
        # kokoro-onnx's tokenizer points the phonemizer at the wheel's espeak-ng library and data.
        from kokoro_onnx.tokenizer import Tokenizer
        from phonemizer.backend import EspeakBackend

        Tokenizer(vocab=vocab)
        self.vocab = vocab
        self._backend = EspeakBackend(language, preserve_punctuation=True, with_stress=True,
                                      logger=logging.getLogger("phonemizer.quiet"))
        logging.getLogger("phonemizer.quiet").setLevel(logging.ERROR)

    def phonemes(self, text: str) -> str:
        # One text in, but the phonemizer can hand back its pieces split at punctuation: keep them all.
        out = " ".join(self._backend.phonemize([speakable_number_text(text)], strip=True))
        return " ".join("".join(ch for ch in out if ch in self.vocab).split())

    def with_word_starts(self, words: list[str]) -> tuple[str, list[int]]:
        """The phonemes of the words spoken together, and the index where each word starts: at the gap
        before it (non-decreasing; a word with no phonemes of its own, like a dash, starts where the next
        one does)."""
        full = self.phonemes(" ".join(words))
        alone = [self.phonemes(w) for w in words]
        joined, starts = "", []
        for piece in alone:
            joined += " " if joined else ""
            starts.append(len(joined))
            joined += piece
        return full, _map_positions(joined, full, starts)


def _map_positions(a: str, b: str, positions: list[int]) -> list[int]:
    """The positions in ``b`` that correspond to ``positions`` in ``a``, by their longest matching runs
    (stress marks ignored); a position inside a mismatch is interpolated across it."""
    a_keep = [i for i, ch in enumerate(a) if ch not in STRESS]
    b_keep = [i for i, ch in enumerate(b) if ch not in STRESS]
    blocks = difflib.SequenceMatcher(None, "".join(a[i] for i in a_keep), "".join(b[i] for i in b_keep),
                                     autojunk=False).get_matching_blocks()
    mapped = []
    for pos in positions:
        bare = next((k for k, i in enumerate(a_keep) if i >= pos), len(a_keep))
        prev_a = prev_b = 0
        for block_a, block_b, size in blocks:  # the last block is the (len, len, 0) sentinel
            if bare < block_a + size or size == 0:
                if bare >= block_a:
                    at = block_b + bare - block_a
                else:
                    span_a, span_b = block_a - prev_a, block_b - prev_b
                    at = prev_b + round((bare - prev_a) * span_b / span_a)
                break
            prev_a, prev_b = block_a + size, block_b + size
        at = b_keep[at] if at < len(b_keep) else len(b)
        while at < len(b) and b[at] == " ":
            at += 1
        # A word starts with the gap before it: Kokoro voices the onset of the next word (or the closure of
        # its first consonant) in the frames of the space, and a stress mark belongs to its vowel.
        while at > 0 and b[at - 1] in STRESS + " ":
            at -= 1
        mapped.append(at)
    return mapped
