import subprocess
import sys

import pytest

from correlation_platform.paths import HomeBusyError, exclusive_home


def test_a_second_whole_graph_run_on_the_same_home_fails_at_once(corrplat_home):
    with exclusive_home("first run"):
        with pytest.raises(HomeBusyError, match=r"in use by pid \d+ \(first run\)"):
            with exclusive_home("second run"):
                pass
        # Another process is refused too (the lock is an OS file lock, not a flag).
        code = (
            "from correlation_platform.paths import exclusive_home\n"
            "with exclusive_home('other'): pass\n"
        )
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert other.returncode != 0 and "HomeBusyError" in other.stderr
    with exclusive_home("after release"):
        pass
