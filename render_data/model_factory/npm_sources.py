"""The emoji artwork's npm packages: fetched with ``npm pack`` (exact versions, npm's sha512 integrity
checked on every tarball used), cached under build/npm, and read member by member without unpacking."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from journey_base.credits import load_credits
from journey_base.paths import BUILD, ROOT

from .specs import DatasetError


SOURCES = {
    "noto": {
        "package": "emoji-datasource-google", "version": "16.0.0",
        "integrity": "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
        "layout": "datasource", "folder": "package/img/google/64", "has_img": "has_img_google",
    },
    "fluent3d": {
        "package": "@lobehub/fluent-emoji-3d", "version": "1.1.0",
        "integrity": "sha512-Wlq2lVStTnr8BDpIJ0pEnTKO4LuDxxqTEhTvRtD1DLRF0me7ogeRQjKoehDHXuVJ2Qaecgl5wRBv60lUAG3h7g==",
        "layout": "fluent", "folder": "package/assets",
    },
    "twemoji": {
        "package": "emoji-datasource-twitter", "version": "16.0.0",
        "integrity": "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
        "layout": "datasource", "folder": "package/img/twitter/64", "has_img": "has_img_twitter",
    },
}


# Every source's licence and credit lives in credits.toml (the end card and model card read it too).
CREDITS = load_credits()["artwork"]


class FetchError(DatasetError):
    """A source package could not be fetched (npm missing, no network, bad tarball)."""


def tarball_name(source: dict) -> str:
    """The file name `npm pack` gives: emoji-datasource-google-16.0.0.tgz, lobehub-fluent-emoji-3d-1.1.0.tgz."""
    return f"{source['package'].lstrip('@').replace('/', '-')}-{source['version']}.tgz"


def _integrity(path: Path) -> str:
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def fetch_tarball(source: dict, cache_dir: Path | None = None, extra_dirs=None, log=print) -> Path:
    """The source's tarball: reused from cache_dir (or extra_dirs, default <repo>/build/npm) when its
    integrity matches, else fetched with `npm pack <package>@<version>` into cache_dir."""
    cache_dir = Path(cache_dir) if cache_dir is not None else BUILD / "npm"
    extra_dirs = [ROOT / "build" / "npm"] if extra_dirs is None else list(extra_dirs)
    spec = f"{source['package']}@{source['version']}"
    name = tarball_name(source)
    for folder in [cache_dir, *extra_dirs]:
        path = Path(folder) / name
        if path.is_file():
            if _integrity(path) == source["integrity"]:
                return path
            log(f"warning: {path} does not match the pinned integrity of {spec}; fetching it again")
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm not found: it is needed to fetch {spec} (install Node.js/npm, "
                         f"or put {name} into {cache_dir})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    log(f"fetching {spec} with npm pack ...")
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".npm-pack-") as tmp:
        try:
            proc = subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--loglevel=error"],
                                  capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            raise FetchError(f"npm pack {spec} timed out (network?)") from None
        got = Path(tmp) / name
        if proc.returncode != 0 or not got.is_file():
            raise FetchError(f"npm pack {spec} failed: {_npm_reason(proc)}")
        if _integrity(got) != source["integrity"]:
            raise FetchError(f"{spec}: the downloaded tarball does not match the pinned integrity")
        os.replace(got, cache_dir / name)
    return cache_dir / name


def _npm_reason(proc: subprocess.CompletedProcess) -> str:
    """The telling line of npm's error output: 'E404: 404 Not Found - GET ...', 'ECONNREFUSED: ...'."""
    code, reason = "", ""
    for line in (proc.stderr or "").splitlines():
        text = line.removeprefix("npm error").removeprefix("npm ERR!").strip()
        if not line.startswith(("npm error", "npm ERR!")) or not text:
            continue
        if text.startswith("code "):
            code = text[5:].strip()
        elif not reason and not text.startswith(("syscall", "errno", "at ", "{", "}", "A complete log")):
            reason = text
    return ": ".join(x for x in (code, reason) if x) or f"exit status {proc.returncode}"


def _read_members(path: Path, wanted: set[str], label: str, progress: bool) -> dict[str, bytes]:
    """One streaming pass over a .tgz, keeping only the wanted members (stops once all are found)."""
    from tqdm import tqdm

    found: dict[str, bytes] = {}
    with open(path, "rb") as raw, tqdm.wrapattr(raw, "read", total=path.stat().st_size, desc=label,
                                                  leave=False, disable=not progress) as f:
        try:
            with tarfile.open(fileobj=f, mode="r|gz") as tar:
                for member in tar:
                    if member.name in wanted and member.isfile():
                        found[member.name] = tar.extractfile(member).read()
                        if len(found) == len(wanted):
                            break
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise FetchError(f"{label}: cannot read {path}: {exc}") from None
    return found


def _source_files(key: str, codes: list[str], cache_dir, extra_dirs, progress: bool, log) -> dict[str, bytes]:
    """code -> image bytes for one source, checked against the package's own emoji.json."""
    source = SOURCES[key]
    spec = f"{source['package']}@{source['version']}"
    path = fetch_tarball(source, cache_dir, extra_dirs, log=log)
    folder = source["folder"]
    if source["layout"] == "datasource":
        names = {c: f"{folder}/{c}.png" for c in codes}
        members = _read_members(path, {*names.values(), "package/emoji.json"}, spec, progress)
        if "package/emoji.json" not in members:
            raise DatasetError(f"{spec}: package/emoji.json missing from {path}")
        table = {e["image"][:-4]: e for e in json.loads(members["package/emoji.json"])}
        for c in codes:
            entry = table.get(c)
            if entry is None or not entry.get(source["has_img"]):
                raise DatasetError(f"{spec}: no image for emoji {c} according to its emoji.json")
    else:  # fluent: assets/<code>.webp, sometimes without the trailing -fe0f
        candidates = {c: [f"{folder}/{c}.webp", f"{folder}/{c.replace('-fe0f', '')}.webp"] for c in codes}
        members = _read_members(path, {n for v in candidates.values() for n in v}, spec, progress)
        names = {}
        for c, options in candidates.items():
            names[c] = next((n for n in options if n in members), options[0])
    missing = [n for n in names.values() if n not in members]
    if missing:
        raise DatasetError(f"{spec}: missing from the tarball: {', '.join(missing[:5])}")
    return {c: members[n] for c, n in names.items()}

