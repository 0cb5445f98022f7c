"""Replayed training steps (autograd.replay) and flat optimizer buffers (optimizers.flat):
the same numbers as the graph built afresh each step, and never a stale replay."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd.replay import StepPlan
from glassnet.models import Model
from glassnet.optimizers import SGD, Adam


def _data(n=96, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    return x, rng.integers(0, classes, n)


def _model(layers, loss=None, optimizer=None):
    gn.random.set_seed(7)
    model = gn.keras.Sequential([gn.keras.Input((6,))] + layers)
    model.compile(loss=loss or gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=optimizer or Adam(0.01), metrics=["accuracy"])
    return model


def _mlp():
    return [gn.keras.layers.Dense(8, activation="relu"), gn.keras.layers.Dense(5, activation="tanh"),
            gn.keras.layers.Dense(3)]


def _train(monkeypatch, replay, layers_fn, classes, **compile_kwargs):
    if not replay:
        monkeypatch.setattr(Model, "_record_step", lambda self, *args: None)
    model = _model(layers_fn(), **compile_kwargs)
    x, y = _data(classes=classes)
    if classes == 2:  # float labels of shape (n,): read by the loss as a (n, 1) view of the batch
        y = y.astype(np.float32)
    history = model.fit(x, y, batch_size=20, epochs=3, verbose=0)  # 96 = 4 x 20 + 16: two batch shapes
    monkeypatch.undo()
    return model, history.history


@pytest.mark.parametrize("layers_fn, classes, compile_kwargs", [
    (_mlp, 3, {}),
    (lambda: [gn.keras.layers.Dense(4, activation="sigmoid", kernel_regularizer="l2"),
              gn.keras.layers.Dense(1, activation="sigmoid")], 2,
     {"loss": "binary_crossentropy", "optimizer": "sgd"}),
    (lambda: [gn.keras.layers.Dense(8, activation="relu"), gn.keras.layers.Dense(3, activation="softmax")], 3,
     {"loss": "sparse_categorical_crossentropy"}),
], ids=["mlp_scce_adam", "sigmoid_bce_l2_sgd", "softmax_scce_from_probabilities"])
def test_replayed_training_is_bit_identical_to_the_graph_path(monkeypatch, layers_fn, classes, compile_kwargs):
    fresh, fresh_logs = _train(monkeypatch, False, layers_fn, classes, **compile_kwargs)
    replayed, replayed_logs = _train(monkeypatch, True, layers_fn, classes, **compile_kwargs)
    assert fresh._step_plans and all(plan is None for plan in fresh._step_plans.values())
    assert len(replayed._step_plans) == 2 and all(replayed._step_plans.values())  # both batch shapes replayed
    assert fresh_logs == replayed_logs
    for a, b in zip(fresh.get_weights(), replayed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fresh.optimizer.variables, replayed.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_gradients_are_left_on_the_weights_as_after_backward():
    model = _model(_mlp())
    x, y = _data()
    model.fit(x[:40], y[:40], batch_size=20, verbose=0)
    assert all(model._step_plans.values())
    kernel = model.layers[0].kernel
    before = model.get_weights()
    model.train_step(x[:20], y[:20])  # replayed
    replayed_grad = kernel.grad.numpy().copy()
    model.set_weights(before)
    model.clear_step_plans()
    model.train_step(x[:20], y[:20])  # recorded afresh
    assert model._step_plans
    # Adam's state moved on between the two steps, but the gradient depends on the weights only
    np.testing.assert_array_equal(replayed_grad, kernel.grad.numpy())


class _Scaled(gn.keras.layers.Dense):
    """A user's subclass: its call is not glassnet's, so it must not inherit replay_safe."""

    def call(self, inputs, training=False):
        return super().call(inputs, training) * float(np.random.default_rng().uniform(1, 2))


@pytest.mark.parametrize("make", [
    lambda: _model([gn.keras.layers.Dense(8), gn.keras.layers.BatchNormalization(), gn.keras.layers.Dense(3)]),
    lambda: _model([gn.keras.layers.Dense(8), gn.keras.layers.Dropout(0.5), gn.keras.layers.Dense(3)]),
    lambda: _model([_Scaled(8), gn.keras.layers.Dense(3)]),
    lambda: _model([gn.keras.layers.Dense(8, activation=lambda t: t * 2.0), gn.keras.layers.Dense(3)]),
    lambda: _model(_mlp(), loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)),
    lambda: _model(_mlp(), loss=lambda y, p: gn.mean(p * p)),
], ids=["batch_norm", "dropout", "subclass", "lambda_activation", "ignore_class", "custom_loss"])
def test_state_kept_outside_ops_is_never_replayed(make):
    model = make()
    x, y = _data()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model._step_plans and all(plan is None for plan in model._step_plans.values())


def test_an_array_made_from_the_batch_outside_an_op_refuses_the_plan():
    w = gn.Variable(np.ones((2, 1), np.float32))
    x = np.ones((3, 2), np.float32)
    scaled = x * 2  # computed in NumPy from the batch: a replay would reuse this batch's values
    assert StepPlan.record(gn.sum(gn.tensor(scaled) @ w), feeds=(x,), variables=[w]) is None
    assert StepPlan.record(gn.sum(gn.tensor(x) @ w), feeds=(x,), variables=[w]) is not None


def test_a_replayed_graph_routes_gradients_as_the_engine_does():
    """Fan-out (one node read twice, one weight read by two nodes), a broadcast bias summed
    back to its shape, and a float32 weight meeting float64 data: the replay's gradients
    are the engine's, bit for bit, on a batch the plan was not recorded on."""
    rng = np.random.default_rng(3)
    w = gn.Variable(rng.standard_normal((4, 3)).astype(np.float32))
    b = gn.Variable(rng.standard_normal(3).astype(np.float32))

    def graph(x):
        h = gn.nn.tanh(gn.matmul(gn.tensor(x), w) + b)  # b broadcast over the batch
        return gn.mean(h * h + h) + gn.sum(w * w)  # h read twice, w by two nodes

    x0, x1 = (rng.standard_normal((5, 4)) for _ in range(2))  # float64 data
    plan = StepPlan.record(graph(x0), feeds=(x0,), variables=[w, b])
    assert plan is not None
    loss, grads = plan.run((x1,), [w, b])
    w.grad = b.grad = None
    expected = graph(x1)
    expected.backward()
    assert loss.dtype == expected.data.dtype and loss == expected.data
    for grad, variable in zip(grads, (w, b)):
        assert grad.dtype == np.float32 and grad.shape == variable.shape
        np.testing.assert_array_equal(grad, variable.grad.numpy())


