"""The README's examples run as written, and the command line works."""

import io
import pathlib
import re
import subprocess
import sys

from glassnet import cli

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README should show Python examples"
    namespace: dict = {}
    for block in blocks:  # later blocks build on earlier ones, as a reader's session would
        exec(compile(block, str(README), "exec"), namespace)
    assert float(namespace["dw"]) == -4.0 and float(namespace["db"]) == 2.0
    assert float(namespace["dJ_dw"]) == -4.0


def test_readme_names_the_two_commands_at_its_top():
    top = README.read_text().split("## ")[0]
    assert "make demo" in top and "make test" in top


def test_demo_prints_the_course_values():
    out = io.StringIO()
    assert cli.demo(out) == 0
    text = out.getvalue()
    assert "dJ/dw = 6" in text and "9.006001" in text
    for line in ["c = w * x      = -4", "J = d^2 / 2    = 2", "dJ/dw          = -4", "dJ/db          = 2"]:
        assert line in text


def test_python_dash_m_runs_the_demo():
    result = subprocess.run([sys.executable, "-m", "glassnet", "demo"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "computation graph" in result.stdout
