"""Measure a child process: shared by the benchmarks that run `icp` as a user would."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def run_peak_rss(cmd: list[str]) -> int:
    """Run ``cmd``; return its own peak RSS in KiB (VmHWM, polled).

    Not getrusage(RUSAGE_CHILDREN): Linux keeps ru_maxrss across exec, so a child forked
    from this process (which holds a 10M-row table) would report this process's size.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.02)
    _, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode(errors='replace')[-500:]}")
    return peak
