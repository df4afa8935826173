import os
import tempfile
from pathlib import Path

# Every test writes into a throw-away build folder, never the user's build/ (set before project imports).
_BUILD = Path(tempfile.mkdtemp(prefix="dj-test-build-"))
os.environ["DIFFUSION_JOURNEY_BUILD"] = str(_BUILD)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return _BUILD
