"""The README's "For teachers" and "For engineers" sections run as written.

Each ``sh`` line runs in a fresh directory holding a copy of ``examples/`` (``symgrad`` is this
tree's ``python -m symgrad``); its exit status must be the one its comment states ("exit 1"),
else 0. Each ``python`` block runs in a subprocess and must print what its comments say.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _sections() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## For teachers")
    end = text.find("\n## ", text.index("## For engineers") + 1)
    return text[start:end if end != -1 else len(text)]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _sections(), flags=re.DOTALL)


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return tmp_path, env


def test_the_sections_exist_and_have_commands():
    assert len(_blocks("sh")) >= 3 and len(_blocks("python")) >= 1


def test_shell_commands_run_as_written(workdir):
    cwd, env = workdir
    lines = [line for block in _blocks("sh") for line in block.splitlines() if line.strip()]
    assert any("symgrad grade" in line for line in lines) and any("--claim" in line for line in lines)
    for line in lines:
        expected = int(m.group(1)) if (m := re.search(r"# exit (\d)", line)) else 0
        script = f'symgrad() {{ "{sys.executable}" -m symgrad "$@"; }}\n{line}\n'
        proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == expected, (line, proc.stdout[-500:], proc.stderr[-500:])
    assert (cwd / "marks.csv").is_file() and (cwd / "marks-feedback.csv").is_file()
    assert (cwd / "source" / "ps1" / "sheet.ipynb").is_file() and (cwd / "class-3-key.json").is_file()


def test_python_blocks_print_what_they_say(workdir):
    cwd, env = workdir
    for block in _blocks("python"):
        expected = [c.strip() for c in re.findall(r"#\s*('.*?'|\d[\d.]*)\s*$", block, flags=re.MULTILINE)]
        lines = [re.sub(r"\s+#.*$", "", line) for line in block.splitlines()]
        script = "\n".join(f"print(repr({line}))" if line and "=" not in line.split("(")[0] and
                           not line.startswith(("import", "from")) else line for line in lines)
        proc = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-800:]
        assert proc.stdout.split() == expected, (block, proc.stdout)