def test_a_layer_changed_between_fits_is_traced_again():
    model = _model([gn.keras.layers.Dense(8, activation="relu"), gn.keras.layers.LeakyReLU(0.3),
                    gn.keras.layers.Dense(3)])
    x, y = _data()
    model.fit(x, y, batch_size=32, verbose=0)
    old = dict(model._step_plans)
    model.layers[1].negative_slope = 0.01
    model.fit(x, y, batch_size=32, verbose=0)
    assert all(model._step_plans[k] is not old[k] for k in old)


def test_targets_are_checked_against_the_output_shape_after_a_layer_is_added():
    """fit keeps one sample's output shape with the recorded steps; adding a layer forgets both."""
    model = _model(_mlp())
    x, y = _data()
    model.fit(x, y, batch_size=32, verbose=0)
    model.fit(x, y, batch_size=32, verbose=0)  # from the kept shape
    model.add(gn.keras.layers.Dense(2))
    for run in (lambda: model.fit(x, y, batch_size=32, verbose=0), lambda: model.evaluate(x, y, verbose=0)):
        with pytest.raises(ValueError, match=r"^y: .*labels must be in \[0, 2\)"):  # checked before any step
            run()
    model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer=Adam(0.01))
    model.fit(x, y % 2, batch_size=32, verbose=0)


