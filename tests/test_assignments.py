"""The nbgrader course in assignments/: generate, autograde and return feedback, in a scratch copy.

One nbgrader run per step over every assignment ("ch*"), offline, with a temporary sqlite
gradebook: the instructor (source) versions must score full marks on every autograded cell, the
released (blank) versions zero, and the committed student versions under assignments/release/
must be exactly what generate_assignment makes from the sources (the book links them for download).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.assignments

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())


STUDENTS = {"instructor": "source", "blank": "release"}   # student id: the version they submit


def _nbgrader(course: Path, *args: str, db: str = "gradebook.db"):
    """Start ``python -m nbgrader *args`` on the course with gradebook ``db``; its log goes to ``<db>.log``."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")   # nbgrader calls `alembic`
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")             # the kernels import ./lib
    log = course / f"{db}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
             f"--CourseDirectory.db_url=sqlite:///{course / db}"],
            cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    return proc, log


def _wait(*runs) -> None:
    for proc, log in runs:
        proc.wait(timeout=1500)
        assert proc.returncode == 0, log.read_text()[-6000:]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded scratch copy of the course: released, submitted twice (instructor, blank), autograded, fed back.

    Each student has a copy of the gradebook made after generate_assignment, so that the two
    autograde runs (one kernel each) go in parallel.
    """
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(COURSE / "source", course / "source")
    shutil.copy(COURSE / "nbgrader_config.py", course)
    _wait(_nbgrader(course, "generate_assignment", "ch*", "--force"))
    for student, version in STUDENTS.items():
        shutil.copy(course / "gradebook.db", course / f"gradebook-{student}.db")
        for a in ASSIGNMENTS:
            shutil.copytree(course / version / a, course / "submitted" / student / a)
    for step in ("autograde", "generate_feedback"):
        _wait(*[_nbgrader(course, step, "ch*", "--force", f"--student={student}", db=f"gradebook-{student}.db")
                for student in STUDENTS])
    return course


def _grades(course, student):
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{course / f'gradebook-{student}.db'}") as gb:
        for a in ASSIGNMENTS:
            for nb in gb.find_submission(a, student).notebooks:
                for g in nb.grades:
                    rows.append((a, g.name, g.cell.cell_type, g.auto_score, g.max_score))
    return rows


def test_source_notebooks_have_points_hidden_tests_and_proof_tasks():
    for a in ASSIGNMENTS:
        notebooks = list((COURSE / "source" / a).glob("*.ipynb"))
        assert len(notebooks) == 1, (a, notebooks)
        cells = json.loads(notebooks[0].read_text())["cells"]
        meta = [c["metadata"].get("nbgrader", {}) for c in cells]
        graded = [(c, m) for c, m in zip(cells, meta) if m.get("grade")]
        assert all(m.get("points", 0) > 0 for _, m in graded), a
        tests = [c for c, m in graded if c["cell_type"] == "code"]
        proofs = [c for c, m in graded if c["cell_type"] == "markdown" and m.get("solution")]
        assert len(tests) >= 3 and len(proofs) >= 2, a
        assert all("### BEGIN HIDDEN TESTS" in "".join(c["source"]) for c in tests), a
        assert all("**Rubric" in "".join(c["source"]) and "### BEGIN SOLUTION" in "".join(c["source"])
                   for c in proofs), a
        assert all(c.get("outputs", []) == [] for c in cells if c["cell_type"] == "code"), f"{a}: clear outputs"


def test_generate_assignment_matches_the_committed_student_versions(course):
    for a in ASSIGNMENTS:
        made = sorted(p.name for p in (course / "release" / a).glob("*.ipynb"))
        committed = sorted(p.name for p in (COURSE / "release" / a).glob("*.ipynb"))
        assert made and made == committed, (a, made, committed)
        for name in made:
            new = json.loads((course / "release" / a / name).read_text())
            old = json.loads((COURSE / "release" / a / name).read_text())
            assert new == old, (f"assignments/release/{a}/{name} is out of date with its source: "
                                "regenerate it with `make release`")
            text = (course / "release" / a / name).read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "**Rubric" not in text


def test_instructor_versions_score_full_marks_on_autograded_cells(course):
    rows = _grades(course, "instructor")
    auto = [r for r in rows if r[2] == "code"]
    assert {r[0] for r in auto} == set(ASSIGNMENTS)
    wrong = [r for r in auto if r[3] != r[4]]
    assert not wrong, f"(assignment, cell, type, score, max) below full marks: {wrong}"
    assert all(r[3] is None for r in rows if r[2] == "markdown")      # written proofs wait for the grader


def test_blank_versions_score_zero_on_autograded_cells(course):
    rows = _grades(course, "blank")
    auto = [r for r in rows if r[2] == "code"]
    assert {r[0] for r in auto} == set(ASSIGNMENTS) and all(r[4] > 0 for r in auto)
    scored = [r for r in auto if r[3] != 0]
    assert not scored, f"blank notebooks that score: {scored}"
    assert all(r[3] == 0 for r in rows if r[2] == "markdown")         # unanswered proofs score 0 too


def test_generate_feedback_writes_a_report_per_submission(course):
    for student in ("instructor", "blank"):
        for a in ASSIGNMENTS:
            html = list((course / "feedback" / student / a).glob("*.html"))
            assert len(html) == 1, (student, a, html)
            assert "Score" in html[0].read_text() or "score" in html[0].read_text()


def test_the_teaching_page_links_every_student_version():
    page = (ROOT / "book" / "teaching.md").read_text()
    for a in ASSIGNMENTS:
        for nb in (COURSE / "release" / a).glob("*.ipynb"):
            assert f"<../assignments/release/{a}/{nb.name}>`" in page, f"book/teaching.md does not link {a}/{nb.name}"
