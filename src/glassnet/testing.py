"""Check backpropagation against central finite differences, in float64.

:func:`check_grad` is the one checker glassnet's own tests use for every op, and
the one users call on their own functions and custom ops.

How it works: inputs (and any parameters) are copied to float64; a random upstream
gradient ``g`` shaped like the output defines the scalar ``L = sum(f(...) * g)``
(random rather than ones, which would hide transposition and broadcasting mistakes);
one ``backward()`` gives the analytic gradient of L; central differences
``(L(x + eps) - L(x - eps)) / (2 eps)`` give the numeric one, element by element for
small inputs, or along a few random directions ``v`` (comparing ``<grad, v>``) for
large ones.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.testing import check_grad
    >>> result = check_grad(lambda x: gn.sum(x * x), [np.array([1.0, -2.0])])
    >>> bool(result.max_abs_error < 1e-6)
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .autograd import Tensor, no_grad

__all__ = ["GradientCheckError", "GradCheckResult", "check_grad"]


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


@dataclass
class GradCheckResult:
    """What a passing check measured: the largest errors over all inputs and parameters."""

    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    per_input: list = field(default_factory=list)


def _loss(fn, tensors, upstream):
    with no_grad():
        out = fn(*tensors)
    return float(np.sum(np.asarray(out.data, dtype=np.float64) * upstream))


def check_grad(fn, inputs, params=(), *, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0,
               max_elements=256, directions=12, name=None) -> GradCheckResult:
    """Compare the gradients ``backward()`` computes with central finite differences.

    Args:
        fn: function of tensors (one per input) returning a tensor.
        inputs: arrays (or Tensors) to differentiate with respect to; copied to float64.
        params: Tensors ``fn`` reads besides its arguments (a layer's weights); their
            ``data`` is switched to float64 for the check and restored afterwards.
        eps: finite-difference step.
        atol, rtol: an element passes when |analytic - numeric| <= atol + rtol * |numeric|.
        seed: seed of the random upstream gradient and directions.
        max_elements: inputs larger than this are checked along random directions.
        directions: how many random directions for a large input.
        name: what to call ``fn`` in the failure message (default: its ``__name__``).

    Returns:
        A :class:`GradCheckResult`.

    Raises:
        GradientCheckError: naming the function, the input, the worst element, both values
            and the absolute and relative errors.
    """
    label = name or getattr(fn, "__name__", "function")
    rng = np.random.default_rng(seed)
    originals = [p.data for p in params]
    try:
        for p in params:
            p.data = np.array(p.data, dtype=np.float64)
            p.grad = None
        arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        out = fn(*leaves)
        if not isinstance(out, Tensor):
            raise TypeError(f"check_grad: {label} must return a Tensor. Received: {type(out).__name__}")
        if out.dtype != np.float64:
            raise GradientCheckError(
                f"{label}: output dtype is {out.dtype} for float64 inputs; ops must preserve the dtype."
            )
        upstream = rng.standard_normal(out.shape)
        if out.requires_grad:
            out.backward(upstream)
        targets = [(f"input {i}", leaf) for i, leaf in enumerate(leaves)]
        targets += [(f"parameter {getattr(p, 'name', None) or i}", p) for i, p in enumerate(params)]
        result = GradCheckResult()
        for what, t in targets:
            analytic = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.data, dtype=np.float64)
            errors = _compare(fn, leaves, t, analytic, upstream, rng, eps, atol, rtol,
                              max_elements, directions, f"{label}, {what}")
            result.per_input.append(errors)
            result.max_abs_error = max(result.max_abs_error, errors[0])
            result.max_rel_error = max(result.max_rel_error, errors[1])
        return result
    finally:
        for p, data in zip(params, originals):
            p.data = data
            p.grad = None


def _compare(fn, leaves, t, analytic, upstream, rng, eps, atol, rtol, max_elements, directions, where):
    values = t.data
    if values.size <= max_elements:
        numeric = np.zeros(values.shape)
        for index in np.ndindex(values.shape):
            saved = values[index]
            values[index] = saved + eps
            plus = _loss(fn, leaves, upstream)
            values[index] = saved - eps
            minus = _loss(fn, leaves, upstream)
            values[index] = saved
            numeric[index] = (plus - minus) / (2 * eps)
        label = lambda i: f"element {i}"  # noqa: E731
        pairs = [(index, analytic[index], numeric[index]) for index in np.ndindex(values.shape)]
    else:
        pairs = []
        saved = values.copy()
        for k in range(directions):
            v = rng.standard_normal(values.shape)
            values[...] = saved + eps * v
            plus = _loss(fn, leaves, upstream)
            values[...] = saved - eps * v
            minus = _loss(fn, leaves, upstream)
            values[...] = saved
            pairs.append((k, float(np.sum(analytic * v)), (plus - minus) / (2 * eps)))
        label = lambda k: f"random direction {k}"  # noqa: E731
    worst = None
    max_abs = max_rel = 0.0
    for index, a, n in pairs:
        abs_error = abs(a - n)
        rel_error = abs_error / max(abs(n), 1e-12)
        excess = abs_error - (atol + rtol * abs(n))
        max_abs = max(max_abs, abs_error)
        if abs(n) > atol:
            max_rel = max(max_rel, rel_error)
        if not np.isfinite(a) or excess > 0:
            if worst is None or not np.isfinite(a) or excess > worst[0]:
                worst = (excess if np.isfinite(a) else np.inf, index, a, n, abs_error, rel_error)
    if worst is not None:
        _, index, a, n, abs_error, rel_error = worst
        raise GradientCheckError(
            f"{where}: gradient mismatch at {label(index)}: analytic={a!r}, numeric={n!r}, "
            f"abs error={abs_error:.3g}, rel error={rel_error:.3g} (atol={atol}, rtol={rtol})"
        )
    return max_abs, max_rel
