"""The exercise notebook round-trips through the real nbgrader (the PyPI package in the test extra):
``symgrad worksheet --format ipynb --exercise`` → ``generate_assignment`` → filled-in copies →
``autograde`` → the gradebook's scores.

Golden answers are the lecture's, derived by hand for L = (a*b + c)*f at a=2, b=-3, c=10, f=-2:
dL/da = b*f = 6, dL/db = a*f = -4, dL/dc = f = -2, dL/df = a*b + c = 4, dL/de = f = -2,
dL/dd = f = -2, dL/dL = 1. Each name has a number test and a formula test of 1 point: 14 points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbgrader = pytest.importorskip("nbgrader")  # in the test extra: CI always has it

from helpers import ROOT  # noqa: E402
LECTURE = "e = a*b; d = e + c; L = d*f"
RIGHT = {"a": (6.0, "b*f"), "b": (-4.0, "a*f"), "c": (-2.0, "f"), "f": (4.0, "a*b + c"), "e": (-2.0, "f"),
         "d": (-2.0, "f"), "L": (1.0, "1")}

pytestmark = pytest.mark.slow


def _src(cell: dict) -> str:
    return "".join(cell["source"])  # nbformat stores source as a list of lines


def _fill(release: dict, answers: dict[str, tuple[float, str]]) -> dict:
    """The student's copy: each solution cell's 'raise NotImplementedError()' replaced by answers."""
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("solution"):
            continue
        name = meta["grade_id"].split("-", 2)[2]     # answer-<i>-<name>
        if name in answers:
            number, formula = answers[name]
            cell["source"] = f"grad_{name} = {number!r}\nformula_{name} = {formula!r}\n"
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    source = root / "source" / "ps1"
    source.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", LECTURE, "--at", "a=2", "b=-3", "c=10",
                           "f=-2", "--format", "ipynb", "--exercise", "-o", str(source / "sheet.ipynb")],
                          env=env, capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr
    for f in ("sheet-key.json", "sheet-key.ipynb"):   # the key files sit beside the sheet
        (source / f).rename(root / f)
    return root, env


def _api(root: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "symgrad"
    config.Exchange.root = str(root / "exchange")
    return NbGraderAPI(config=config)


def test_source_notebook_has_nbgrader_metadata(course):
    root, _ = course
    nb = json.loads((root / "source" / "ps1" / "sheet.ipynb").read_text())
    metas = [c["metadata"]["nbgrader"] for c in nb["cells"]]
    assert all(m["schema_version"] == 3 for m in metas)
    tests = [m for m in metas if m["grade"]]
    solutions = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["solution"]]
    assert sum(m["points"] for m in tests) == 14 and len(solutions) == 7
    assert all("### BEGIN SOLUTION" in _src(c) and "### END SOLUTION" in _src(c) for c in solutions)
    assert all(m["locked"] for m in metas if not m["solution"])
    assert len({m["grade_id"] for m in metas}) == len(metas)


def test_generate_fill_autograde(course, monkeypatch):
    root, env = course
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])  # the grading kernel imports this tree's symgrad
    api = _api(root)
    result = api.generate_assignment("ps1")
    assert result["success"], result["log"]
    release = json.loads((root / "release" / "ps1" / "sheet.ipynb").read_text())
    student_cells = [c for c in release["cells"] if c["metadata"]["nbgrader"]["solution"]]
    assert all("raise NotImplementedError()" in _src(c) and "b*f" not in _src(c) for c in student_cells)
    assert not any("### BEGIN HIDDEN TESTS" in _src(c) for c in release["cells"])

    wrong_formula = {"a": "f", "b": "f", "c": "1", "f": "a*b", "e": "1", "d": "e", "L": "0"}
    half = {name: (number, wrong_formula[name]) for name, (number, _) in RIGHT.items()}  # 7 of 14 right
    submissions = {"right": _fill(release, RIGHT), "half": _fill(release, half), "empty": release}
    for student, nb in submissions.items():
        folder = root / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        (folder / "sheet.ipynb").write_text(json.dumps(nb))
        result = api.autograde("ps1", student, create=True)
        assert result["success"], result["log"]

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="symgrad") as gb:
        scores = {s: (gb.find_submission("ps1", s).score, gb.find_submission("ps1", s).max_score)
                  for s in submissions}
    assert scores == {"right": (14.0, 14.0), "half": (7.0, 14.0), "empty": (0.0, 14.0)}
