import json

import numpy as np
import pytest

from journey_base import chapters, freshness
from journey_base.chapters import get_chapter, load_module
from render_data import artifacts
from render_data.artifacts import ArtifactWriter, ChapterData, DataMissingError, build_chapter_data

CH = get_chapter("01")


def _experiment():
    return load_module(CH.experiment_file, f"render_data.experiments.ch{CH.id}")


def test_chapter_one_data_is_computed_then_reused():
    data, rebuilt = build_chapter_data(CH, force=True)
    assert rebuilt
    f = data.facts
    assert (f["model"]["width"], f["model"]["height"], f["model"]["channels"]) == (64, 64, 3)
    assert f["possible_images"]["exponent"] == 29592 and f["atoms"]["layers"] == 370
    frames = data.array("noise_frames")
    assert frames.dtype == np.uint8 and frames.shape == (90, 64, 64, 3)
    assert 120 < frames.mean() < 135  # uniform noise over 0..255
    manifest = data.manifest
    assert {"config", "key", "model", "files"} <= manifest.keys()
    assert manifest["model"]["name"] and manifest["files"]["noise_frames.npy"]

    again, rebuilt = build_chapter_data(CH)
    assert not rebuilt
    assert np.array_equal(again.array("noise_frames"), frames)  # deterministic given the seed


def test_stale_when_config_changes_or_a_file_is_damaged(monkeypatch):
    build_chapter_data(CH)
    monkeypatch.setitem(_experiment().CONFIG, "noise_seed", 2)
    data, rebuilt = build_chapter_data(CH)
    assert rebuilt and data.manifest["config"]["noise_seed"] == 2
    monkeypatch.undo()

    data, rebuilt = build_chapter_data(CH)
    assert rebuilt  # back to the original config
    (data.folder / "noise_frames.npy").write_bytes(b"damaged")
    _, rebuilt = build_chapter_data(CH)
    assert rebuilt


def test_failed_run_keeps_the_previous_artifacts(monkeypatch):
    good, _ = build_chapter_data(CH)
    before = (good.folder / "manifest.json").read_text()

    def broken(out, config, model):
        out.fact("half", written=True)
        raise RuntimeError("experiment crashed midway")

    monkeypatch.setattr(_experiment(), "run", broken)
    with pytest.raises(RuntimeError, match="midway"):
        build_chapter_data(CH, force=True)
    assert (good.folder / "manifest.json").read_text() == before
    assert not [p for p in artifacts.DATA_DIR.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_missing_data_says_what_to_run(tmp_path):
    with pytest.raises(DataMissingError, match="make data"):
        ChapterData(tmp_path / "nothing")


PLAIN = (int, float, bool, str, type(None))


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_facts_are_plain_json(tmp_path):
    """Whatever numpy hands an experiment lands in facts.json as plain JSON values, never numpy ones."""
    out = ArtifactWriter(tmp_path)
    out.fact("g", i=np.int64(3), f=np.float32(0.25), d=np.float64(0.5), b=np.bool_(True), a=np.arange(2),
             seeds=[np.int32(7), (np.float16(1.5),)], nested={"k": np.uint8(9)}, s="x", n=None)
    assert json.loads(json.dumps(out.facts)) == {"g": {"i": 3, "f": 0.25, "d": 0.5, "b": True, "a": [0, 1],
                                                       "seeds": [7, [1.5]], "nested": {"k": 9}, "s": "x", "n": None}}
    assert all(type(leaf) in PLAIN for leaf in _leaves(out.facts))  # np.float64 passes json.dumps; not this
    # and so does every fact chapter 1's experiment writes
    expected = artifacts.expected_manifest(CH, _experiment())
    real = ArtifactWriter(tmp_path)
    _experiment().run(real, expected["config"], expected["model"])
    assert real.facts and all(type(leaf) in PLAIN for leaf in _leaves(real.facts))


def _key() -> str:
    return artifacts.expected_manifest(CH, _experiment())["key"]


def test_stage_key_follows_the_experiments_imports(tree_copy, monkeypatch):
    """Keys computed on a copy of the tree (never the checkout): the untouched copy keys like the checkout."""
    h = _key()
    monkeypatch.setattr(freshness, "ROOT", tree_copy)
    monkeypatch.setattr(chapters, "EXPERIMENTS_DIR", tree_copy / "render_data" / "experiments")
    monkeypatch.setattr(artifacts, "__file__", str(tree_copy / "render_data" / "artifacts.py"))
    assert _key() == h
    # Chapter 1's experiment imports render_data.counting: touching it makes the data stale.
    counting = tree_copy / "render_data" / "counting.py"
    counting.write_text(counting.read_text() + "\n# touched\n")
    touched = _key()
    assert touched != h
    # a module nothing in the chain imports (the narration parser, a layer above) does not
    unrelated = tree_copy / "diffusion_journey" / "narration.py"
    unrelated.write_text(unrelated.read_text() + "\n# touched\n")
    assert _key() == touched
