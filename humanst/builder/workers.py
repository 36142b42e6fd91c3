"""Worker processes that die with the build: no orphan keeps computing after its parent is killed.

A ``kill -9`` of ``humanst build`` cannot run any clean-up in the parent, so each pool worker watches its
parent itself: on Linux the kernel sends it SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``, the
mechanism ``torch.multiprocessing`` and many job runners use); elsewhere a daemon thread polls the parent pid
once a second. The multiprocessing resource tracker then sees its pipe close and exits too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 1.0


def _pdeathsig() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent is gone: leave at once, no clean-up can be owed to it
        time.sleep(POLL_S)


def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when ``parent_pid`` ends; call first thing in the worker.

    Parameters
    ----------
    parent_pid
        The pid of the process that started this one, as the parent saw itself (``os.getpid()`` there).
    """
    armed = _pdeathsig()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked to watch it
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch, args=(parent_pid,), name="humanst-parent-watch", daemon=True).start()
