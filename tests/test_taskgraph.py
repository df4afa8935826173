"""The task-graph runner: order, validation, parallelism, failure, files that survive a killed driver, and the
same graph on a local Ray (skipped without Ray). Task functions live in tests/taskgraph_tasks.py (picklable)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import taskgraph_tasks as tt

from diffusion_journey import taskgraph
from diffusion_journey.taskgraph import Task, TaskFailed, run_graph
from journey_base.files import TEMP_PREFIX, sweep_temp
from journey_base.paths import ROOT

# Ray starts in ~5 s on idle cores, but takes minutes while something else keeps both cores busy (or fails:
# its raylet gives its agent a fixed 15 s to come up). Hence slow.
ray_slow = pytest.mark.slow
EXECUTORS = [pytest.param(("local", 1), id="serial"), pytest.param(("local", 2), id="pool"),
             pytest.param(("ray", 2), id="ray", marks=ray_slow)]


@pytest.fixture(scope="module")
def ray_session(copy_tree, tmp_path_factory):
    """One local Ray for the whole module (it takes seconds to start on two busy cores), started as run_graph
    starts it; its working_dir is a copy of the project with the task module at the top, where workers import
    it. run_graph uses a session that is already up and leaves it running."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'diffusion-journey[ray]')")
    root = copy_tree(tmp_path_factory.mktemp("ray-project"))
    shutil.copy(tt.__file__, root / "taskgraph_tasks.py")
    (root / "data").mkdir()
    (root / "data" / "stale.txt").write_text("as uploaded")
    started = time.monotonic()
    assert taskgraph._start_ray(2, None, root)
    print(f"Ray started in {time.monotonic() - started:.1f} s")
    yield root
    ray.shutdown()


@pytest.fixture
def run(request, tmp_path, monkeypatch):
    """run(tasks) on the executor of the test's parameter, rooted in tmp_path (the tasks' relative paths are
    relative to the working directory: tmp_path here, the working_dir on a Ray worker)."""
    executor, jobs = request.param
    if executor == "ray":
        request.getfixturevalue("ray_session")
    monkeypatch.chdir(tmp_path)
    return lambda tasks: run_graph(tasks, jobs=jobs, executor=executor, progress=False, root=tmp_path)


def diamond() -> list[Task]:
    """a; b and c read a's file; d reads both. Listed out of order on purpose."""
    a, b, c = Path("out/a.txt"), Path("out/b.txt"), Path("out/c.txt")
    return [
        Task("d", tt.concat, ("out/d.txt", "d", str(b), str(c)), deps=("b", "c"), inputs=(b, c)),
        Task("b", tt.concat, ("out/b.txt", "b", str(a)), deps=("a",), inputs=(a,)),
        Task("c", tt.concat, ("out/c.txt", "c", str(a)), deps=("a",), inputs=(a,)),
        Task("a", tt.write, ("out/a.txt", "A")),
    ]


@pytest.mark.parametrize("run", EXECUTORS, indirect=True)
def test_deps_finish_first_and_every_executor_gives_the_same(run, tmp_path):
    assert run(diamond()) == {"a": "A", "b": "Ab", "c": "Ac", "d": "AbAcd"}
    assert {p.name: p.read_text() for p in (tmp_path / "out").iterdir()} == {
        "a.txt": "A", "b.txt": "Ab", "c.txt": "Ac", "d.txt": "AbAcd"}


def test_serial_runs_the_costliest_ready_task_first(tmp_path):
    log = str(tmp_path / "log")
    costs = {"a": 1, "b": 5, "c": 3, "d": 5, "e": 10}
    deps = {"c": ("a",), "e": ("b",)}
    run_graph([Task(n, tt.note, (log, n), deps=deps.get(n, ()), cost=c) for n, c in costs.items()],
              jobs=1, progress=False, root=tmp_path)
    # b before d (same cost: list order); e, ready once b is done, jumps ahead of the cheaper d and a.
    assert Path(log).read_text().split() == ["b", "e", "d", "a", "c"]


