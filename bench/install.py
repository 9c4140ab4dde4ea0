"""Fresh-install time: pip without the lock (before issue 23), pip with it, and uv with it.

Each way installs into a new venv with an empty download cache, as on a new machine, and
is timed from venv creation to a clean `pip check`. Run from the repository root:
`.venv/bin/python bench/install.py` (about 6 minutes; it downloads everything three times).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = shutil.which("python3.11") or "python3"
UV_VERSION = next(
    line.split("==")[1].split()[0]
    for line in (REPO / "requirements.lock").read_text().splitlines()
    if line.startswith("uv==")
)


def _ways(venv: Path, cache: Path) -> dict[str, list[list[str]]]:
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-qq", "--cache-dir", str(cache)]
    uv = [str(venv / "bin" / "uv"), "pip"]
    py = ["--python", str(venv / "bin" / "python")]
    return {
        "pip, unlocked (constraints.txt only)": [
            [*pip, "-c", "constraints.txt", "-e", ".[dev]"],
        ],
        "pip, requirements.lock": [
            [*pip, "--require-hashes", "--no-deps", "-r", "requirements.lock"],
            [*pip, "--no-deps", "--no-build-isolation", "-e", "."],
        ],
        "uv, requirements.lock (make install)": [
            [*pip, f"uv=={UV_VERSION}"],
            [*uv, "sync", "-q", *py, "--require-hashes", "requirements.lock"],
            [*uv, "install", "-q", *py, "--no-deps", "--no-build-isolation", "-e", "."],
        ],
    }


def main() -> None:
    rows = []
    for name in _ways(Path("v"), Path("c")):
        with tempfile.TemporaryDirectory() as tmp:
            venv, cache = Path(tmp) / "venv", Path(tmp) / "cache"
            # The machine's pip configuration (find-links to the CPU torch) stays in force.
            env = {**os.environ, "UV_CACHE_DIR": str(cache)}
            started = time.perf_counter()
            subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
            for command in _ways(venv, cache)[name]:
                subprocess.run(command, cwd=REPO, check=True, env=env)
            check = [str(venv / "bin" / "python"), "-m", "pip", "check"]
            ok = subprocess.run(check, capture_output=True, text=True).returncode == 0
            seconds = time.perf_counter() - started
            rows.append((name, seconds, ok))
            print(f"{name}: {seconds:.0f} s, pip check {'clean' if ok else 'FAILED'}", flush=True)
    print("\n| install | seconds | pip check |\n|---|---:|---|")
    for name, seconds, ok in rows:
        print(f"| {name} | {seconds:.0f} | {'clean' if ok else 'broken'} |")


if __name__ == "__main__":
    sys.exit(main())
