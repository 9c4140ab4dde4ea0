"""``make ui``: the Dagster UI (with the daemon) and the MLflow UI, stopped cleanly.

``dagster dev`` starts a webserver, a daemon and code servers. Sent SIGTERM to its process
group, they were found alive 30 minutes later; only SIGINT makes ``dagster dev`` shut them
down. This launcher runs ``dagster dev`` and ``mlflow ui`` each in a session of its own,
and on Ctrl-C or SIGTERM (or when either exits) it sends SIGINT to ``dagster dev``,
SIGTERM to ``mlflow ui``, waits, then kills whatever of their process trees is left.
Nothing it started survives it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from correlation_platform.paths import REPO_ROOT, corrplat_home

#: Seconds ``dagster dev`` gets to stop its webserver, daemon and code servers after
#: SIGINT before the rest of its tree is killed (it needs 2-5 s on this machine).
GRACE_SECONDS = 20.0


def _commands(dagster_port: int, mlflow_port: int) -> dict[str, list[str]]:
    home = corrplat_home()
    bin_dir = Path(sys.executable).parent
    mlflow_dir = home / "mlflow"
    mlflow_dir.mkdir(parents=True, exist_ok=True)
    return {
        "mlflow ui": [
            str(bin_dir / "mlflow"),
            "ui",
            "--backend-store-uri",
            f"sqlite:///{mlflow_dir / 'mlflow.db'}",
            "--default-artifact-root",
            str(mlflow_dir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(mlflow_port),
        ],
        "dagster dev": [
            str(bin_dir / "dagster"),
            "dev",
            "-w",
            str(REPO_ROOT / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(dagster_port),
        ],
    }


def _tree(proc: subprocess.Popen) -> list[psutil.Process]:
    try:
        parent = psutil.Process(proc.pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def default_signals() -> None:
    """In a child before exec: SIGINT and SIGTERM back to their default actions.

    Ignored dispositions survive exec: a ``make ui`` started in the background (SIGINT
    ignored) or from a process that ignores SIGTERM would pass that on, and its children
    could then not be stopped gracefully.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop(children: dict[str, subprocess.Popen], grace: float = GRACE_SECONDS) -> list[int]:
    """Stop every child and its whole tree; returns the pids that had to be killed."""
    trees = {name: _tree(proc) for name, proc in children.items()}
    for name, proc in children.items():
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT if name == "dagster dev" else signal.SIGTERM)
    everyone = [p for tree in trees.values() for p in tree]
    _, alive = psutil.wait_procs(everyone, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in alive]


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make ui``: Dagster and MLflow UIs until Ctrl-C; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dagster-port", type=int, default=3000)
    parser.add_argument("--mlflow-port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DAGSTER_HOME", str(corrplat_home() / "dagster"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    children = {
        name: subprocess.Popen(cmd, start_new_session=True, preexec_fn=default_signals)
        for name, cmd in _commands(args.dagster_port, args.mlflow_port).items()
    }
    print(
        f"Dagster UI http://127.0.0.1:{args.dagster_port}  MLflow UI "
        f"http://127.0.0.1:{args.mlflow_port}  (Ctrl-C stops both)",
        flush=True,
    )
    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping and all(p.poll() is None for p in children.values()):
            time.sleep(0.5)
    finally:
        exited = [n for n, p in children.items() if p.poll() is not None]
        killed = stop(children)
        reason = f"signal {stopping[0]}" if stopping else f"{', '.join(exited)} exited"
        print(f"stopped ({reason}); {len(killed)} processes had to be killed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