def test_fit_once_per_epoch_keeps_the_recorded_steps():
    model = _model(_mlp())
    x, y = _data()
    model.fit(x, y, batch_size=32, verbose=0)
    plans = dict(model._step_plans)
    model.fit(x, y, batch_size=32, verbose=0)
    assert model._step_plans == plans and all(plans.values())


def test_flat_buffers_follow_set_weights_and_a_rebound_array():
    model = _model(_mlp())
    x, y = _data()
    model.fit(x, y, batch_size=32, verbose=0)
    flat = model.optimizer._flat
    assert flat is not None
    kernel = model.layers[0].kernel
    assert kernel.data.base is flat.weights
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    assert not flat.weights.any()  # written through the views
    kernel.data = np.full(kernel.shape, 0.5, np.float32)  # rebound: adopted again on the next step
    model.fit(x, y, batch_size=32, verbose=0)
    assert kernel.data.base is flat.weights and not np.allclose(kernel.numpy(), 0.5)


def test_a_variable_rebound_to_another_dtype_takes_the_per_variable_path():
    variables = [gn.Variable(np.ones(3, np.float32)), gn.Variable(np.ones((2, 2), np.float32))]
    opt = SGD(0.5)
    opt.apply([np.ones(3, np.float32), np.ones((2, 2), np.float32)], variables)
    variables[0].data = np.ones(3, np.float64)  # as the float64 gradient checker does
    opt.apply([np.ones(3), np.ones((2, 2), np.float32)], variables)
    assert variables[0].dtype == np.float64
    np.testing.assert_array_equal(variables[0].numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(variables[1].numpy(), np.zeros((2, 2)))



@pytest.mark.parametrize("loss, y", [
    ("binary_crossentropy", np.arange(96) % 2),                    # int 0/1 labels, shape (n,)
    ("mse", np.linspace(0, 1, 96)),                                 # float64 targets, float32 model
    (gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), (np.arange(96) % 3).astype(float)),
], ids=["int_binary", "float64_regression", "float_sparse"])
def test_targets_of_another_dtype_are_cast_once_so_the_step_replays(loss, y):
    out = 1 if loss in ("binary_crossentropy", "mse") else 3
    activation = "sigmoid" if loss == "binary_crossentropy" else None
    model = _model([gn.keras.layers.Dense(4, activation="relu"), gn.keras.layers.Dense(out, activation=activation)],
                   loss=loss)
    x, _ = _data()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model.recorded_steps and all(model.recorded_steps.values())


def test_fits_step_function_matches_train_step_batch_by_batch():
    x, y = _data()
    by_function, by_method = _model(_mlp()), _model(_mlp())
    step = by_function.make_train_function()
    for start in range(0, len(x), 20):  # two batch shapes, each recorded then replayed
        xb, yb = x[start:start + 20], y[start:start + 20]
        loss_a, pred_a = step(xb, yb)
        loss_b, pred_b = by_method.train_step(xb, yb)
        assert loss_a == loss_b
        np.testing.assert_array_equal(pred_a, pred_b)
    for a, b in zip(by_function.get_weights(), by_method.get_weights()):
        np.testing.assert_array_equal(a, b)
    grads = [v.grad for v in by_function.trainable_weights]
    assert all(g is not None for g in grads)  # inspectable after a replayed step, as after any


def test_fit_calls_a_subclass_train_step():
    calls = []

    class Counting(gn.keras.Sequential):
        def train_step(self, x, y, sample_weight=None):
            calls.append(len(x))
            return super().train_step(x, y, sample_weight)

    gn.random.set_seed(7)
    model = Counting([gn.keras.Input((6,)), gn.keras.layers.Dense(3)])
    model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    x, y = _data(n=50)
    model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    assert calls == [20, 20, 10] * 2
