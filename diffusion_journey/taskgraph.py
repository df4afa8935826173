"""Runs a graph of tasks on all cores (a local process pool) or on a Ray cluster.

A task is a module-level function with picklable arguments, the names of the tasks it waits for, and a rough
cost: among the tasks whose deps are done the costliest starts first, so long renders do not end up last.
A task that makes files returns them as ``Produced(files={relative path: bytes}, value=...)``; the driver
writes them under the project root (atomically) before any dependent starts. Task code is thus the same
whether it runs in this process, in a local worker or on another machine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from journey_base.files import atomic_write_bytes
from journey_base.paths import BUILD, ROOT

# What never travels to Ray workers: environments, generated output, caches. models/ does (~33 MB of weights
# the workers need). Ray also skips what .gitignore lists; these are the names a fresh clone may not ignore.
RAY_EXCLUDES = [".venv", "build", "media", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis",
                ".ruff_cache", ".dj-tmp-*"]
# Ray refuses a working_dir of 512 MiB or more (its gRPC message limit) and zips it on every start: stay far below.
RAY_UPLOAD_LIMIT = 200 * 2**20


@dataclass(frozen=True)
class Task:
    name: str  # unique, shown in progress and in errors, e.g. "render 07 beats 3-5"
    fn: Callable[..., Any]  # a module-level (picklable) function
    args: tuple = ()  # picklable arguments
    deps: tuple[str, ...] = ()  # names of tasks that must finish first
    cost: float = 1.0  # rough seconds; among ready tasks the costliest starts first
    inputs: tuple[Path, ...] = ()  # files or folders under the root or build/ that a remote worker may lack
    in_driver: bool = False  # run in the calling process (cheap tasks, or ones needing the driver's files)


@dataclass(frozen=True)
class Produced:
    """What a task that makes files returns: the files (paths relative to the root; an absolute one is taken as
    it is, e.g. a build folder moved out of the project) and its result."""

    files: dict[str, bytes]
    value: Any = None


class TaskFailed(RuntimeError):
    """A task raised; the message names it, the original error is chained."""


def run_graph(tasks: list[Task], jobs: int | None = None, executor: str = "local",
              ray_address: str | None = None, progress: bool = True, root: Path = ROOT,
              outputs: Path | None = None) -> dict[str, Any]:
    """Run every task once its deps are done; returns {task name: fn's return value}. ``root`` is the
    project (what travels to Ray workers); Produced files are relative to ``outputs`` (default: root),
    e.g. the build folder, which may lie outside the project."""
    root = Path(root).resolve()
    out = Path(outputs).resolve() if outputs is not None else root
    _validate(tasks, root, inputs_travel=executor == "ray")
    jobs = jobs or os.cpu_count() or 1
    # On a terminal only (disable=None): a log or a caller reading stderr gets the tasks' own lines, not a bar.
    bar = tqdm(total=len(tasks), desc="tasks", file=sys.stderr, leave=True, disable=None if progress else True)
    try:
        if executor == "local" and jobs == 1:
            return _run_serial(tasks, out, bar)
        if executor == "local":
            return _run_pooled(tasks, out, bar, _LocalPool(jobs))
        if executor == "ray":
            return _run_pooled(tasks, out, bar, _RayPool(jobs, ray_address, root))
        raise ValueError(f"unknown executor {executor!r} (use 'local' or 'ray')")
    finally:
        bar.close()


def _validate(tasks: list[Task], root: Path, inputs_travel: bool) -> None:
    names = [t.name for t in tasks]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise ValueError(f"duplicate task names: {', '.join(dupes)}")
    known = set(names)
    for t in tasks:
        if unknown := [d for d in t.deps if d not in known]:
            raise ValueError(f"task '{t.name}' depends on unknown task(s): {', '.join(unknown)}")
        for p in t.inputs if inputs_travel else ():  # local workers share this machine's files
            if _travelling_name(root, p) is None:
                raise ValueError(f"task '{t.name}': input {p} is not under the project root {root} or the build "
                                 f"folder {BUILD}, so it cannot travel to a Ray worker")
    if cycle := _find_cycle(tasks):
        raise ValueError(f"dependency cycle: {' -> '.join(cycle)}")


def _travelling_name(root: Path, p: Path) -> tuple[str, str] | None:
    """("root" | "build", path relative to it): how an input is named on a worker, whose project copy and
    build folder are its own; None when it is under neither."""
    path = (root / p).resolve()
    for base, folder in (("build", BUILD), ("root", root)):  # build/ first: it may lie inside the project
        if path.is_relative_to(folder):
            return base, path.relative_to(folder).as_posix()
    return None


def _find_cycle(tasks: list[Task]) -> list[str] | None:
    """A cycle as [a, b, ..., a], or None. Depth-first, iterative: a long chain must not hit the recursion limit."""
    deps = {t.name: t.deps for t in tasks}
    state: dict[str, str] = {}  # "open" while on the current path, "done" once all its deps are cycle-free
    for start in deps:
        if start in state:
            continue
        path, todo = [start], [iter(deps[start])]
        state[start] = "open"
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                state[path.pop()] = "done"
                todo.pop()
            elif state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            elif dep not in state:
                state[dep] = "open"
                path.append(dep)
                todo.append(iter(deps[dep]))
    return None


class _Graph:
    """The run's state: which tasks may start (all deps done; the costliest first, ties in list order, so the
    serial path is deterministic), the results so far, and the progress bar."""

    def __init__(self, tasks: list[Task], root: Path, bar: tqdm):
        self.root, self.bar, self.total = root, bar, len(tasks)
        self.position = {t.name: i for i, t in enumerate(tasks)}
        self.waiting_on = {t.name: set(t.deps) for t in tasks}
        self.dependents: dict[str, list[Task]] = {t.name: [] for t in tasks}
        for t in tasks:
            for d in set(t.deps):
                self.dependents[d].append(t)
        self.ready = [t for t in tasks if not t.deps]
        self.results: dict[str, Any] = {}

    def next(self, in_driver: bool | None = None) -> Task | None:
        """The next ready task (only driver or only worker tasks when asked), or None."""
        candidates = [t for t in self.ready if in_driver is None or t.in_driver == in_driver]
        if not candidates:
            return None
        best = min(candidates, key=lambda t: (-t.cost, self.position[t.name]))
        self.ready.remove(best)
        return best

    def finish(self, task: Task, value: Any) -> None:
        """Write what the task produced (before any dependent starts: it may read it), keep its result."""
        if isinstance(value, Produced):
            for rel, data in value.files.items():
                # A temp file beside it, then a rename: a killed driver never leaves half a file under this name.
                _guarded(task, atomic_write_bytes, self.root / rel, data)
            value = value.value
        self.results[task.name] = value
        for t in self.dependents[task.name]:
            self.waiting_on[t.name].discard(task.name)
            if not self.waiting_on[t.name]:
                self.ready.append(t)
        self.bar.update()

    def unfinished(self) -> bool:
        return len(self.results) < self.total

    def show_running(self, tasks: list[Task]) -> None:
        names = ", ".join(t.name for t in tasks[:4]) + (f" +{len(tasks) - 4} more" if len(tasks) > 4 else "")
        self.bar.set_postfix_str(f"running: {names}" if tasks else "", refresh=True)


def _guarded(task: Task, fn: Callable[..., Any], *args) -> Any:
    """fn(*args), its error raised as TaskFailed naming the task (the original chained)."""
    try:
        return fn(*args)
    except Exception as e:
        raise _failed(task, e) from e


def _failed(task: Task, error: BaseException) -> TaskFailed:
    line = f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
    return TaskFailed(f"task '{task.name}' failed: {line}")


def _run_serial(tasks: list[Task], root: Path, bar: tqdm) -> dict[str, Any]:
    """Everything in this process, one at a time: the reference (and the one to debug with)."""
    graph = _Graph(tasks, root, bar)
    while (task := graph.next()) is not None:
        graph.show_running([task])
        graph.finish(task, _guarded(task, task.fn, *task.args))
    return graph.results


def _run_pooled(tasks: list[Task], root: Path, bar: tqdm, pool) -> dict[str, Any]:
    """Keep every worker busy with the costliest ready task; driver tasks run here between results.

    Only as many tasks as there are slots are handed to the pool (not all that are ready): a costly task that
    becomes ready later still goes before cheap ones ready earlier, and a failure has little to cancel."""
    graph = _Graph(tasks, root, bar)
    running: dict[Any, Task] = {}  # pool handle -> task
    try:
        while graph.unfinished():
            while len(running) < pool.slots and (task := graph.next(in_driver=False)) is not None:
                running[_guarded(task, pool.submit, task)] = task  # submitting reads its inputs: may fail
            if (task := graph.next(in_driver=True)) is not None:
                # The workers keep going meanwhile; what they finish is collected on a later turn.
                graph.show_running([*running.values(), task])
                graph.finish(task, _guarded(task, task.fn, *task.args))
                continue
            graph.show_running(list(running.values()))
            assert running, "no task ready or running, yet some unfinished"  # _validate rules this out
            for handle in pool.wait(list(running)):
                task = running.pop(handle)
                graph.finish(task, _guarded(task, pool.result, handle))
    except KeyboardInterrupt:
        pool.stop(running, interrupted=True)
        raise
    except BaseException:
        # Start nothing new; what already finished stays written (a cache for the next run).
        pool.stop(running, interrupted=False)
        raise
    pool.stop({}, interrupted=False)
    return graph.results


# Set in every worker process (local pool or Ray): code that must not share a cache with other processes
# (diffusion_journey.beat_render's text caches) reads it.
WORKER_ENV = "DIFFUSION_JOURNEY_WORKER"


def _limit_threads(threads: int) -> None:
    """Worker initializer: N workers, each with its own BLAS/OpenMP pool, must not oversubscribe the cores."""
    os.environ[WORKER_ENV] = "1"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    if "torch" in sys.modules:  # only when already imported (by __main__): importing torch costs seconds
        sys.modules["torch"].set_num_threads(threads)


class _LocalPool:
    def __init__(self, jobs: int):
        self.slots = jobs
        # spawn, not fork: the parent may hold torch/OpenMP threads, and a forked copy of their locks can deadlock.
        self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_limit_threads,
                                            initargs=(max(1, (os.cpu_count() or 1) // jobs),))

    def submit(self, task: Task):
        return self.executor.submit(task.fn, *task.args)

    def wait(self, handles: list) -> list:
        return list(wait(handles, return_when=FIRST_COMPLETED).done)

    def result(self, handle) -> Any:
        return handle.result()

    def stop(self, running: dict, interrupted: bool) -> None:
        # Running tasks cannot be cut short without killing the pool: wait for them, unless the user hit Ctrl-C
        # (the workers got the SIGINT too).
        self.executor.shutdown(wait=not interrupted, cancel_futures=True)


def _in_ray_worker(fn: Callable[..., Any], args: tuple, inputs: dict[tuple[str, str], tuple[str, Any]]) -> Any:
    """Runs on a Ray worker, in its copy of the project (the working_dir): first bring the task's input files
    (generated on the driver, so not in that copy) up to date, fetching only those missing or different."""
    import ray

    os.environ[WORKER_ENV] = "1"
    for (base, rel), (digest, ref) in inputs.items():
        path = (BUILD if base == "build" else Path.cwd()) / rel
        if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest):
            atomic_write_bytes(path, ray.get(ref))  # atomic: other workers on this node may be reading it
    return fn(*args)


def _start_ray(jobs: int, address: str | None, root: Path) -> bool:
    """Connect to the cluster at ``address`` (or $RAY_ADDRESS), or start a local Ray with ``jobs`` CPUs, with
    the project as the working_dir of every worker. False when a session was already up: it is used as it is
    (its runtime env is its starter's business) and left running."""
    import ray

    if ray.is_initialized():
        return False
    size = ray_upload_size(root)
    if size > RAY_UPLOAD_LIMIT:
        raise RuntimeError(f"the project would travel to Ray workers as {size / 2**20:.0f} MiB (limit "
                           f"{RAY_UPLOAD_LIMIT / 2**20:.0f} MiB): exclude what is big in {root}")
    address = address or os.environ.get("RAY_ADDRESS")
    # Ray allows a local working_dir only for the whole job, not per task: it is uploaded once, here.
    ray.init(address=address, **({} if address else {"num_cpus": jobs}), include_dashboard=False,
             runtime_env={"working_dir": str(root), "excludes": RAY_EXCLUDES})
    return True


class _RayPool:
    def __init__(self, jobs: int, address: str | None, root: Path):
        try:
            import ray
        except ImportError:
            raise RuntimeError("executor 'ray' needs Ray: pip install 'diffusion-journey[ray]' "
                               "(or pip install ray)") from None
        self.ray, self.root = ray, root
        self.started = _start_ray(jobs, address, root)
        self.slots = max(1, int(ray.cluster_resources().get("CPU", jobs)))  # the cluster's size, not ours
        # One CPU a task; Ray then caps the worker's OpenMP threads at 1 itself.
        self.remote = ray.remote(num_cpus=1)(_in_ray_worker)
        self.shipped: dict[tuple[str, str], Any] = {}  # (path, sha256) -> object ref: each version put once

    def submit(self, task: Task):
        inputs = {}
        for given in task.inputs:
            given = self.root / given
            if not given.exists():
                continue  # nothing to ship: the task finds it absent on every machine (e.g. a fresh render's plan)
            for f in sorted(q for q in given.rglob("*") if q.is_file()) if given.is_dir() else [given]:
                name = _travelling_name(self.root, f)
                data = f.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                if (name, digest) not in self.shipped:
                    self.shipped[name, digest] = self.ray.put(data)
                inputs[name] = (digest, self.shipped[name, digest])
        return self.remote.remote(task.fn, task.args, inputs)

    def wait(self, handles: list) -> list:
        return self.ray.wait(handles, num_returns=1)[0]

    def result(self, handle) -> Any:
        try:
            return self.ray.get(handle)
        except self.ray.exceptions.RayTaskError as e:
            if e.cause is None:
                raise
            raise e.cause from e  # the task's own error (its remote traceback chained), as with the local pool

    def stop(self, running: dict, interrupted: bool) -> None:
        for handle in running:
            self.ray.cancel(handle, force=True)
        if self.started:
            self.ray.shutdown()


def ray_upload_size(root: Path) -> int:
    """Bytes of the project that would travel as Ray's working_dir (an upper bound: Ray also skips what
    .gitignore lists)."""
    total = 0
    for folder, dirs, files in os.walk(root, followlinks=True):  # Ray follows links too
        dirs[:] = [d for d in dirs if not any(fnmatch(d, pattern) for pattern in RAY_EXCLUDES)]
        for f in files:
            path = os.path.join(folder, f)
            if os.path.isfile(path) and not any(fnmatch(f, pattern) for pattern in RAY_EXCLUDES):
                total += os.path.getsize(path)
    return total
