"""The environment lock: regenerate it (``make lock``) and check it (tests, ``make install``).

``requirements.lock`` pins every package of the environment (the runtime dependencies
and the ``dev`` extra, transitively) at an exact version with its hashes, resolved by
``uv pip compile`` from ``pyproject.toml`` and ``constraints.txt``. Its first line records
a digest of everything the resolution depends on (the requirements, the constraints and
the compile options below), so a change to ``pyproject.toml`` that was not followed by
``make lock`` is detected by ``python tools/lock.py check`` and the test suite.

Usage::

    python tools/lock.py compile [--upgrade]   # make lock / make lock-upgrade
    python tools/lock.py check                 # exit 1 with the reason when stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
PYPROJECT = REPO / "pyproject.toml"
CONSTRAINTS = REPO / "constraints.txt"
DIGEST_PREFIX = "# inputs-sha256: "
#: The interpreter and platform the lock is resolved for: CPython 3.11 on x86-64 Linux, the
#: one build of torch 2.13.0 (CPU) that lies on the project's machines is for cp311.
PYTHON_VERSION = "3.11"
PYTHON_PLATFORM = "x86_64-manylinux_2_28"
#: Where the CPU build of torch lies (pip's own configuration on these machines points
#: there too); PyPI's torch 2.13.0 is the CUDA build with its multi-GB nvidia-* packages.
TORCH_WHEELS = os.environ.get("CORRPLAT_TORCH_WHEELS", "/opt/wheels")
COMPILE_OPTIONS = (
    "--extra",
    "dev",
    "--constraints",
    "constraints.txt",
    "--python-version",
    PYTHON_VERSION,
    "--python-platform",
    PYTHON_PLATFORM,
    "--generate-hashes",
    "--emit-find-links",
    "--custom-compile-command",
    "make lock",
)
#: Packages that must never appear in the lock: the CUDA stack PyPI's torch pulls in.
FORBIDDEN = re.compile(r"^(nvidia-.*|triton|cuda-.*)$")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """A distribution name in its PEP 503 normal form (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def constraint_lines(text: str) -> list[str]:
    """The requirement lines of a constraints file (comments and blanks dropped)."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def input_digest(pyproject: str, constraints: str) -> str:
    """SHA-256 of what the resolution depends on, independent of formatting and comments.

    Parameters
    ----------
    pyproject : str
        The text of ``pyproject.toml``.
    constraints : str
        The text of ``constraints.txt``.

    Returns
    -------
    str
        The hex digest.
    """
    data = tomllib.loads(pyproject)
    project = data.get("project", {})
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
        "constraints": constraint_lines(constraints),
        "options": list(COMPILE_OPTIONS),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def current_digest() -> str:
    """The digest of the working tree's ``pyproject.toml`` and ``constraints.txt``."""
    return input_digest(PYPROJECT.read_text(), CONSTRAINTS.read_text())


def recorded_digest(lock_text: str) -> str | None:
    """The digest the lock was generated from, None when it has no digest line."""
    for line in lock_text.splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def pins(lock_text: str) -> dict[str, str]:
    """Canonical package name -> exact version, for every ``name==version`` in the lock."""
    found = {}
    for line in lock_text.splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def check(lock_text: str | None = None) -> list[str]:
    """Every reason the lock does not match the project's declared dependencies.

    Parameters
    ----------
    lock_text : str, optional
        Default the committed ``requirements.lock``.

    Returns
    -------
    list of str
        Empty when the lock is current.
    """
    if lock_text is None:
        if not LOCK.exists():
            return [f"{LOCK.name} is missing: run `make lock`"]
        lock_text = LOCK.read_text()
    problems = []
    recorded, now = recorded_digest(lock_text), current_digest()
    if recorded != now:
        problems.append(
            f"{LOCK.name} was generated from other inputs (digest {recorded}) than "
            f"pyproject.toml and constraints.txt now declare ({now}): run `make lock` "
            "and commit the lock"
        )
    locked = pins(lock_text)
    forbidden = sorted(name for name in locked if FORBIDDEN.match(name))
    if forbidden:
        problems.append(f"the lock pulls CUDA packages {forbidden}: torch must be the CPU build")
    if not locked.get("torch", "").endswith("+cpu"):
        problems.append(f"torch is locked at {locked.get('torch')}, not the CPU build")
    return problems


def compile_lock(*, upgrade: bool = False) -> None:
    """Resolve the lock with ``uv pip compile`` and stamp it with the inputs' digest.

    Existing pins are kept where they still satisfy the inputs (``upgrade=False``), as
    pip-compile does; ``upgrade=True`` takes the newest versions the ranges allow.

    Parameters
    ----------
    upgrade : bool, default False
        Pass ``--upgrade`` to the resolver.
    """
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not installed: `make install` installs the locked version")
    command = [
        uv,
        "pip",
        "compile",
        "pyproject.toml",
        *COMPILE_OPTIONS,
        "--find-links",
        TORCH_WHEELS,
        "--output-file",
        LOCK.name,
        "--quiet",
        *(["--upgrade"] if upgrade else []),
    ]
    subprocess.run(command, cwd=REPO, check=True)
    body = LOCK.read_text()
    LOCK.write_text(f"{DIGEST_PREFIX}{current_digest()}\n{body}")
    problems = check()
    if problems:
        raise SystemExit("\n".join(problems))
    print(f"{LOCK.name}: {len(pins(body))} packages pinned")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``compile [--upgrade]`` or ``check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    compile_parser = sub.add_parser("compile", help="regenerate requirements.lock")
    compile_parser.add_argument("--upgrade", action="store_true")
    sub.add_parser("check", help="fail when the lock is stale")
    args = parser.parse_args(argv)
    if args.command == "compile":
        compile_lock(upgrade=args.upgrade)
        return 0
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
