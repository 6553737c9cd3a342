"""docs/sweeps.md works when followed in order: every bash, python and toml block runs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "sweeps.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block, in page order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def test_every_block_is_runnable_or_marked():
    kinds = {lang for lang, _ in blocks(PAGE.read_text(encoding="utf-8"))}
    assert kinds <= {"bash", "python", "toml", "text"}, kinds


def test_sweeps_page_runs_in_order(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import statnn.sweep as sw

    shutil.copytree(ROOT / "experiments" / "sweeps", tmp_path / "experiments" / "sweeps")
    monkeypatch.chdir(tmp_path)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    namespace: dict = {}
    ran = []
    for lang, code in blocks(PAGE.read_text(encoding="utf-8")):
        if lang == "python":
            exec(compile(code, f"{PAGE.name} block {len(ran)}", "exec"), namespace)
        elif lang == "bash":
            for line in code.splitlines():
                command = line.split("#", 1)[0].strip()
                if not command:
                    continue
                argv = shlex.split(command)
                assert argv[0] == "statnn", line
                done = subprocess.run(
                    [sys.executable, "-m", "statnn", *argv[1:]],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=600,
                )
                assert done.returncode == 0, (line, done.stderr)
        elif lang == "toml":
            (tmp_path / "page.toml").write_text(code, encoding="utf-8")
            sw.load_sweep_file(tmp_path / "page.toml")
        else:
            continue
        ran.append(lang)
    assert {"bash", "python", "toml"} <= set(ran)
    assert (tmp_path / "results" / "ising_quick" / "results.nc").is_file()
    assert (tmp_path / "results" / "ising_api" / "results.nc").is_file()
