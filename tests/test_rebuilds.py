"""What an edit rebuilds, through the stages' keys (a real render of every case would take an hour): a
narration sentence re-renders its chapter and no other; a changed artifact, scene, shared module, config or
model rebuilds exactly the chapters that depend on it. On a copy of the tree, with build folders of its own."""

import functools
import json

import numpy as np
import pytest

from diffusion_journey import pipeline
from diffusion_journey.voices.audio import Speech
from diffusion_journey.voice import Audio
from journey_base import chapters, freshness
from journey_base.chapters import all_chapters, get_chapter, load_module
from render_data import artifacts

IDS = [c.id for c in all_chapters()]
# What the scenes import (their import lines): an edit of scenes/compass.py re-renders exactly these.
USE_THE_COMPASS = {"01", "05", "06", "07", "08", "09", "10", "12"}
USE_THE_SWEEP = {"06", "07", "08", "09", "10"}  # chapter data from render_data/sweep.py
USE_THE_MODEL = set(f"{n:02d}" for n in range(1, 13)) - {"05"}  # chapter 05 trains its own toy model


class FakeVoice:
    """Speech of 10 ms per character (the real voice takes minutes; the timeline is what the key reads)."""
    name, version_key, word_timing = "fake", "fake 1", "estimated"

    def speak(self, words):
        return Speech(Audio(np.full(int(22050 * 0.01 * len(" ".join(words))), 1000, np.int16), 22050))


def _changed(before: dict, after: dict) -> set[str]:
    return {ch[:2] for ch in before if before[ch] != after[ch]}


@pytest.fixture
def build(tree_copy, tmp_path, monkeypatch):
    """Chapters read from the tree copy; every chapter with stand-in data files and a voiced timeline."""
    monkeypatch.setattr(freshness, "ROOT", tree_copy)
    monkeypatch.setattr(artifacts, "__file__", str(tree_copy / "render_data" / "artifacts.py"))
    for name, folder in (("NARRATION_DIR", "narration"), ("SCENES_DIR", "scenes"),
                         ("EXPERIMENTS_DIR", "render_data/experiments")):
        monkeypatch.setattr(chapters, name, tree_copy / folder)
    monkeypatch.setattr(chapters, "BUILD", tmp_path / "build")  # where the timelines go
    monkeypatch.setattr(pipeline, "DATA_DIR", tmp_path / "build" / "data")
    monkeypatch.setattr(pipeline, "AUDIO_CACHE", tmp_path / "build" / "audio" / "cache")
    for ch in all_chapters():
        (pipeline.DATA_DIR / ch.id).mkdir(parents=True)
        (pipeline.DATA_DIR / ch.id / "manifest.json").write_text(json.dumps({"files": {"a.npy": ch.id}}))
        ch.timeline_file.parent.mkdir(parents=True)
        ch.timeline_file.write_text(json.dumps({"chapter": ch.id, "sentences": [ch.id]}))
    return tree_copy


def _render_keys() -> dict:
    return {ch.id: pipeline.render_key(ch, "l") for ch in all_chapters()}


def test_editing_a_narration_sentence_re_renders_that_chapter_only(build):
    ch = get_chapter("01")
    facts = pipeline.make_data(ch).facts  # the real data (the session's build folder)
    pipeline.voice_chapter(ch, facts, engine=FakeVoice())
    keys = _render_keys()
    pipeline.voice_chapter(ch, facts, engine=FakeVoice())
    assert _render_keys() == keys  # voiced again, unchanged: nothing to render
    script = build / "narration" / f"{ch.id}.txt"
    sentence = "So how many are there?"
    assert sentence in script.read_text()
    script.write_text(script.read_text().replace(sentence, "So how many pictures are there?"))
    pipeline.voice_chapter(ch, facts, engine=FakeVoice())
    assert _changed(keys, _render_keys()) == {"01"}


def test_a_changed_artifact_scene_or_module_re_renders_exactly_the_chapters_that_use_it(build):
    keys = _render_keys()
    manifest = pipeline.DATA_DIR / "06_starting_point" / "manifest.json"
    manifest.write_text(json.dumps({"files": {"a.npy": "other data"}}))
    assert _changed(keys, after := _render_keys()) == {"06"}
    scene = build / "scenes" / "07_dividing_the_path.py"
    scene.write_text(scene.read_text() + "\n# edited\n")
    assert _changed(after, after_scene := _render_keys()) == {"07"}
    timeline = get_chapter("11").timeline_file
    timeline.write_text(json.dumps({"chapter": "11", "sentences": ["voiced again"]}))
    assert _changed(after_scene, after_voice := _render_keys()) == {"11"}
    shared = build / "scenes" / "compass.py"
    shared.write_text(shared.read_text() + "\n# edited\n")
    assert _changed(after_voice, _render_keys()) == USE_THE_COMPASS


def _data_keys() -> dict:
    return {ch.id: artifacts.expected_manifest(ch, load_module(ch.experiment_file, f"render_data.experiments.ch{ch.id}"))
            ["key"] for ch in all_chapters()}


def test_a_changed_module_config_or_model_recomputes_exactly_the_data_that_uses_it(build, monkeypatch):
    described = functools.cache(artifacts.describe_model)  # the weights are hashed once, not per chapter
    monkeypatch.setattr(artifacts, "describe_model", described)
    keys = _data_keys()
    sweep = build / "render_data" / "sweep.py"
    sweep.write_text(sweep.read_text() + "\n# edited\n")
    assert _changed(keys, after := _data_keys()) == USE_THE_SWEEP
    experiment = load_module(get_chapter("09").experiment_file, "render_data.experiments.ch09_between_words")
    monkeypatch.setitem(experiment.CONFIG, "seed", -1)
    assert _changed(after, after_config := _data_keys()) == {"09"}
    monkeypatch.setattr(artifacts, "describe_model", lambda spec: dict(described(spec), hash="retrained"))
    assert _changed(after_config, _data_keys()) == USE_THE_MODEL
