"""Check backpropagation against central finite differences, in float64.

:func:`check_grad` is the one checker glassnet's own tests use for every op, and
the one users call on their own functions and custom ops.
:func:`check_model_gradients` (``model.check_gradients(x, y)``) does the same for every
weight of a model and prints the largest relative error per layer, and
:func:`derivative` is the seeds' numerical derivative: nudge w by epsilon and see how
much J moves.

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

from . import backend
from .autograd import Tensor, no_grad

__all__ = [
    "GradientCheckError", "GradCheckResult", "ModelGradientReport", "ParameterCheck", "check_grad",
    "check_model_gradients", "derivative",
]


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


# ----- the seeds' numerical derivative -------------------------------------------------
def _scalar(value) -> float:
    if isinstance(value, Tensor):
        value = value.numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"derivative: f must return a single number. Received: shape {array.shape}")
    return float(array.reshape(()))


def derivative(f, w, eps=1e-3, central=False):
    """The numerical derivative of ``f`` at ``w``: nudge w by ``eps`` and see how much f moves.

    The seeds' definition, "if w goes up by epsilon and J goes up by k times epsilon, k is
    the derivative": ``(f(w + eps) - f(w)) / eps``. With ``central=True``,
    ``(f(w + eps) - f(w - eps)) / (2 eps)``, whose error shrinks like eps^2 instead of eps.
    Each evaluation runs under ``no_grad`` in float64; no graph is needed.

    Args:
        f: function of one number (or array) returning a number or a one-element Tensor.
        w: the point: a number, or an array (each element is nudged in turn).
        eps: the nudge (default 0.001, as in the seeds).
        central: use the central difference.

    Returns:
        A float for a number ``w``; for an array, an array of partial derivatives shaped like it.

    Example:
        >>> round(derivative(lambda w: w ** 2, 3.0), 6)   # (3.001^2 - 3^2) / 0.001
        6.001
        >>> round(derivative(lambda w: w ** 2, 3.0, central=True), 6)
        6.0
        >>> derivative(lambda w: w[0] * w[1], [2.0, 5.0], central=True).round(6)
        array([5., 2.])
    """
    if not eps > 0:
        raise ValueError(f"derivative: eps must be a positive number. Received: eps={eps!r}")
    scalar = np.ndim(w.data if isinstance(w, Tensor) else w) == 0
    point = np.array(w.numpy() if isinstance(w, Tensor) else w, dtype=np.float64)
    with no_grad():
        if scalar:
            w0 = float(point)
            base = _scalar(f(w0 - eps)) if central else _scalar(f(w0))
            return (_scalar(f(w0 + eps)) - base) / ((2 if central else 1) * eps)
        result = np.zeros(point.shape)
        base = None if central else _scalar(f(point.copy()))
        for index in np.ndindex(point.shape):
            nudged = point.copy()
            nudged[index] += eps
            up = _scalar(f(nudged))
            if central:
                nudged[index] -= 2 * eps
                result[index] = (up - _scalar(f(nudged))) / (2 * eps)
            else:
                result[index] = (up - base) / eps
        return result


# ----- every weight of a model -------------------------------------------------------------
@dataclass
class ParameterCheck:
    """How one weight's backprop gradient compared with finite differences."""

    layer: str
    parameter: str
    shape: tuple
    checked: str  # "6 elements" or "12 random directions"
    max_abs_error: float
    max_rel_error: float
    ok: bool


