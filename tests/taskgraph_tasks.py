"""Task functions for tests/test_taskgraph.py: module-level, so they pickle into worker processes (and a Ray
worker imports this module from its copy of the project). Paths are relative to the working directory: the
tests run in their root, a Ray worker runs in its working_dir."""

import os
import time
from pathlib import Path

from diffusion_journey.taskgraph import Produced, Task


def write(rel: str, text: str) -> Produced:
    return Produced(files={rel: text.encode()}, value=text)


def concat(out: str, suffix: str, *ins: str) -> Produced:
    """Reads the files its deps produced (fails if one is not there yet) and adds its own part."""
    text = "".join(Path(p).read_text() for p in ins) + suffix
    return Produced(files={out: text.encode()}, value=text)


def read(rel: str) -> str:
    return Path(rel).read_text()


def note(log: str, name: str) -> str:
    with open(log, "a") as f:
        f.write(name + "\n")
    return name


def meet(folder: str, me: str, other: str, timeout: float = 60.0) -> tuple[float, float]:
    """Says it started, waits for the other task to start (only possible if both run at once), sleeps 1 s;
    returns (start, end) wall times."""
    start = time.time()
    Path(folder, me).touch()
    while not Path(folder, other).exists():
        if time.time() - start > timeout:
            raise TimeoutError(f"{other} never started while {me} ran")
        time.sleep(0.01)
    time.sleep(1.0)
    return start, time.time()


def boom(message: str):
    raise ValueError(message)


def big_file(rel: str, size: int, byte: int) -> Produced:
    return Produced(files={rel: bytes([byte]) * size}, value=size)


def big_files(count: int, size: int) -> list[Task]:
    """out/0.bin, out/1.bin, ...: each ``size`` bytes of its own number."""
    return [Task(f"big {i}", big_file, (f"out/{i}.bin", size, i)) for i in range(count)]


def where() -> dict:
    """Where this task ran: its process, working directory, the project root its code sees, its thread cap."""
    from journey_base.paths import ROOT

    return {"pid": os.getpid(), "cwd": os.getcwd(), "root": str(ROOT), "omp": os.environ.get("OMP_NUM_THREADS")}
