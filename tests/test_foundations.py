"""The foundations every chapter stands on: beats timed by the narration, the layout check, the scene <-> data
contract, one-way layers and credits as data."""

import tomllib

import numpy as np
import pytest
from manim import RIGHT, Text

from diffusion_journey import pipeline
from diffusion_journey.narration import parse_file
from journey_base import chapters, freshness
from journey_base.chapters import all_chapters, get_chapter
from journey_base.freshness import imported_modules
from journey_base.paths import ROOT
from scenes import layout
from scenes.beats import beat
from scenes.pieces import pixel_image, text
from scenes.style import Slots, Type

LAYERS = ("journey_base", "render_data", "scenes", "diffusion_journey")


# --- beats ------------------------------------------------------------------------------------------
def test_cues_are_the_beats_in_definition_order():
    cls = pipeline.scene_class(get_chapter("01"))
    assert cls.cues() == ("canvas", "channels", "formula", "atoms", "nesting", "noise", "heat", "closing")
    script = parse_file(ROOT / "narration" / "01_possible_images.txt")
    assert tuple(c.name for c in script.cues) == cls.cues()


# Chapter 01's data takes seconds; the others' full data (what the layout check reads) takes minutes.
@pytest.mark.parametrize("chapter", [c.id if c.number == 1 else pytest.param(c.id, marks=pytest.mark.slow)
                                     for c in all_chapters()])
def test_every_chapter_passes_the_layout_check_and_keeps_time(chapter):
    """A fast pass (no frames drawn) on a timeline estimated from the script: no layout problem, and every
    beat ends when its narration does, so no cue is reached late."""
    scene = pipeline.layout_check(get_chapter(chapter))
    durations = [s["duration"] for s in scene.timeline["segments"]]
    frame = 1 / scene.camera.frame_rate  # the scene's clock moves by whole frames, as a render's does
    assert np.allclose(scene.segment_starts, np.concatenate([[0.0], np.cumsum(durations)[:-1]]), atol=frame + 1e-6)
    assert scene.renderer.time == pytest.approx(sum(durations), abs=frame + 1e-6)


def test_a_deliberately_overlapping_label_fails_the_render(monkeypatch):
    ch = get_chapter("01")
    cls = pipeline.scene_class(ch)
    original = cls.canvas

    def canvas_with_a_clash(self, b):
        original(self, b)
        self.add(text("a label on top of the model's name", size=Type.CAPTION).move_to(self.panel.label))

    monkeypatch.setattr(cls, "canvas", beat(canvas_with_a_clash))
    with pytest.raises(layout.LayoutError) as failure:
        pipeline.layout_check(ch)
    message = str(failure.value)
    assert "01_possible_images" in message and "end of beat 'canvas'" in message
    assert "a label on top of the model's name" in message and "overlaps" in message


def test_layout_problems_are_named():
    a = text("left words", size=Type.BODY)
    b = text("right words", size=Type.BODY).move_to(a.get_center() + RIGHT * 0.3)
    far = text("off the edge", size=Type.BODY).move_to(RIGHT * 7.2)
    tiny = Text("tiny", font_size=10)
    tiny.shift(RIGHT * 2 + [0, 3, 0])
    problems = layout.find_problems([a, b, far, tiny])
    assert any("'left words'" in p and "'right words'" in p and "overlaps" in p for p in problems)
    assert any("'off the edge'" in p and "leaves the safe area" in p for p in problems)
    assert any("'tiny'" in p and "too small" in p for p in problems)
    picture = pixel_image(np.zeros((8, 8, 3), np.uint8), 2.0).move_to([0, -2, 0])
    caption = text("under the picture", size=Type.BODY).move_to([0, -2, 0])
    assert any("'under the picture'" in p and "lies on an image" in p for p in layout.find_problems([caption, picture]))
    assert layout.find_problems([text("alone", size=Type.BODY)]) == []
    faded = text("faded", size=Type.BODY).set_opacity(0)
    assert layout.find_problems([a, faded.move_to(a)]) == []  # invisible text is not on screen


def test_slots_stay_inside_the_safe_area():
    frame = Slots.FRAME
    for name in ("HEADER", "STAGE", "BOTTOM_STRIP", "LEFT_PANEL", "RIGHT_PANEL", "LEFT_THIRD", "RIGHT_TWO_THIRDS"):
        slot = getattr(Slots, name)
        assert frame.left - 1e-9 <= slot.left < slot.right <= frame.right + 1e-9, name
        assert frame.bottom - 1e-9 <= slot.bottom < slot.top <= frame.top + 1e-9, name
    assert Slots.LEFT_PANEL.right < Slots.RIGHT_PANEL.left and Slots.STAGE.top < Slots.HEADER.bottom


# --- scene <-> data contract --------------------------------------------------------------------------
def test_check_catches_a_scene_reading_a_missing_fact(tmp_path, monkeypatch):
    ch = get_chapter("02")
    source = ch.scene_file.read_text()
    assert 'self.fact("xhat.quarter_step")' in source
    (tmp_path / ch.scene_file.name).write_text(source.replace('"xhat.quarter_step"', '"xhat.quater_step"')
                                                .replace('self.array("final")', 'self.array("finale")'))
    monkeypatch.setattr(chapters, "SCENES_DIR", tmp_path)
    problems = pipeline.check_chapter(ch)
    line = source[: source.index('"xhat.quarter_step"')].count("\n") + 1
    assert f"{tmp_path / ch.scene_file.name}:{line}: the scene reads fact 'xhat.quater_step'" in problems[0]
    assert any("array 'finale'" in p for p in problems)
    monkeypatch.undo()
    assert pipeline.check_chapter(ch) == []


# --- layers -----------------------------------------------------------------------------------------------
def test_no_module_imports_from_a_layer_above_it():
    offences = []
    for layer, package in enumerate(LAYERS):
        for path in sorted((ROOT / package).rglob("*.py")):
            for imported in imported_modules(path):
                above = LAYERS.index(imported.relative_to(ROOT).parts[0])
                if above > layer:
                    offences.append(f"{path.relative_to(ROOT)} imports {imported.relative_to(ROOT)}")
    assert offences == []


def test_the_chapter_data_stage_never_imports_the_model_factory():
    factory = ROOT / "render_data" / "model_factory"
    offences = [f"{path.relative_to(ROOT)} imports {imported.relative_to(ROOT)}"
                for path in sorted((ROOT / "render_data").rglob("*.py")) if not path.is_relative_to(factory)
                for imported in imported_modules(path) if imported.is_relative_to(factory)]
    assert offences == []


def test_layer_check_sees_imports_inside_functions(tree_copy, monkeypatch):
    monkeypatch.setattr(freshness, "ROOT", tree_copy)
    probe = tree_copy / "render_data" / "_probe_layers.py"
    probe.write_text("def f():\n    from diffusion_journey import cli\n    from .model_factory import train\n")
    assert imported_modules(probe) >= {tree_copy / "diffusion_journey" / "cli.py",
                                       tree_copy / "render_data" / "model_factory" / "train.py"}


# --- credits ------------------------------------------------------------------------------------------------
def test_readme_credits_match_credits_toml():
    credits = tomllib.loads((ROOT / "credits.toml").read_text())
    readme = (ROOT / "README.md").read_text().split("## Credits", 1)[1]
    for c in credits["artwork"]:
        assert c["name"] in readme and c["licence"] in readme, c["name"]
    for c in credits["other"]:
        assert c["credit"].split(" (")[0].split(",")[0] in readme, c["role"]
