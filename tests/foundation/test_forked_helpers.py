"""Forked helpers (the engine's matchers, the signing helpers) die with their parent and never
touch what the parent inherited them: each scenario runs in a fresh interpreter (a fork of this
test process would inherit the session's Redis connections), whose parent is killed with
``kill -9`` while its children are busy writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.faults import alive, assert_all_die

ROOT = Path(__file__).resolve().parents[2]

_HOOKS = """
import multiprocessing, multiprocessing.util, os, sys
from verification.linkage.engine import fork_pool

class Connection:  # stands for kombu's broker connection, which registers such a hook
    pass

connection = Connection()
multiprocessing.util.register_after_fork(connection, lambda c: open(sys.argv[1], "a").write("touched\\n"))

def child(_):
    return os.getpid()

with fork_pool(2) as pool:
    pool.map(child, range(4))
print("guarded", os.path.exists(sys.argv[1]))
with multiprocessing.get_context("fork").Pool(1) as pool:  # the plain pool, for comparison
    pool.map(child, range(2))
print("plain", os.path.exists(sys.argv[1]))
"""

_ENGINE_POOL = """
import os, sys, time
from verification.linkage.engine import fork_pool

def scribble(_):
    while True:
        with open(sys.argv[1], "a") as out:
            out.write(f"{os.getpid()}\\n")
        time.sleep(0.02)

pool = fork_pool(2)
pool.map_async(scribble, range(2))
time.sleep(600)
"""

_SIGNING_HELPERS = """
import os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "vaxrecon.settings.test"
django.setup()
from signing.runner import _run_forked

def scribble(_chunk):
    while True:
        with open(sys.argv[1], "a") as out:
            out.write(f"{os.getpid()}\\n")
        time.sleep(0.02)

_run_forked([[1], [2]], 2, scribble)
"""


def _run(script: str, *args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env, text=True, **kwargs)


def _writers(path: Path) -> set[int]:
    return {int(line) for line in path.read_text().split()} if path.exists() else set()


def _kill_parent_and_watch(script: str, tmp_path: Path) -> tuple[set[int], int, int]:
    """Start `script`, wait for two children writing, kill -9 the parent; returns the children,
    the file's size a moment after the kill, and its size half a second later."""
    out = tmp_path / "writes.txt"
    parent = _run(script, str(out))
    try:
        deadline = time.monotonic() + 30
        while len(_writers(out)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _writers(out)
        assert len(children) == 2 and parent.pid not in children
        assert all(alive(pid) for pid in children)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert_all_die(children)
        time.sleep(0.1)
        size = out.stat().st_size
        time.sleep(0.5)
        return children, size, out.stat().st_size
    finally:
        if parent.poll() is None:
            parent.kill()


def test_the_engines_forked_matchers_run_no_after_fork_hook_but_multiprocessings_own(tmp_path):
    marker = tmp_path / "hook.txt"
    result = subprocess.run([sys.executable, "-c", _HOOKS, str(marker)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["guarded False", "plain True"]


def test_the_engines_forked_matchers_die_when_their_parent_is_killed(tmp_path):
    _children, size, later = _kill_parent_and_watch(_ENGINE_POOL, tmp_path)

    assert later == size  # nothing more written


def test_the_signing_helpers_die_when_their_parent_is_killed(tmp_path):
    _children, size, later = _kill_parent_and_watch(_SIGNING_HELPERS, tmp_path)

    assert later == size
