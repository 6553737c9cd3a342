"""Every ```python block of README.md and docs/**/*.md runs, page by page, in page order.

Each page's blocks are joined in order and run as one script in a fresh temporary folder
(a subprocess with this checkout first on ``PYTHONPATH`` and the Agg matplotlib backend),
as a reader following the page would run them. An HTML comment on the lines just before a
block (invisible on the rendered page) changes how it is tested:

* ``<!-- doctest: skip -->`` — not run (say why in the comment, e.g. needs a GPU or data
  the reader must download);
* ``<!-- doctest: replace "OLD" "NEW" -->`` — run with the text OLD replaced by NEW
  (several such comments may precede one block): smaller sizes for CI where a page
  shows the real ones, e.g. ``replace "quick" "tiny"``.

Blocks in other languages (```bash, ```toml) are not run here; docs/sweeps.md, whose
bash, toml and python blocks depend on each other, has its own runner
(tests/test_docs_sweeps.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Pages run by their own test (with their bash and toml blocks too): not run twice.
OWN_RUNNER = {ROOT / "docs" / "sweeps.md": "tests/test_docs_sweeps.py"}
PAGES = [
    p for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))] if p not in OWN_RUNNER
]
MARKER = re.compile(r"<!--\s*doctest:\s*(.*?)\s*-->")
REPLACE = re.compile(r'^replace\s+"((?:[^"\\]|\\.)*)"\s+"((?:[^"\\]|\\.)*)"$')


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block to run, markers applied."""
    lines = text.splitlines()
    blocks, markers = [], []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        found = MARKER.fullmatch(line)
        if found:
            markers.append(found.group(1))
        elif line.startswith("```"):
            language = line[3:].strip()
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith("```"):
                end += 1
            code = "\n".join(lines[i + 1 : end])
            if language == "python" and "skip" not in markers:
                for marker in markers:
                    repl = REPLACE.match(marker)
                    if repl:
                        old, new = (s.replace('\\"', '"') for s in repl.groups())
                        assert old in code, (
                            f"doctest marker before line {i + 1}: {old!r} not in block"
                        )
                        code = code.replace(old, new)
                    elif marker != "skip":
                        raise AssertionError(
                            f"unknown doctest marker {marker!r} before line {i + 1}"
                        )
                blocks.append((i + 2, code))
            markers = []
            i = end
        elif line:
            markers = []  # a marker applies to the block right after it only
        i += 1
    return blocks


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


RUNNABLE = [p for p in PAGES if python_blocks(p.read_text(encoding="utf-8"))]


def test_every_page_with_code_is_collected():
    assert ROOT / "README.md" in RUNNABLE
    assert any(p.parent.name == "experiments" for p in RUNNABLE)


@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_runs_in_order(page, tmp_path):
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    script = "\n\n".join(f"# --- {page_id(page)}, block at line {n}\n{code}" for n, code in blocks)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "MPLBACKEND": "Agg",
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"{page_id(page)} failed:\n{done.stderr[-4000:]}"


def test_markers():
    text = """
<!-- doctest: skip -->
```python
raise SystemExit(1)
```
<!-- doctest: replace "quick" "tiny" -->
```python
size = "quick"
```

<!-- doctest: skip -->
Some text.
```python
x = 1
```
"""
    assert python_blocks(text) == [(8, 'size = "tiny"'), (14, "x = 1")]