@dataclass
class ModelGradientReport:
    """The result of :func:`check_model_gradients`: one row per trainable weight."""

    rows: list
    eps: float
    atol: float
    rtol: float
    model: str = "model"

    @property
    def ok(self) -> bool:
        """True when every weight passed."""
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> list:
        return [row for row in self.rows if not row.ok]

    def per_layer(self) -> dict:
        """Layer name -> the largest relative error over its weights."""
        worst: dict = {}
        for row in self.rows:
            worst[row.layer] = max(worst.get(row.layer, 0.0), row.max_rel_error)
        return worst

    def __str__(self):
        header = ("layer", "parameter", "shape", "checked", "max abs error", "max rel error", "result")
        table = [header] + [
            (r.layer, r.parameter, str(tuple(r.shape)), r.checked, f"{r.max_abs_error:.2e}",
             f"{r.max_rel_error:.2e}", "ok" if r.ok else "MISMATCH") for r in self.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = [f"Gradient check of {self.model}: backprop against central differences "
                 f"(float64, eps={self.eps:g}, pass when |error| <= {self.atol:g} + {self.rtol:g} * |numeric|)"]
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
        worst = ", ".join(f"{layer} {error:.1e}" for layer, error in self.per_layer().items())
        lines.append(f"largest relative error per layer: {worst or 'no trainable weights'}")
        lines.append("all gradients match" if self.ok else
                     f"{len(self.failures)} weight(s) MISMATCH: check the backward rules they pass through")
        return "\n".join(lines)


def _training_loss(model, x, y, sample_weight):
    """The loss ``train_step`` minimizes: forward with training=True, the loss, the penalties."""
    loss = model.loss(y, model(x, training=True), sample_weight=sample_weight)
    penalties = model.losses
    if penalties:
        loss = loss + sum(penalties[1:], penalties[0])
    return loss


def check_model_gradients(model, x, y, *, sample_weight=None, eps=1e-6, atol=1e-6, rtol=1e-5,
                          seed=0, max_elements=256, directions=12, print_fn=print) -> ModelGradientReport:
    """Compare backprop's gradient of the training loss with central finite differences, weight by weight.

    For the check the model computes in float64: each layer's dtype and each weight's
    ``data`` are switched to float64 and restored afterwards (with the weights' ``.grad``
    and the global random generator, which is also reset before every evaluation so
    random layers see the same draws each time). A weight of at most ``max_elements``
    elements is checked element by element; a larger one along ``directions`` random
    directions ``v``, comparing ``<grad, v>`` with ``(J(w + eps v) - J(w - eps v)) / 2 eps``.

    Args:
        model: a compiled model (its loss and regularization are what is differentiated).
        x, y: a batch (a few samples are enough).
        sample_weight: optional per-sample loss weights.
        eps: finite-difference step.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: seed of the random directions.
        max_elements, directions: see above.
        print_fn: prints the table (None: print nothing).

    Returns:
        A :class:`ModelGradientReport`; ``report.ok`` says whether all weights passed and
        ``report.per_layer()`` gives the largest relative error per layer. Relative errors
        are ``|a - n| / max(|a|, |n|)`` over elements where either exceeds ``atol``.

    Example:
        >>> import numpy as np
        >>> import glassnet as tf
        >>> from glassnet.keras import Sequential
        >>> from glassnet.keras.layers import Dense
        >>> tf.random.set_seed(0)
        >>> model = Sequential([tf.keras.Input(shape=(3,)), Dense(4, activation="tanh"), Dense(1)])
        >>> model.compile(loss="mse", optimizer="sgd")
        >>> x, y = np.random.default_rng(0).normal(size=(5, 3)), np.ones(5)
        >>> report = check_model_gradients(model, x, y, print_fn=None)
        >>> report.ok, len(report.rows), model.weights[0].dtype
        (True, 4, dtype('float32'))
    """
    from .training.data import prepare_arrays

    if getattr(model, "loss", None) is None:
        raise RuntimeError("check_gradients() differentiates the training loss: call "
                           "model.compile(loss=..., optimizer=...) first.")
    x, y = prepare_arrays(x, y, dtype=np.float64)
    if hasattr(model, "build_for_data"):
        model.build_for_data(x)
    layers = list(model.layers)
    weights = [w for layer in layers for w in layer.weights]
    saved_weights = [(w, w.data, w.grad) for w in weights]
    saved_dtypes = [(layer, layer.dtype) for layer in layers]
    random_state = backend.rng().bit_generator.state
    # Layers with a generator of their own (a seeded Dropout) must also draw the same masks
    # on every evaluation, or the finite differences would compare different functions.
    own_generators = [g for layer in layers if isinstance(g := getattr(layer, "generator", None), np.random.Generator)]
    own_states = [g.bit_generator.state for g in own_generators]
    rng = np.random.default_rng(seed)

    def reset_randomness():
        backend.rng().bit_generator.state = random_state
        for generator, state in zip(own_generators, own_states):
            generator.bit_generator.state = state

    def loss_value():
        reset_randomness()
        with no_grad():
            return float(np.asarray(_training_loss(model, x, y, sample_weight).data, dtype=np.float64))

    rows = []
    try:
        for layer in layers:
            layer.dtype = "float64"
        for w in weights:
            w.data = np.array(w.data, dtype=np.float64)
            w.grad = None
        reset_randomness()
        loss = _training_loss(model, x, y, sample_weight)
        if loss.requires_grad:
            loss.backward()
        for layer in layers:
            for w in layer.trainable_weights:
                analytic = np.zeros(w.shape) if w.grad is None else np.asarray(w.grad.numpy(), dtype=np.float64)
                rows.append(_check_weight(layer.name, w, analytic, loss_value, rng, eps, atol, rtol,
                                          max_elements, directions))
    finally:
        for layer, dtype in saved_dtypes:
            layer.dtype = dtype
        for w, data, grad in saved_weights:
            w.data, w.grad = data, grad
        reset_randomness()
    report = ModelGradientReport(rows, eps, atol, rtol, model=f'model "{getattr(model, "name", "model")}"')
    if print_fn is not None:
        print_fn(str(report))
    return report


def _check_weight(layer, w, analytic, loss_value, rng, eps, atol, rtol, max_elements, directions):
    values = w.data
    pairs = []
    if values.size <= max_elements:
        for index in np.ndindex(values.shape):
            saved = values[index]
            values[index] = saved + eps
            plus = loss_value()
            values[index] = saved - eps
            minus = loss_value()
            values[index] = saved
            pairs.append((analytic[index], (plus - minus) / (2 * eps)))
        checked = f"{values.size} element{'s' * (values.size != 1)}"
    else:
        saved = values.copy()
        for _ in range(directions):
            v = rng.standard_normal(values.shape)
            values[...] = saved + eps * v
            plus = loss_value()
            values[...] = saved - eps * v
            minus = loss_value()
            values[...] = saved
            pairs.append((float(np.sum(analytic * v)), (plus - minus) / (2 * eps)))
        checked = f"{directions} random directions"
    max_abs = max_rel = 0.0
    ok = True
    for a, n in pairs:
        error = abs(a - n)
        max_abs = max(max_abs, error)
        scale = max(abs(a), abs(n))
        if scale > atol:
            max_rel = max(max_rel, error / scale)
        ok = ok and bool(np.isfinite(a)) and error <= atol + rtol * abs(n)
    return ParameterCheck(layer, w.name or "weight", tuple(w.shape), checked, max_abs, max_rel, ok)
