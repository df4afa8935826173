"""ffmpeg plumbing: probing, muxing narration + soft subtitles + chapter markers, lossless concat."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from journey_base.files import atomic_path, atomic_write_text, scratch_file
from .tools import require_tool


class MediaError(RuntimeError):
    pass


def probe(path: Path) -> dict:
    """ffprobe's report of the file: its format, streams and chapters, as JSON."""
    exe = require_tool("ffprobe", package="ffmpeg")
    proc = subprocess.run([exe, "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json",
                           str(path)], capture_output=True)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe {path}: {proc.stderr.decode(errors='replace').strip()}")
    return json.loads(proc.stdout)


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def _run(args: list[str]) -> None:
    exe = require_tool("ffmpeg", package="ffmpeg")
    proc = subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed: {proc.stderr.strip()[-2000:]}")


def ffmpeg_log(args: list[str]) -> str:
    """Run ffmpeg for what it reports (analysis filters print to stderr) and return that report."""
    exe = require_tool("ffmpeg", package="ffmpeg")
    proc = subprocess.run([exe, "-hide_banner", "-nostats", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed: {proc.stderr.strip()[-2000:]}")
    return proc.stderr


def gray_frames(path: Path, fps: float, width: int, height: int, chunk: int = 256):
    """The video's frames, resampled to ``fps`` and shrunk to width x height grey levels, as uint8 arrays
    of up to ``chunk`` frames each (streamed: a whole film never sits in memory)."""
    exe = require_tool("ffmpeg", package="ffmpeg")
    proc = subprocess.Popen([exe, "-hide_banner", "-loglevel", "error", "-i", str(path), "-an", "-sn", "-vf",
                             f"fps={fps},scale={width}:{height},format=gray", "-f", "rawvideo", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    size = width * height
    try:
        while block := proc.stdout.read(size * chunk):
            yield np.frombuffer(block[:len(block) // size * size], np.uint8).reshape(-1, height, width)
    except GeneratorExit:  # the reader stopped early: nothing to report
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        error = proc.stderr.read().decode(errors="replace").strip()
        code = proc.wait()
    if code != 0:
        raise MediaError(f"ffmpeg failed on {path}: {error[-2000:]}")


def write_ffmetadata(path: Path, title: str, chapters: list[tuple[float, float, str]]) -> None:
    """Chapter markers in ffmpeg's metadata format (times in ms)."""
    def esc(s: str) -> str:
        return "".join("\\" + ch if ch in "=;#\\\n" else ch for ch in s)

    lines = [";FFMETADATA1", f"title={esc(title)}"]
    for start, end, name in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(start * 1000))}",
                  f"END={int(round(end * 1000))}", f"title={esc(name)}"]
    atomic_write_text(path, "\n".join(lines) + "\n")


AAC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]  # the same in every clip, so they concat


def mux_audio(video: Path, wav: Path, out: Path, audio_filter: str | None = None) -> None:
    """The silent render + the narration track (through ``audio_filter``, e.g. loudness): video copied,
    audio to AAC."""
    af = ["-af", audio_filter] if audio_filter else []
    with atomic_path(out) as tmp:
        _run(["-i", str(video), "-i", str(wav), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *af, *AAC,
              "-shortest", "-f", "mp4", str(tmp)])


def refilter_audio(av: Path, audio_filter: str, out: Path) -> None:
    """The same video with its audio re-encoded through ``audio_filter``."""
    with atomic_path(out) as tmp:
        _run(["-i", str(av), "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-af", audio_filter, *AAC,
              "-f", "mp4", str(tmp)])


def concat(parts: list[Path], out: Path) -> None:
    """Join same-format clips with the concat demuxer: streams copied, nothing re-encoded."""
    with scratch_file(out.with_name(f"{out.stem}.concat.txt")) as listing, atomic_path(out) as tmp:
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts))
        _run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-f", "mp4", str(tmp)])


def add_subtitles_and_chapters(av: Path, srt: Path, ffmetadata: Path, out: Path) -> None:
    """Soft (mov_text) English subtitles + chapter markers + title, all streams copied. ``out`` is written
    in place: it is a temp name of the set being published."""
    _run(["-i", str(av), "-i", str(srt), "-i", str(ffmetadata),
          "-map", "0:v", "-map", "0:a", "-map", "1:s", "-map_metadata", "2", "-map_chapters", "2",
          "-c:v", "copy", "-c:a", "copy", "-c:s", "mov_text", "-metadata:s:s:0", "language=eng",
          "-movflags", "+faststart", "-f", "mp4", str(out)])


def still_frame(video: Path, at: float, out: Path, width: int) -> None:
    """One frame of ``video`` at ``at`` seconds, ``width`` pixels wide, as a JPEG (a player's poster)."""
    _run(["-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1", "-vf", f"scale={width}:-2", "-q:v", "4", str(out)])
