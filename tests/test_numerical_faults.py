"""NaN and Inf during training: fit stops at the faulty batch, names where it started, loses nothing.

A test-only layer injects the fault at one chosen batch: in the forward pass (its
output gets a NaN or an Inf) or in the backward pass (the gradient it passes back
does, while the loss stays finite). A recorder keeps the weights and the optimizer
state after every good step, so each test can check that after the fault they are
exactly those of the last good step (BatchNormalization's moving statistics, which
the forward pass writes, included).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as tf
from glassnet.autograd.function import Function
from glassnet.keras.callbacks import Callback, TerminateOnNaN
from glassnet.keras.layers import BatchNormalization, Dense
from glassnet.layers.base import Layer
from glassnet.training.numerics import NonFiniteError, NonFiniteWarning

EPOCHS, STEPS, BATCH = 3, 8, 8
FAULT_EPOCH, FAULT_BATCH = 1, 5


class _Poison(Function, register=False):
    """Identity, except that an armed forward writes ``value`` into its output, or an armed
    backward into the gradient it passes back (test-only; not a glassnet op)."""

    @staticmethod
    def forward(ctx, x, *, where, value):
        if where == "output":
            x = x.copy()
            x[0, 0] = value
        return x

    @staticmethod
    def backward(ctx, grad):
        if ctx.attrs["where"] == "gradient":
            grad = grad.copy()
            grad[0, 0] = ctx.attrs["value"]
        return (grad,)


class FaultInjector(Layer):
    """Passes its input through; while ``armed`` it poisons its output or its gradient."""

    def __init__(self, where="output", value=math.nan, **kwargs):
        super().__init__(**kwargs)
        self.where, self.value, self.armed = where, value, False

    def call(self, inputs, training=False):
        return _Poison.apply(inputs, where=self.where if self.armed else None, value=self.value)


class Recorder(Callback):
    """Arms the injector at (FAULT_EPOCH, FAULT_BATCH); keeps the state after each good step."""

    def __init__(self, injector):
        super().__init__()
        self.injector, self.epoch, self.last_good, self.ended = injector, None, None, False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.injector.armed = (self.epoch, batch) == (FAULT_EPOCH, FAULT_BATCH)

    def on_train_batch_end(self, batch, logs=None):
        self.last_good = _state(self.model)

    def on_train_end(self, logs=None):
        self.ended = True


def _state(model):
    return model.get_weights(), model.optimizer.get_state()


def _assert_state_equal(state, model):
    weights, optimizer_state = state
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    now = model.optimizer.get_state()
    assert list(now) == list(optimizer_state)
    for key in now:
        np.testing.assert_array_equal(now[key], optimizer_state[key], err_msg=key)


def _setup(where, value, batch_norm=False):
    tf.random.set_seed(0)
    injector = FaultInjector(where, value, name="injector")
    layers = [tf.keras.Input(shape=(4,)), Dense(8, activation="relu", name="hidden")]
    layers += [BatchNormalization(name="norm")] if batch_norm else []
    layers += [injector, Dense(3, name="head")]
    model = tf.keras.Sequential(layers)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(STEPS * BATCH, 4)).astype("float32")
    y = rng.integers(0, 3, len(x))
    return model, injector, x, y


FAULTS = [
    # (id, where, value, batch_norm, expected stage, finite loss?)
    ("nan_output", "output", math.nan, False, "output", False),
    ("inf_output", "output", math.inf, False, "output", False),
    ("nan_gradient_finite_loss", "gradient", math.nan, False, "gradient", True),
    ("inf_gradient_finite_loss", "gradient", math.inf, False, "gradient", True),
    ("nan_output_after_batch_norm", "output", math.nan, True, "output", False),
    ("inf_gradient_through_batch_norm", "gradient", -math.inf, True, "gradient", True),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own overflow/invalid warnings on Inf
@pytest.mark.parametrize("where, value, batch_norm, stage, finite_loss", [f[1:] for f in FAULTS],
                         ids=[f[0] for f in FAULTS])
def test_fit_raises_at_the_faulty_batch_and_keeps_the_last_good_state(where, value, batch_norm, stage, finite_loss):
    model, injector, x, y = _setup(where, value, batch_norm)
    recorder = Recorder(injector)
    with pytest.raises(NonFiniteError) as caught:
        model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[recorder])
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert (error.epoch, error.batch, error.layer, error.stage) == (FAULT_EPOCH, FAULT_BATCH, "injector", stage)
    assert math.isfinite(error.loss) is finite_loss
    message = str(error)
    assert f"epoch {FAULT_EPOCH + 1}/{EPOCHS}, batch {FAULT_BATCH + 1}/{STEPS}" in message
    assert f"(0-based: epoch={FAULT_EPOCH}, batch={FAULT_BATCH})" in message
    assert 'layer "injector"' in message
    if stage == "gradient":  # the weights below the injector got the bad gradient, the head did not
        assert error.gradients == ["hidden/kernel:0", "hidden/bias:0"] + (["norm/gamma:0", "norm/beta:0"]
                                                                          if batch_norm else [])
        assert "Non-finite weight gradients: hidden/kernel:0" in message
    _assert_state_equal(recorder.last_good, model)
    assert model.optimizer.iterations == FAULT_EPOCH * STEPS + FAULT_BATCH
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert model.history.epoch == list(range(FAULT_EPOCH)) and not recorder.ended
    assert model.check_finite_steps  # the model is left as fit found it
    assert traceback_ends_in_fit(caught)


def traceback_ends_in_fit(caught) -> bool:
    import traceback

    return traceback.extract_tb(caught.tb)[-1].filename.replace("\\", "/").endswith("glassnet/training/loop.py")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_warn_stops_returns_the_history_and_resumes_cleanly():
    model, injector, x, y = _setup("gradient", math.nan)
    recorder = Recorder(injector)
    with pytest.warns(NonFiniteWarning, match=r'epoch 2/3, batch 6/8 .*layer "injector"'):
        history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[recorder],
                            on_nonfinite="warn")
    assert history.epoch == [0] and recorder.ended and model.stop_training
    _assert_state_equal(recorder.last_good, model)
    injector.armed = False  # the fault was transient: training picks up from the last good step
    again = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert all(math.isfinite(v) for v in again.history["loss"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_ignore_trains_on_as_keras_does():
    model, injector, x, y = _setup("gradient", math.nan)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                        callbacks=[Recorder(injector)], on_nonfinite="ignore")
    assert history.epoch == [0, 1, 2]
    assert not all(np.isfinite(w).all() for w in model.get_weights())  # the NaN step was applied
    assert model.check_finite_steps


def test_terminate_on_nan_keeps_keras_behaviour_unless_told_otherwise():
    model, injector, x, y = _setup("output", math.nan)
    recorder = Recorder(injector)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                        callbacks=[recorder, TerminateOnNaN()])
    assert history.epoch == [0, 1] and math.isnan(history.history["loss"][1])
    model, injector, x, y = _setup("output", math.nan)
    with pytest.raises(NonFiniteError):
        model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                  callbacks=[Recorder(injector), TerminateOnNaN()], on_nonfinite="raise")


def test_train_step_alone_skips_the_update():
    model, injector, x, y = _setup("gradient", math.nan)
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    before = _state(model)
    injector.armed = True
    with pytest.raises(NonFiniteError, match=r"train_step: non-finite gradient of hidden/kernel:0"):
        model.train_step(x[:BATCH], y[:BATCH])
    _assert_state_equal(before, model)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_run_stops_with_finite_weights():
    """No injection: a learning rate far too large overflows the loss within a few steps."""
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), Dense(4, name="wide"), Dense(1, name="out")])
    model.compile(optimizer=tf.keras.optimizers.SGD(1e4), loss="mse")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 3)).astype("float32") * 10
    y = x.sum(axis=1, keepdims=True)
    with pytest.warns(NonFiniteWarning) as warned:
        history = model.fit(x, y, batch_size=8, epochs=20, verbose=0, on_nonfinite="warn")
    assert len(history.epoch) < 20
    ours = [w for w in warned if issubclass(w.category, NonFiniteWarning)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert "Non-finite values at epoch" in message and "The step was not applied" in message
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_on_nonfinite_is_checked_before_anything_runs():
    model, _, x, y = _setup("output", math.nan)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"on_nonfinite: expected one of \['raise', 'warn', 'ignore'\]"):
        model.fit(x, y, epochs=1, verbose=0, on_nonfinite=True)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
