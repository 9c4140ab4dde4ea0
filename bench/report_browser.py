"""Check the backtest report in a real headless browser (Debian's chromium).

Loads the HTML file offline, lets its scripts run, and checks that every plotly figure
rendered (an SVG per figure in the final DOM) and that the console shows no error; also
saves a screenshot beside the report. Exits non-zero on any failure.

Usage: ``.venv/bin/python bench/report_browser.py [REPORT.html]`` (default: the report of
``make run``, ``$CORRPLAT_HOME/reports/backtest_report.html``). Needs ``chromium``
(``apt-get install chromium``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Virtual milliseconds the page gets to run its scripts before the DOM is read.
BUDGET_MS = 20_000
#: A console message in chromium's stderr log (every level: the page should be silent).
CONSOLE = re.compile(r":(\w+):CONSOLE[:(]\d+\)?\] \"(.*?)\", source: (.*)$")


def chromium(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("chromium is not installed: apt-get install chromium")
    return subprocess.run(
        [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--enable-logging=stderr", "--v=0", f"--virtual-time-budget={BUDGET_MS}", *args,
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def check(report: Path) -> int:
    page = report.read_text(encoding="utf-8")
    expected = page.count("Plotly.newPlot")
    url = report.resolve().as_uri()
    dom = chromium("--dump-dom", url)
    figures_drawn = dom.stdout.count('class="plot-container plotly"')
    errors = []
    for line in dom.stderr.splitlines():
        found = CONSOLE.search(line)
        if found:
            errors.append(f"{found.group(2)} ({found.group(3)})")
    shot = report.with_suffix(".png")
    chromium("--window-size=1300,3000", f"--screenshot={shot}", url)
    print("| report | figures in page | figures rendered | console errors | screenshot |")
    print("|---|---|---|---|---|")
    print(f"| {report.name} | {expected} | {figures_drawn} | {len(errors)} | {shot.name} |")
    for e in errors:
        print(f"console error: {e}")
    ok = figures_drawn == expected > 0 and not errors
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    home = Path(os.environ.get("CORRPLAT_HOME", Path(__file__).parents[1] / ".corrplat"))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else home / "reports" / "backtest_report.html"
    if not target.exists():
        sys.exit(f"{target} does not exist: run `make run` first or pass a report path")
    sys.exit(check(target))
