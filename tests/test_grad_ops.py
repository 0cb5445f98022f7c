"""Every registered op against central finite differences in float64, from one table.

The rows live beside their families in ``grad_rows_*.py``; this file gathers them,
checks each one, runs it forward in float32, and fails when an op has no row.
"""

import importlib
import pathlib

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import REGISTRY
from glassnet.testing import check_grad

_HERE = pathlib.Path(__file__).parent
ROWS = [
    row
    for path in sorted(_HERE.glob("grad_rows_*.py"))
    for row in importlib.import_module(path.stem).ROWS
]


def test_row_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_gradient_matches_finite_differences(row):
    check_grad(row.fn, row.draw(), name=row.id, **row.check)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_float32_forward_matches_float64(row):
    inputs = row.draw()
    out64 = row.fn(*[gn.tensor(x) for x in inputs])
    out32 = row.fn(*[gn.tensor(x.astype(np.float32)) for x in inputs])
    assert out32.dtype == np.float32, f"{row.id}: float32 inputs gave {out32.dtype}"
    assert out64.dtype == np.float64, f"{row.id}: float64 inputs gave {out64.dtype}"
    np.testing.assert_allclose(out32.numpy(), out64.numpy(), rtol=row.float32_rtol, atol=1e-5)


def test_every_registered_op_has_a_gradient_row():
    covered = {op for row in ROWS for op in row.ops}
    ops = {name for name, cls in REGISTRY.items() if cls.__module__.startswith("glassnet.ops")}
    missing = sorted(ops - covered)
    assert not missing, f"ops without a row in a tests/grad_rows_*.py table: {missing}"


def test_checker_catches_a_wrong_backward_rule():
    class WrongSquare(gn.Function, register=False):
        @staticmethod
        def forward(ctx, x):
            ctx.save(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return grad * x  # should be 2x

    with pytest.raises(AssertionError, match=r"wrong_square, input 0: gradient mismatch at element"):
        check_grad(WrongSquare.apply, [np.array([1.0, 2.0])], name="wrong_square")


def test_checker_uses_random_directions_for_large_inputs():
    result = check_grad(lambda x: gn.sum(gn.exp(x) * x), [np.linspace(-1, 1, 1000)], max_elements=100)
    assert result.max_abs_error < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_means_scalar_gradient_divides_as_an_array_would(dtype):
    """Mean's backward divides a 0-d upstream gradient as a NumPy scalar (faster); the
    numbers must be those of dividing the 0-d array, special values included."""
    from glassnet.ops.reduction import Mean

    specials = [1.0, -0.0, 0.0, np.inf, -np.inf, np.nan, 3e-45, 1e-310, np.finfo(dtype).max, 0.1]
    for value in specials:
        for count in (1, 3, 32, 16777217, 2**53 + 1):
            ctx = object.__new__(Mean)
            ctx.xp = np
            Mean.forward(ctx, np.zeros((count if count < 100 else 4,), dtype), axis=None)
            ctx.count = count
            upstream = np.array(value, dtype)
            with np.errstate(all="ignore"):
                got = Mean.backward(ctx, upstream)
                expected = np.full(ctx.shape, upstream / count, dtype)
            assert got.dtype == dtype
            assert got.tobytes() == expected.tobytes(), (value, count)
