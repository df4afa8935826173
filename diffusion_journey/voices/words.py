"""Word timings of a clip: ``[[word, start_s, end_s], ...]`` relative to the clip's start.

The words tile the clip: each runs until the next one starts (a pause after a comma belongs to the word
before it), the first starts at 0 and the last ends with the audio, so they add up to its length. A word
with nothing to say of its own (a lone dash) may last 0 s.
"""

from __future__ import annotations


def word_times(words: list[str], bounds: list[int], n_samples: int, sample_rate: int) -> list[list]:
    """From the sample offset where each word starts (increasing, one per word)."""
    if len(bounds) != len(words):
        raise ValueError(f"{len(bounds)} word starts for {len(words)} words")
    edges = [0, *bounds[1:], n_samples]
    return [[w, round(edges[i] / sample_rate, 3), round(edges[i + 1] / sample_rate, 3)]
            for i, w in enumerate(words)]


def estimated_bounds(words: list[str], n_samples: int) -> list[int]:
    """Where each word would start if speech ran at an even pace per character (for voices without
    alignments): a word's share of the clip is its share of the letters, plus one for the gap after it."""
    weights = [len(w) + 1 for w in words]
    total, starts, acc = sum(weights), [], 0
    for weight in weights:
        starts.append(round(acc / total * n_samples))
        acc += weight
    return starts
