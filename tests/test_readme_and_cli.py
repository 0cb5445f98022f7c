"""The README's examples run as written, and the command line works."""

import io
import pathlib
import re
import subprocess
import sys

import numpy as np

from glassnet import cli

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the README saves a model file in the working directory
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README should show Python examples"
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # the first model
    assert np.mean(namespace["probabilities"].argmax(axis=1) == namespace["y"]) > 0.9
    for block in blocks[1:]:  # later blocks build on earlier ones, as a reader's session would
        exec(compile(block, str(README), "exec"), namespace)
    assert float(namespace["dw"]) == -4.0 and float(namespace["db"]) == 2.0
    assert float(namespace["dJ_dw"]) == -4.0


def test_readme_names_the_two_commands_at_its_top():
    top = README.read_text().split("## ")[0]
    assert "make demo" in top and "make test" in top


def test_backprop_walkthrough_prints_the_course_values():
    out = io.StringIO()
    assert cli.backprop(out) == 0
    text = out.getvalue()
    assert "dJ/dw = 6" in text and "9.006001" in text
    for line in ["c = w * x      = -4", "J = d^2 / 2    = 2", "dJ/dw          = -4", "dJ/db          = 2"]:
        assert line in text


def test_python_dash_m_runs_the_backprop_walkthrough():
    result = subprocess.run([sys.executable, "-m", "glassnet", "backprop"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "computation graph" in result.stdout


def test_demo_trains_the_digit_model_and_draws_its_results(tmp_path):
    out = io.StringIO()
    assert cli.demo(epochs=5, samples=1000, output_dir=str(tmp_path), out=out) == 0
    text = out.getvalue()
    assert 'Model: "digits"' in text and "Total params: 10,575" in text
    assert "Epoch 5/5" in text and "\r" not in text
    accuracy = float(re.search(r"held-out accuracy: ([0-9.]+)", text).group(1))
    assert accuracy > 0.4  # five epochs on 800 digits: well above chance (0.1)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "install matplotlib" in text
    else:
        assert (tmp_path / "loss.png").stat().st_size > 0 and (tmp_path / "misclassified.png").stat().st_size > 0
