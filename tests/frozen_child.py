"""Run a snippet as the installed app would run it: in a child process that looks frozen (`sys._MEIPASS` is a
bundle folder) and where the given packages cannot be imported. A None entry in sys.modules is what Python
reports as "no such module", for import and find_spec alike; every attempt to import one is recorded in
`attempts` (an attempt counts even when its ImportError is caught). The snippet prints one JSON object last."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import REPO

_PREAMBLE = """\
import builtins, json, sys, time
BLOCKED = {blocked!r}
for name in BLOCKED:
    sys.modules[name] = None
attempts, real_import = [], builtins.__import__

def recording_import(name, *args, **kwargs):
    if name.split(".")[0] in BLOCKED:
        attempts.append(name)
    return real_import(name, *args, **kwargs)

builtins.__import__ = recording_import
sys._MEIPASS = {bundle!r}
sys.path.insert(0, {repo!r})
"""


def run_as_frozen(snippet: str, bundle: Path, blocked: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object the snippet printed last (it may use `attempts`, `BLOCKED`, json, sys and time)."""
    code = _PREAMBLE.format(blocked=blocked, bundle=str(bundle), repo=str(REPO)) + textwrap.dedent(snippet)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
