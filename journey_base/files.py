"""Writes that never leave a half-written file behind: write to a temp file beside it, then rename.

Every temp file or folder is named ``.dj-tmp-<pid>-<name>.<random>``, so a run killed half way leaves
something recognisable: ``sweep_temp`` (run at the start of every building command) removes what belongs
to processes that no longer run, and finishes any set of files whose publishing was cut short.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .paths import ROOT

TEMP_PREFIX = ".dj-tmp-"
JOURNAL_PREFIX = ".dj-publish-"
_OWNED = re.compile(r"^\.dj-(?:tmp|publish)-(\d+)-")


def _prefix(name: str) -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-{name}."


def _new_temp_file(path: Path, suffix: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path.name), suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    return Path(tmp)


def temp_dir(beside: Path) -> Path:
    """A new temp folder next to where ``beside`` will be (the caller renames it into place)."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_prefix(beside.name), dir=beside.parent))


@contextmanager
def scratch_file(beside: Path):
    """A temp file for an intermediate next to ``beside``, removed when the block ends."""
    tmp = _new_temp_file(Path(beside))
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: Path, suffix: str = ""):
    """Yield a temp path beside ``path``; on success it replaces ``path``, on error it is removed."""
    tmp = _new_temp_file(Path(path), suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def published_together(paths: list[Path]):
    """Temp paths for files only ever seen as a set (a video and its subtitles). All are written first; the
    old set stays whole until then, and an error removes the temps. Then a journal lists the renames, which
    run in the order given (the video first: a kill among them never pairs new subtitles with the old
    video), and the next run's ``sweep_temp`` finishes renames a kill cut short."""
    paths = [Path(p) for p in paths]
    tmps = [_new_temp_file(p) for p in paths]
    try:
        yield tmps
    except BaseException:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        raise
    _publish(list(zip(tmps, paths)))


def publish_folder(tmp: Path, folder: Path) -> None:
    """Put the finished folder ``tmp`` in place of ``folder``: the old one is moved aside, then removed. The
    journal comes first, so a kill between the renames is finished by the next run's ``sweep_temp``, or by the
    next ``finish_interrupted`` of the folder; this publish does that first, so a killed run's older folder is
    never put in place after this one."""
    finish_interrupted(folder)
    _publish([(Path(tmp), Path(folder))])


def _publish(renames: list[tuple[Path, Path]]) -> None:
    journal = renames[0][1].with_name(f"{JOURNAL_PREFIX}{os.getpid()}-{renames[0][1].name}.json")
    atomic_write_json(journal, [[os.path.relpath(t, journal.parent), os.path.relpath(p, journal.parent)]
                                for t, p in renames])
    _finish_publishing(journal)


def _finish_publishing(journal: Path) -> None:
    for tmp, final in json.loads(journal.read_text()):
        if (journal.parent / tmp).exists():
            _replace(journal.parent / tmp, journal.parent / final)
    journal.unlink()


def _replace(src: Path, dst: Path) -> None:
    """os.replace, for folders too: a folder in the way is moved aside first and removed after."""
    if not (src.is_dir() and dst.is_dir()):
        os.replace(src, dst)
        return
    aside = temp_dir(dst)
    os.replace(dst, aside)  # onto the empty folder
    os.replace(src, dst)
    shutil.rmtree(aside, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temp(root: Path) -> tuple[list[Path], list[Path]]:
    """Finish the publishing, then remove the temp files and folders, that processes no longer running
    left under ``root``. Returns (journals finished, temps removed)."""
    if not Path(root).is_dir():
        return [], []
    return _sweep([p for p in Path(root).rglob(".dj-*") if (m := _OWNED.match(p.name)) and not _running(int(m[1]))])


def finish_interrupted(path: Path) -> tuple[list[Path], list[Path]]:
    """``sweep_temp`` for one file or folder, before it is read or replaced: the publishing of ``path`` that a
    process no longer running cut short is finished (a kill between a folder's two renames leaves the target
    missing, the old folder aside and the new one whole in its temp), and that process's temps of ``path`` are
    removed (the old folder moved aside among them). Temps a set's journal still lists are kept for it."""
    path = Path(path)
    if not path.parent.is_dir():
        return [], []
    dead = [p for p in path.parent.iterdir() if (m := _OWNED.match(p.name)) and not _running(int(m[1]))]
    mine = [p for p in dead if p.name[_OWNED.match(p.name).end():].startswith(f"{path.name}.")]
    listed = {(j.parent / tmp).resolve() for j in dead if j.name.startswith(JOURNAL_PREFIX) and j not in mine
              for tmp, _ in _renames(j)}
    return _sweep([p for p in mine if p.resolve() not in listed])


def _renames(journal: Path) -> list:
    try:
        return json.loads(journal.read_text())
    except FileNotFoundError:
        return []


def _sweep(left: list[Path]) -> tuple[list[Path], list[Path]]:
    """Finish the journals among ``left``, then remove its temps (each a dead process's)."""
    finished, removed = [], []
    for journal in (p for p in left if p.name.startswith(JOURNAL_PREFIX)):
        _finish_publishing(journal)
        finished.append(journal)
    for tmp in (p for p in left if p.name.startswith(TEMP_PREFIX)):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists() or tmp.is_symlink():
            tmp.unlink()
        else:
            continue  # inside a folder removed above, or renamed into place by a journal
        removed.append(tmp)
    return finished, removed


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def shown(path: Path) -> str:
    """A path as a user would type it: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
