"""requirements.lock: current with pyproject.toml, CPU torch, and the environment tests run in."""

import importlib.util
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lock_tool", REPO / "tools" / "lock.py")
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)

PYPROJECT = (REPO / "pyproject.toml").read_text()
CONSTRAINTS = (REPO / "constraints.txt").read_text()
LOCK_TEXT = (REPO / "requirements.lock").read_text()
PINS = lock.pins(LOCK_TEXT)


def test_lock_is_current():
    assert lock.check() == []


def test_a_changed_requirement_makes_the_lock_stale():
    before = lock.input_digest(PYPROJECT, CONSTRAINTS)
    widened = PYPROJECT.replace('"scipy>=1.13"', '"scipy>=1.14"')
    assert widened != PYPROJECT
    assert lock.input_digest(widened, CONSTRAINTS) != before
    added = PYPROJECT.replace('"pyyaml>=6",', '"pyyaml>=6",\n    "dask>=2026.11",')
    assert lock.input_digest(added, CONSTRAINTS) != before
    assert lock.input_digest(PYPROJECT, CONSTRAINTS + "\ndask==2026.8.0\n") != before
    # The stale lock is reported with the command that fixes it.
    stale = LOCK_TEXT.replace(lock.recorded_digest(LOCK_TEXT), "0" * 64)
    (problem,) = lock.check(stale)
    assert "make lock" in problem


def test_formatting_and_tool_settings_do_not_make_the_lock_stale():
    before = lock.input_digest(PYPROJECT, CONSTRAINTS)
    reworded = PYPROJECT.replace("line-length = 100", "line-length = 99").replace(
        "# Numerics and data.", "# Numerics, data."
    )
    assert reworded != PYPROJECT
    assert lock.input_digest(reworded, "# a comment\n" + CONSTRAINTS) == before


def test_cuda_builds_are_refused():
    cuda = LOCK_TEXT.replace("torch==2.13.0+cpu", "torch==2.13.0") + (
        "nvidia-cublas-cu12==12.9.1.4 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    )
    problems = lock.check(cuda)
    assert any("nvidia-cublas-cu12" in p for p in problems)
    assert any("not the CPU build" in p for p in problems)
    assert PINS["torch"] == "2.13.0+cpu"


def test_every_pin_carries_a_hash():
    blocks = LOCK_TEXT.split("\n")
    for i, line in enumerate(blocks):
        if lock.PIN.match(line):
            assert line.endswith("\\") and "--hash=sha256:" in blocks[i + 1], line


def _declared() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT)["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(r) for r in [*lines, *lock.constraint_lines(CONSTRAINTS)]]


def test_every_declared_requirement_is_locked_within_its_range():
    for req in _declared():
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = PINS.get(lock.canonical(req.name))
        assert pinned is not None, f"{req.name} is declared but not locked"
        assert req.specifier.contains(pinned, prereleases=True), f"{req} locked at {pinned}"


def test_the_environment_is_the_lock():
    # A venv that was not re-synced after the lock changed is caught here, package by package.
    wrong = {}
    for name, pinned in PINS.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong[name] = f"installed {installed}, locked {pinned}"
    assert not wrong, f"run `make install`: {wrong}"
