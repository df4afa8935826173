"""Rendering by beat: an edit re-keys only the beats it changes, and a beat rendered alone (every other beat
skipped) draws the frames it draws in a run of the whole chapter.

Chapter 01 on a timeline estimated from its script (no voice needed): its data takes a second."""

import copy
import tempfile
from pathlib import Path

import numpy as np
import pytest

from diffusion_journey import beat_render, pipeline
from diffusion_journey.config import load_config
from diffusion_journey.narration import parse_file, plan
from journey_base.chapters import get_chapter
from video_frames import decode_frames

pytestmark = [pytest.mark.render, pytest.mark.slow]
CH = get_chapter("01")
PAUSES = load_config()["voice"]["pauses"]
# A beat drawn alone may differ from the whole run's by float rounding in the state it is reached with:
# anti-aliased edges a fraction of a pixel apart. Measured: none, 3 pixels by <= 3 grey levels, and (in a
# fresh build folder) 0.33% of a frame by <= 10 levels. Allowed per frame: this mean difference (grey
# levels) and this share of changed pixels.
MAX_MEAN_LEVELS, MAX_PIXEL_SHARE = 0.25, 0.03


def _timeline(text: str | None = None) -> dict:
    """Chapter 01's estimated timeline, from its script or from an edited copy of the script's text."""
    facts = pipeline.make_data(CH).facts
    script = parse_file(CH.narration)
    if text is not None:  # the edited copy goes to a temp folder: tests never write into the source tree
        with tempfile.TemporaryDirectory() as folder:
            edited = Path(folder) / CH.narration.name
            edited.write_text(text)
            script = parse_file(edited)
    return pipeline.estimated_timeline(plan(script, facts, known_cues=pipeline.scene_class(CH).cues()), PAUSES)


def _plans(timeline: dict) -> list[beat_render.BeatPlan]:
    return beat_render.plan_beats(CH, "l", beat_render.dry_run(CH, "l", timeline=timeline))


@pytest.fixture(scope="module")
def original():
    timeline = _timeline()
    return timeline, _plans(timeline)


def _frames(data: bytes, tmp_path, name: str) -> np.ndarray:
    clip = tmp_path / name
    clip.write_bytes(data)
    return decode_frames(clip, "rgb24").astype(np.int16)


def test_keys_are_stable_and_each_beat_has_its_own(original):
    timeline, plans = original
    assert [p.cue for p in plans] == ["opening", *pipeline.scene_class(CH).cues()]
    assert len({p.key for p in plans}) == len(plans)
    assert [p.key for p in _plans(copy.deepcopy(timeline))] == [p.key for p in plans]


def test_editing_one_sentence_rekeys_only_its_beat(original):
    """13 more words are 5 s more at the estimate's 2.6 words/s: later beats move by whole frames, so their
    clips stay (a shift by part of a frame re-keys them: their frames round differently)."""
    timeline, plans = original
    text = CH.narration.read_text()
    sentence = "[[nesting]] Now imagine that every one of those atoms"
    longer = "[[nesting]] Now, and this is the part to picture slowly and carefully in your mind, imagine that " \
             "every one of those atoms"
    assert plans[5].cue == "nesting" and text.count(sentence) == 1
    assert len(longer.split()) - len(sentence.split()) == 13
    after = _plans(_timeline(text.replace(sentence, longer)))
    changed = [p.index for p, q in zip(plans, after) if p.key != q.key]
    assert changed == [5], f"an edit in beat 5 re-keyed beats {changed}"
    assert after[5].seconds == pytest.approx(plans[5].seconds + 5.0, abs=0.07)  # its budget, in whole frames


def test_changing_data_one_beat_reads_rekeys_that_beat_and_what_its_state_passes_on(original, monkeypatch):
    timeline, plans = original
    load = beat_render.ChapterScene.setup

    def setup_with_other_layers(self):
        load(self)
        self.data.facts = copy.deepcopy(self.data.facts)
        self.data.facts["atoms"]["layers"] += 1

    monkeypatch.setattr(beat_render.ChapterScene, "setup", setup_with_other_layers)
    scene = beat_render.dry_run(CH, "l", timeline=timeline)
    reads = [b["reads"] for b in scene.beat_starts]
    after = beat_render.plan_beats(CH, "l", scene)
    changed = {p.index for p, q in zip(plans, after) if p.key != q.key}
    readers = {i for i, r in enumerate(reads) if ("fact", "atoms.layers") in r}
    assert readers == {5} and 5 in changed
    assert changed <= set(range(5, len(plans)))  # nothing before the beat that reads it


def test_a_beat_rendered_alone_draws_what_the_whole_run_draws(original, tmp_path):
    timeline, plans = original
    drawn = [p.index for p in plans if p.drawn]
    whole = beat_render.render_beat_clips(CH.id, "l", drawn, beat_render.clip_paths(plans, drawn), timeline)
    assert len(whole) == len(drawn)
    k = 4
    alone = beat_render.render_beat_clips(CH.id, "l", [k], beat_render.clip_paths(plans, [k]), timeline)
    rel = beat_render.clip_paths(plans, [k])[k]
    assert list(alone) == [rel]
    a, b = _frames(whole[rel], tmp_path, "whole.mp4"), _frames(alone[rel], tmp_path, "alone.mp4")
    assert a.shape == b.shape and abs(a.shape[0] / 15 - plans[k].seconds) < 0.1
    diff = np.abs(a - b).max(axis=3)
    mean, share = diff.mean(axis=(1, 2)).max(), (diff > 0).mean(axis=(1, 2)).max()
    assert mean <= MAX_MEAN_LEVELS and share <= MAX_PIXEL_SHARE, f"{mean:.2f} levels, {share:.2%} of a frame"
    assert np.abs(a[1:] - a[:-1]).max() > 0  # a beat that moves: the comparison is not of blank frames


def test_beats_split_into_jobs_of_about_equal_length(original):
    _, plans = original
    jobs = beat_render.split_jobs([p for p in plans if p.drawn], 2)
    assert len(jobs) == 2 and sorted(sum(jobs, [])) == [p.index for p in plans if p.drawn]
    seconds = [sum(plans[i].seconds for i in job) for job in jobs]
    assert max(seconds) < 0.7 * sum(seconds)
    assert beat_render.split_jobs([], 2) == [] and beat_render.split_jobs(plans[:1], 3) == [[0]]
