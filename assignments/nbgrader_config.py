"""nbgrader configuration of the book's course: this folder is the course root.

    cd assignments
    ../.venv/bin/python -m nbgrader generate_assignment ch1 --force    # student version into release/ch1/
    ../.venv/bin/python -m nbgrader autograde ch1                      # grades submitted/<student>/ch1/
    ../.venv/bin/python -m nbgrader generate_feedback ch1              # feedback/<student>/ch1/*.html

See book/teaching.md ("Teaching with this book") for the whole workflow.
"""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "gd-global-minima"
c.CourseDirectory.root = str(HERE)
# the gradebook lives next to the course; it is not committed (.gitignore)
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}"

# the notebooks compile JAX functions on first use: allow minutes per cell, not nbgrader's 30 s
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300
# the released notebooks carry no outputs; the student versions are committed under release/
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
