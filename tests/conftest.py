import os
import shutil
import tempfile
from pathlib import Path

# Every test writes into a throw-away build folder, never the user's build/ (set before project imports);
# it is removed when the session ends. DJ_TEST_BUILD=<folder> uses (and keeps) that one instead: a second
# run of the render tests then re-assembles without re-rendering.
_KEPT = os.environ.get("DJ_TEST_BUILD")
_BUILD = Path(_KEPT) if _KEPT else Path(tempfile.mkdtemp(prefix="dj-test-build-"))
os.environ["DIFFUSION_JOURNEY_BUILD"] = str(_BUILD)

import pytest  # noqa: E402

from journey_base.paths import ROOT  # noqa: E402

# The project's source, as a test's copy of the tree needs it (never the models, build or .venv).
SOURCE_PARTS = ("journey_base", "render_data", "scenes", "diffusion_journey", "narration", "journey.toml")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("render"):
            item.add_marker(pytest.mark.slow)  # a real render is always slow


def pytest_unconfigure(config):
    if not _KEPT:
        shutil.rmtree(_BUILD, ignore_errors=True)


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return _BUILD


def _copy_tree(root: Path) -> Path:
    for part in SOURCE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / part)
    return root


@pytest.fixture(scope="session")
def copy_tree():
    """copy_tree(folder) copies the project's source there and returns it (for a module-scoped copy)."""
    return _copy_tree


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    """A copy of the project's source to edit: tests never write into the checkout."""
    return _copy_tree(tmp_path / "tree")


def _npm_unreachable(exc: Exception):
    """Without the npm registry the sprite tests cannot run: a skip on a developer's machine, a failure in CI."""
    message = f"emoji packages could not be fetched from the npm registry: {exc}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sprites():
    """The real emoji sprites, built once per session into the temp build folder."""
    from render_data.model_factory import npm_sources
    from render_data.model_factory.sprites import load_sprites

    try:
        return load_sprites(_BUILD / "dataset" / "sprites.npz", progress=False, log=lambda *a: None)
    except npm_sources.FetchError as exc:
        _npm_unreachable(exc)
