"""`make ui` leaves nothing running: the launcher's stop reaches every process of each tree."""

import subprocess
import sys
import time

import psutil

from correlation_platform.orchestration.ui import default_signals, stop


def test_stop_kills_a_tree_that_ignores_signals(tmp_path):
    # Parents and children that ignore SIGINT and SIGTERM, as dagster dev's webserver,
    # daemon and code servers outlive a SIGTERM to their group.
    script = tmp_path / "stubborn.py"
    script.write_text(
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "if len(sys.argv) < 2:\n"
        "    subprocess.Popen([sys.executable, __file__, 'child'])\n"
        "time.sleep(600)\n"
    )
    children = {
        "dagster dev": subprocess.Popen([sys.executable, str(script)], start_new_session=True),
        "mlflow ui": subprocess.Popen([sys.executable, str(script)], start_new_session=True),
    }
    deadline = time.time() + 30
    while time.time() < deadline:
        trees = [psutil.Process(p.pid).children(recursive=True) for p in children.values()]
        if all(trees):
            break
        time.sleep(0.2)
    everyone = [psutil.Process(p.pid) for p in children.values()] + [c for t in trees for c in t]
    assert len(everyone) == 4
    killed = stop(children, grace=1.0)
    assert len(killed) == 4  # none obeyed a signal: all four had to be killed
    _, alive = psutil.wait_procs(everyone, timeout=10)
    assert not alive


def test_stop_lets_a_well_behaved_tree_exit_on_its_own():
    # Started as make ui starts its children: default signal actions whatever this process
    # ignores (in CI's background run the test process ignores SIGTERM by the time this
    # test runs, and an ignored disposition survives exec).
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], preexec_fn=default_signals
    )
    # Signal only once the child runs its own program: a SIGTERM that lands between fork
    # and exec meets this process's handlers, and exec then drops it.
    deadline = time.time() + 30
    while "time.sleep(600)" not in " ".join(psutil.Process(child.pid).cmdline()):
        assert time.time() < deadline, "the child never started"
        time.sleep(0.05)
    assert stop({"mlflow ui": child}, grace=10.0) == []
    assert child.wait(timeout=10) is not None


def test_children_start_with_default_signal_actions():
    ignoring = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, subprocess, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "from correlation_platform.orchestration.ui import default_signals; "
            "p = subprocess.Popen([sys.executable, '-c', 'import signal; "
            "print(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)'], "
            "preexec_fn=default_signals, stdout=subprocess.PIPE, text=True); "
            "print(p.communicate()[0].strip())",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert ignoring.communicate(timeout=60)[0].strip() == "True"
