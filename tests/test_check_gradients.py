"""Gradient checks for users: ``check_grad`` public, ``check_model_gradients`` over every
weight of a model (catching a wrong backward rule), and the seeds' numerical ``derivative``.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet import backend, testing
from glassnet.keras import Sequential
from glassnet.keras.layers import Dense
from glassnet.layers.base import Layer
from glassnet.models import Model
from glassnet.testing import ModelGradientReport, check_grad, check_model_gradients, derivative


# ----- the seeds' derivative -------------------------------------------------------------
DERIVATIVES = [
    # f, w, eps, central, expected: the seeds' J = w^2 at w = 3 first
    (lambda w: w ** 2, 3.0, 1e-3, False, 6.001),   # (9.006001 - 9) / 0.001
    (lambda w: w ** 2, 3.0, 2e-3, False, 6.002),
    (lambda w: w ** 2, 3.0, 1e-3, True, 6.0),
    (lambda w: w ** 3, 2.0, 1e-3, True, 12.000001),  # central error: eps^2 f'''/6 = 1e-6
    (lambda w: gn.tensor(w, dtype="float64") ** 2, 3.0, 1e-3, True, 6.0),  # f may return a Tensor
    (lambda w: 1 / w, 2.0, 1e-3, False, -0.2498751),
]


@pytest.mark.parametrize("f, w, eps, central, expected", DERIVATIVES)
def test_derivative_is_the_seeds_finite_difference(f, w, eps, central, expected):
    assert derivative(f, w, eps=eps, central=central) == pytest.approx(expected, abs=1e-7)


def test_derivative_of_an_array_gives_each_partial():
    result = derivative(lambda w: w[0, 0] ** 2 * w[0, 1], np.array([[3.0, 2.0]]), central=True)
    assert result.shape == (1, 2)
    np.testing.assert_allclose(result, [[12.0, 9.0]], atol=1e-6)
    np.testing.assert_allclose(derivative(lambda w: gn.sum(gn.tensor(w) * 2.0), gn.tensor([1.0, 5.0])),
                               [2.0, 2.0], atol=1e-3)


def test_derivative_refuses_bad_arguments():
    with pytest.raises(ValueError, match="eps must be a positive number. Received: eps=0"):
        derivative(lambda w: w, 1.0, eps=0)
    with pytest.raises(ValueError, match="single number"):
        derivative(lambda w: np.array([w, w]), 1.0)


def test_derivative_agrees_with_backprop():
    w = gn.tensor(0.7, dtype="float64", requires_grad=True)
    J = gn.exp(w) * gn.sin(w) if hasattr(gn, "sin") else gn.exp(w) * gn.log(w + 2.0)
    J.backward()
    f = (lambda v: np.exp(v) * np.sin(v)) if hasattr(gn, "sin") else (lambda v: np.exp(v) * np.log(v + 2.0))
    assert derivative(f, 0.7, eps=1e-5, central=True) == pytest.approx(float(w.grad), rel=1e-8)


# ----- check_grad is public --------------------------------------------------------------
def test_check_grad_is_public_and_documented():
    assert {"check_grad", "check_model_gradients", "derivative"} <= set(testing.__all__)
    assert gn.testing.check_grad is check_grad
    for fn in (check_grad, check_model_gradients, derivative):
        assert "Args:" in fn.__doc__ and "Returns:" in fn.__doc__
    result = check_grad(lambda x: gn.sum(x * x * x), [np.array([1.0, -2.0, 0.5])])
    assert result.max_rel_error < 1e-6


# ----- a model's gradients -------------------------------------------------------------------
class Scale(gn.Function, register=False):
    """z = x * w over the last axis (w: one factor per feature)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save(x, w)
        return x * w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        return grad * w, grad * x  # the engine sums the batch axis back to w's shape


class ScaleWithWrongRule(Scale, register=False):
    """The same op with the sign of dz/dw flipped: the bug the check must catch."""

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        return grad * w, -(grad * x)


class ScaleLayer(Layer):
    """A custom layer with one weight per feature, computed by the given op."""

    def __init__(self, op=Scale, **kwargs):
        super().__init__(**kwargs)
        self.op = op

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="random_normal")

    def call(self, inputs, training=False):
        return self.op.apply(inputs, self.w)


class RandomMask(Layer):
    """Multiplies by a fresh random 0/2 mask on every call, drawn from glassnet's generator."""

    def call(self, inputs, training=False):
        mask = (backend.rng().random(inputs.shape) < 0.5).astype(inputs.dtype) * 2
        return inputs * mask