@pytest.mark.parametrize("tasks, message", [
    ([Task("a", tt.read), Task("b", tt.read), Task("a", tt.read)], "duplicate task names: a"),
    ([Task("a", tt.read, deps=("ghost",))], "task 'a' depends on unknown task(s): ghost"),
    ([Task("x", tt.read), Task("a", tt.read, deps=("c",)), Task("b", tt.read, deps=("a", "x")),
      Task("c", tt.read, deps=("b",))], "dependency cycle: a -> c -> b -> a"),
    ([Task("a", tt.read, deps=("a",))], "dependency cycle: a -> a"),
], ids=["duplicate", "unknown-dep", "cycle", "self-cycle"])
def test_a_bad_graph_is_refused_before_anything_runs(tasks, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_graph(tasks, jobs=1, progress=False, root=tmp_path)


def test_an_input_that_cannot_travel_to_ray_is_refused_before_ray_starts(tmp_path):
    with pytest.raises(ValueError, match=re.escape("task 'a': input ../elsewhere.txt is not under the project")):
        run_graph([Task("a", tt.read, inputs=(Path("../elsewhere.txt"),))], executor="ray", progress=False,
                  root=tmp_path)


def test_the_pool_runs_two_tasks_at_once_and_driver_tasks_here(tmp_path):
    # Each of left and right waits for the other to start: both finish only if they ran at the same time.
    folder = str(tmp_path)
    tasks = [Task("left", tt.meet, (folder, "left", "right")), Task("right", tt.meet, (folder, "right", "left")),
             Task("here", tt.where, in_driver=True), Task("there", tt.where)]
    results = run_graph(tasks, jobs=2, progress=False, root=tmp_path)
    (start_l, end_l), (start_r, end_r) = results["left"], results["right"]
    assert max(start_l, start_r) < min(end_l, end_r)  # the two runs overlap in wall time
    assert results["here"]["pid"] == os.getpid() != results["there"]["pid"]
    assert results["there"]["omp"] == str(max(1, os.cpu_count() // 2))  # the worker's thread pools are capped


@pytest.mark.parametrize("run", EXECUTORS, indirect=True)
def test_a_failure_names_the_task_keeps_earlier_outputs_and_runs_no_dependent(run, tmp_path):
    tasks = [Task("first", tt.write, ("out/first.txt", "kept")),
             Task("bad", tt.boom, ("no luck\nsecond line",), deps=("first",)),
             Task("after", tt.write, ("out/after.txt", "never"), deps=("bad",))]
    with pytest.raises(TaskFailed, match=r"^task 'bad' failed: ValueError: no luck$") as failed:
        run(tasks)
    assert isinstance(failed.value.__cause__, ValueError)  # the task's own error, chained
    assert (tmp_path / "out" / "first.txt").read_text() == "kept"
    assert not (tmp_path / "out" / "after.txt").exists()


SIZE = 32 * 2**20  # big enough that writing one takes a while to kill it in
KILLED_DRIVER = ("import sys; from pathlib import Path; import taskgraph_tasks as tt; "
                 "from diffusion_journey.taskgraph import run_graph; "
                 f"run_graph(tt.big_files(4, {SIZE}), jobs=1, progress=False, root=Path(sys.argv[1]))")


def _sizes(folder: Path) -> dict[str, int]:
    sizes = {}
    for entry in os.scandir(folder) if folder.is_dir() else ():
        try:
            sizes[entry.name] = entry.stat().st_size
        except FileNotFoundError:  # a temp file renamed meanwhile
            pass
    return sizes


def _assert_whole(out: Path, names) -> None:
    for name in names:
        data = (out / name).read_bytes()
        assert data == bytes([int(name.split(".")[0])]) * SIZE, f"{name} is half-written ({len(data)} bytes)"


def test_a_killed_driver_never_leaves_half_a_file(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    cut_mid_write = False
    for _attempt in range(5):  # the kill must land while a file is being written; rarely it misses
        driver = subprocess.Popen([sys.executable, "-c", KILLED_DRIVER, str(tmp_path)], env=env)
        try:
            while driver.poll() is None and all(size == SIZE for size in _sizes(out).values()):
                time.sleep(0.001)
            if driver.poll() is None:
                os.kill(driver.pid, signal.SIGKILL)
        finally:
            driver.wait()
        left = _sizes(out)
        _assert_whole(out, [n for n in left if not n.startswith(TEMP_PREFIX)])
        if any(n.startswith(TEMP_PREFIX) and size < SIZE for n, size in left.items()):
            cut_mid_write = True
            break
    assert cut_mid_write, "no kill landed during a write"
    # The next run completes, and the killed run's temp files are recognisably its own.
    run_graph(tt.big_files(4, SIZE), jobs=1, progress=False, root=tmp_path)
    _assert_whole(out, [f"{i}.bin" for i in range(4)])
    sweep_temp(tmp_path)
    assert sorted(_sizes(out)) == [f"{i}.bin" for i in range(4)]


@ray_slow
def test_ray_ships_inputs_that_are_missing_or_differ(ray_session, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stale.txt").write_text("changed on the driver")  # the workers' copy: "as uploaded"
    tasks = [Task("make", tt.write, ("build/made.txt", "made on the driver")),  # build/ never travels
             Task("read made", tt.read, ("build/made.txt",), deps=("make",), inputs=(Path("build/made.txt"),)),
             Task("read stale", tt.read, ("data/stale.txt",), inputs=(Path("data/stale.txt"),)),
             Task("where", tt.where)]
    results = run_graph(tasks, jobs=2, executor="ray", progress=False, root=tmp_path)
    assert results["read made"] == "made on the driver"
    assert results["read stale"] == "changed on the driver"
    worker = results["where"]
    # It ran in Ray's unpacked copy of the project, whose code sees that copy as the root.
    assert Path(worker["root"]) == Path(worker["cwd"]).resolve() != ray_session
    assert worker["pid"] != os.getpid()


def test_what_travels_to_ray_leaves_out_environments_and_build(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "weights.bin").write_bytes(b"w" * 1000)
    for junk in (".venv/lib/big.so", "build/video/ch.mp4", ".git/objects/pack", "scenes/__pycache__/s.pyc",
                 "diffusion_journey.egg-info/PKG-INFO", "media/videos/x.mp4"):
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_bytes(b"x" * 10**6)
    assert taskgraph.ray_upload_size(tmp_path) == 1000
    assert taskgraph.ray_upload_size(ROOT) < taskgraph.RAY_UPLOAD_LIMIT  # this checkout, models included