def make_model(op=Scale, extra=(), activation="tanh"):
    gn.random.set_seed(0)
    model = Sequential([gn.keras.Input(shape=(4,)), Dense(3, activation=activation, name="hidden"),
                        ScaleLayer(op, name="scale"), *extra, Dense(2, name="out")], name="checked")
    model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="sgd")
    return model


def batch(n=6):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 4)), np.arange(n) % 2


def test_check_model_gradients_passes_for_correct_rules_and_prints_a_table():
    lines = []
    report = check_model_gradients(make_model(), *batch(), print_fn=lines.append)
    assert isinstance(report, ModelGradientReport) and report.ok
    assert [(row.layer, row.parameter) for row in report.rows] == [
        ("hidden", "hidden/kernel:0"), ("hidden", "hidden/bias:0"), ("scale", "scale/w:0"),
        ("out", "out/kernel:0"), ("out", "out/bias:0")]
    assert set(report.per_layer()) == {"hidden", "scale", "out"}
    assert max(report.per_layer().values()) < 1e-5
    text = lines[0]
    assert "layer" in text and "parameter" in text and "max rel error" in text
    assert "largest relative error per layer: hidden" in text and "all gradients match" in text


def test_check_model_gradients_catches_a_wrong_backward_rule():
    lines = []
    report = check_model_gradients(make_model(ScaleWithWrongRule), *batch(), print_fn=lines.append)
    assert not report.ok
    assert [row.parameter for row in report.failures] == ["scale/w:0"]
    assert report.per_layer()["scale"] > 0.5  # the sign is flipped: relative error 2
    assert report.per_layer()["out"] < 1e-5
    assert "MISMATCH" in lines[0]


def test_check_model_gradients_leaves_the_model_as_it_was():
    model = make_model()
    x, y = batch()
    before = [w.copy() for w in model.get_weights()]
    model.trainable_weights[0].grad = sentinel = gn.tensor(np.ones((4, 3), np.float32))
    state = backend.rng().bit_generator.state
    check_model_gradients(model, x, y, print_fn=None)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert [layer.dtype for layer in model.layers] == ["float32"] * 3
    assert model.trainable_weights[0].grad is sentinel
    assert backend.rng().bit_generator.state == state
    assert model.predict(x).dtype == np.float32


def test_large_weights_are_checked_along_random_directions():
    report = check_model_gradients(make_model(), *batch(), max_elements=5, directions=4, print_fn=None)
    assert report.ok
    assert report.rows[0].checked == "4 random directions" and report.rows[1].checked == "3 elements"


def test_random_layers_see_the_same_draws_in_every_evaluation():
    model = make_model(extra=(RandomMask(name="mask"),))
    assert check_model_gradients(model, *batch(), print_fn=None).ok


def test_regularization_is_part_of_the_checked_loss():
    gn.random.set_seed(0)
    model = Sequential([gn.keras.Input(shape=(4,)), Dense(2, kernel_regularizer="l2", name="d")])
    model.compile(loss="mse", optimizer="sgd")
    assert check_model_gradients(model, batch()[0], np.ones((6, 2)), print_fn=None).ok


def test_check_model_gradients_needs_a_compiled_model():
    with pytest.raises(RuntimeError, match="compile"):
        check_model_gradients(Sequential([Dense(1)]), *batch(), print_fn=None)


@pytest.mark.skipif(not hasattr(Model, "check_gradients"), reason="Model.check_gradients is not wired up yet")
def test_model_check_gradients_method_delegates():
    lines = []
    assert make_model().check_gradients(*batch(), print_fn=lines.append).ok
    assert not make_model(ScaleWithWrongRule).check_gradients(*batch(), print_fn=None).ok
    assert "all gradients match" in lines[0]


def test_check_gradients_sees_one_mask_from_a_seeded_dropout_layer():
    import glassnet as tf
    from glassnet.keras import Sequential
    from glassnet.keras.layers import Dense, Dropout

    tf.random.set_seed(3)
    model = Sequential([tf.keras.Input(shape=(4,)), Dense(6, activation="tanh"), Dropout(0.5, seed=7), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x = np.random.default_rng(0).normal(size=(8, 4))
    report = model.check_gradients(x, np.ones((8, 1)), print_fn=None)
    assert report.ok, str(report)
