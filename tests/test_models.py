"""Sequential and Model: structure, introspection, weights, summary() and compile().

What the course's labs and graded tests touch (COURSE_API items 5, 7, 8, 12, 13, 17,
18, 23, 25-27, 30, 32, 33): default names, ``model.layers`` without the Input, the
three spellings of the input size, ``build``/``add``/``pop``/``get_layer``, weights
as copies, symbolic shapes with ``as_list()`` and as tuples, the exact Keras 2
summary text, and compile's resolution, defaults, errors and the from_logits warning.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import glassnet as tf
from glassnet.keras.layers import Dense, Input, InputLayer, Normalization

# ----- models the labs build -----------------------------------------------------------


def w1a_model(first=None, name="my_model"):
    """COURSE W1-A: 400 inputs, Dense 25-15-1 sigmoid named L1-L3."""
    first = [tf.keras.Input(shape=(400,))] if first is None else first
    return tf.keras.Sequential(
        first + [
            Dense(25, activation="sigmoid", name="L1", **({} if first else {"input_shape": (400,)})),
            Dense(15, activation="sigmoid", name="L2"),
            Dense(1, activation="sigmoid", name="L3"),
        ],
        name=name,
    )


def w2a_model():
    """COURSE W2-A: 400 inputs, Dense 25 relu, 15 relu, 10 linear."""
    return tf.keras.Sequential(
        [tf.keras.Input(shape=(400,)), Dense(25, activation="relu", name="L1"),
         Dense(15, activation="relu", name="L2"), Dense(10, activation="linear", name="L3")],
        name="my_model",
    )


def _summary(model, **kwargs):
    lines: list = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


# ----- names ---------------------------------------------------------------------------


def _counter(name, base):
    match = re.fullmatch(rf"{base}(?:_(\d+))?", name)
    assert match, f"{name!r} is not {base} or {base}_k"
    return int(match.group(1) or 0)


@pytest.mark.parametrize("make, base", [
    (lambda: tf.keras.Sequential(), "sequential"),
    (lambda: tf.keras.models.Sequential([Dense(1)]), "sequential"),
    (lambda: Dense(1), "dense"),
    (lambda: Normalization(), "normalization"),
])
def test_default_names_count_up_per_process(make, base):
    first, second = make(), make()
    assert _counter(second.name, base) == _counter(first.name, base) + 1


def test_explicit_names_are_kept_and_looked_up():
    model = w1a_model()
    assert model.name == "my_model"
    assert [layer.name for layer in model.layers] == ["L1", "L2", "L3"]
    assert model.get_layer("L2") is model.layers[1]
    assert model.get_layer(index=-1) is model.layers[2]


def test_get_layer_unknown_name_lists_the_existing_ones():
    model = w1a_model()
    with pytest.raises(ValueError) as error:
        model.get_layer("x")
    assert str(error.value) == "No such layer: x. Existing layers are: ['L1', 'L2', 'L3']."


def test_duplicate_layer_names_are_refused():
    with pytest.raises(ValueError, match="unique"):
        tf.keras.Sequential([Dense(2, name="a"), Dense(1, name="a")])


# ----- the input: three spellings, one model (COURSE_API items 17, 33) -----------------

INPUT_SPELLINGS = [
    ("Input", lambda: [tf.keras.Input(shape=(400,))]),
    ("InputLayer", lambda: [InputLayer((400,))]),
    ("InputLayer-shape", lambda: [tf.keras.layers.InputLayer(input_shape=(400,))]),
    ("layers.Input", lambda: [Input(shape=(400,))]),
    ("input_shape", lambda: []),
]


@pytest.mark.parametrize("label, first", INPUT_SPELLINGS, ids=[s[0] for s in INPUT_SPELLINGS])
def test_input_spellings_give_the_same_built_model(label, first):
    model = w1a_model(first())
    reference = w1a_model()
    assert model.built
    assert len(model.layers) == 3 and all(type(layer) is Dense for layer in model.layers)
    assert model.input.shape.as_list() == [None, 400]
    assert [l.output.shape.as_list() for l in model.layers] == [[None, 25], [None, 15], [None, 1]]
    assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.get_weights()]
    assert model.count_params() == 10431
    assert _summary(model) == _summary(reference)


def test_input_layer_is_not_in_layers_and_the_model_unpacks():
    model = w1a_model()
    [l1, l2, l3] = model.layers
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)
    assert (l1.name, l2.name, l3.name) == ("L1", "L2", "L3")


def test_input_must_come_first():
    with pytest.raises(ValueError, match="first"):
        tf.keras.Sequential([Dense(2), tf.keras.Input(shape=(3,))])


def test_only_layers_can_be_added():
    with pytest.raises(TypeError, match="Only layers"):
        tf.keras.Sequential([np.zeros(3)])


# ----- symbolic shapes and introspection (COURSE_API items 25, 26, 30) -----------------

SHAPES = [
    # (what, getter, as_list, tuple)
    ("model.input", lambda m: m.input.shape, [None, 400], (None, 400)),
    ("model.output", lambda m: m.output.shape, [None, 10], (None, 10)),
    ("L1.output", lambda m: m.layers[0].output.shape, [None, 25], (None, 25)),
    ("L2.output", lambda m: m.layers[1].output.shape, [None, 15], (None, 15)),
    ("L3.output", lambda m: m.layers[2].output.shape, [None, 10], (None, 10)),
    ("L2.input", lambda m: m.layers[1].input.shape, [None, 25], (None, 25)),
    ("input_shape", lambda m: m.input_shape, [None, 400], (None, 400)),
    ("output_shape", lambda m: m.output_shape, [None, 10], (None, 10)),
]


@pytest.mark.parametrize("what, get, as_list, as_tuple", SHAPES, ids=[s[0] for s in SHAPES])
def test_symbolic_shapes_keras2_and_keras3_style(what, get, as_list, as_tuple):
    shape = get(w2a_model())
    if hasattr(shape, "as_list"):
        assert shape.as_list() == as_list  # Keras 2 (the graded tests)
    assert shape == as_tuple  # Keras 3 learner copies compare to tuples
    assert tuple(shape) == as_tuple


def test_graded_introspection_of_the_w2a_model():
    model = w2a_model()
    assert len(model.layers) == 3
    expected = [(25, tf.keras.activations.relu), (15, tf.keras.activations.relu),
                (10, tf.keras.activations.linear)]
    for layer, (units, activation) in zip(model.layers, expected):
        assert type(layer) == Dense  # noqa: E721 - the graded test's own comparison
        assert layer.activation == activation
        assert layer.output.shape.as_list() == [None, units]


def test_layer_weights_are_named_variables():
    model = w1a_model()
    kernel, bias = model.layers[2].weights
    assert (kernel.name, bias.name) == ("L3/kernel:0", "L3/bias:0")
    assert kernel.shape == (15, 1) and bias.shape == (1,)
    assert kernel.dtype == np.float32
    assert "'L3/kernel:0' shape=(15, 1) dtype=float32, numpy=" in repr(kernel)


def test_auto_named_layers_name_their_weights():
    model = tf.keras.Sequential([Dense(2, input_dim=3), Dense(1)])
    for layer in model.layers:
        assert [w.name for w in layer.weights] == [f"{layer.name}/kernel:0", f"{layer.name}/bias:0"]
        assert re.fullmatch(r"dense(_\d+)?", layer.name)


# ----- building: build(), input_dim, lazy building, add and pop --------------------------


def test_unbuilt_model_refuses_summary_and_count_params():
    model = tf.keras.Sequential([Dense(2), Dense(1)])
    assert not model.built
    for call in (model.summary, model.count_params):
        with pytest.raises(ValueError, match=r"^This model has not yet been built"):
            call()


def test_build_with_input_shape_then_build_again_is_a_no_op():
    model = tf.keras.Sequential([Dense(25, activation="relu"), Dense(10)])
    model.build(input_shape=(None, 400))
    assert model.built and model.input.shape.as_list() == [None, 400]
    before = model.get_weights()
    variables = model.weights
    model.build(input_shape=(None, 400))
    assert model.weights == variables or all(a is b for a, b in zip(model.weights, variables))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.count_params() == 400 * 25 + 25 + 25 * 10 + 10


def test_build_for_another_input_size_once_built_is_refused():
    model = tf.keras.Sequential([Dense(2), Dense(1)])
    model.build((None, 3))
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"already built for input shape \(None, 3\)"):
        model.build((None, 5))
    assert model.input.shape.as_list() == [None, 3]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_build_without_a_shape_says_what_it_needs():
    with pytest.raises(ValueError, match="input_shape"):
        tf.keras.Sequential([Dense(1)]).build()


def test_input_dim_builds_at_construction_so_summary_works():
    model = tf.keras.Sequential([Dense(1, input_dim=1)])
    assert model.built
    lines = _summary(model)
    assert lines[-4:-1] == ["Total params: 2", "Trainable params: 2", "Non-trainable params: 0"]


def test_calling_an_unbuilt_model_builds_it():
    model = tf.keras.Sequential([Dense(3), Dense(2)])
    out = model(np.ones((4, 5)))
    assert isinstance(out, tf.Tensor) and out.shape == (4, 2)
    assert model.built and model.input.shape.as_list() == [None, 5]
    assert model.count_params() == 5 * 3 + 3 + 3 * 2 + 2


def test_add_and_pop():
    model = tf.keras.Sequential([tf.keras.Input(shape=(4,))])
    assert model.layers == []
    first = Dense(3, name="a")
    model.add(first)
    model.add(Dense(2, name="b"))
    assert [layer.name for layer in model.layers] == ["a", "b"]
    assert model.built and first.built and model.output.shape.as_list() == [None, 2]
    popped = model.pop()
    assert popped.name == "b" and model.layers == [first]
    assert model(np.ones((1, 4))).shape == (1, 3)
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_a_model_with_no_layers_cannot_be_called():
    with pytest.raises(ValueError, match="no layers"):
        tf.keras.Sequential()(np.ones((1, 2)))


# ----- weights (COURSE_API items 7, 23) ---------------------------------------------------


def test_get_weights_returns_float32_copies_in_layer_order():
    model = w1a_model()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(400, 25), (25,), (25, 15), (15,), (15, 1), (1,)]
    assert all(w.dtype == np.float32 for w in weights)
    weights[0][:] = 7.0
    assert not np.any(model.get_weights()[0] == 7.0)
    W, b = model.layers[0].get_weights()  # noqa: N806 - the labs' spelling
    np.testing.assert_array_equal(W, model.get_weights()[0])
    np.testing.assert_array_equal(b, np.zeros(25, dtype=np.float32))


def test_set_weights_round_trip_casts_to_float32():
    model = tf.keras.Sequential([Dense(2, input_dim=3), Dense(1)])
    new = [np.arange(6).reshape(3, 2), np.array([1, 2]), np.ones((2, 1)), np.array([0.5])]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    x = np.array([[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(model.predict(x), (x @ new[0] + new[1]) @ new[2] + new[3])


BAD_WEIGHTS = [
    ("last shape wrong", lambda w: w[:-1] + [np.zeros(2)], "shape"),
    ("first shape wrong", lambda w: [np.zeros((2, 3))] + w[1:], "shape"),
    ("too few", lambda w: w[:-1], "expects 4"),
    ("too many", lambda w: w + [np.zeros(1)], "expects 4"),
]


@pytest.mark.parametrize("label, corrupt, match", BAD_WEIGHTS, ids=[b[0] for b in BAD_WEIGHTS])
def test_bad_set_weights_change_nothing(label, corrupt, match):
    model = tf.keras.Sequential([Dense(2, input_dim=3), Dense(1)])
    before = model.get_weights()
    ones = [np.ones_like(w) for w in before]
    with pytest.raises(ValueError, match=match):
        model.set_weights(corrupt(ones))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_count_params_and_weight_lists():
    model = w1a_model()
    assert model.count_params() == 10431
    assert len(model.weights) == len(model.trainable_weights) == 6
    assert model.non_trainable_weights == []


# ----- summary() (COURSE_API item 13) -------------------------------------------------------

# The course's W1-A output (Keras 2): rows are padded to 65 characters.
W1A_SUMMARY = [
    'Model: "my_model"',
    "_" * 65,
    " Layer (type)                Output Shape              Param #   ",
    "=" * 65,
    " L1 (Dense)                  (None, 25)                10025     ",
    " " * 65,
    " L2 (Dense)                  (None, 15)                390       ",
    " " * 65,
    " L3 (Dense)                  (None, 1)                 16        ",
    " " * 65,
    "=" * 65,
    "Total params: 10,431",
    "Trainable params: 10,431",
    "Non-trainable params: 0",
    "_" * 65,
]


def test_summary_is_keras2_text_line_by_line():
    lines = _summary(w1a_model())
    assert len(lines) == len(W1A_SUMMARY)
    for got, want in zip(lines, W1A_SUMMARY):
        assert got == want


def test_summary_prints_to_stdout(capsys):
    w1a_model().summary()
    assert capsys.readouterr().out == "\n".join(W1A_SUMMARY) + "\n"


def test_summary_columns_start_at_1_29_55():
    for line in _summary(w1a_model())[4:10:2]:
        assert len(line) == 65
        assert line[0] == " " and line[1] != " "
        assert line[28] == " " and line[29] == "("
        assert line[54] == " " and line[55].isdigit()


def test_summary_counts_normalization_statistics_as_non_trainable():
    norm = Normalization(axis=-1)
    norm.adapt(np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]]))
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), norm, Dense(3, name="hidden")], name="normed")
    lines = _summary(model)
    assert lines[0] == 'Model: "normed"'
    assert lines[-4:-1] == ["Total params: 14", "Trainable params: 9", "Non-trainable params: 5"]
    assert " hidden (Dense)              (None, 3)                 9         " in lines
    assert model.count_params() == 14
    assert len(model.non_trainable_weights) == 3  # mean, variance, count


def test_summary_thousands_separators_for_large_counts():
    model = tf.keras.Sequential([Dense(1000, input_dim=1000, name="big")])
    lines = _summary(model)
    assert " big (Dense)                 (None, 1000)              1001000   " in lines
    assert "Total params: 1,001,000" in lines


# ----- compile (COURSE_API item 8) -------------------------------------------------------------


def test_compile_defaults_to_rmsprop():
    model = w1a_model()
    model.compile(loss=tf.keras.losses.BinaryCrossentropy())
    assert isinstance(model.optimizer, tf.keras.optimizers.RMSprop)


def test_compiling_again_replaces_loss_and_optimizer():
    model = w1a_model()
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=tf.keras.optimizers.Adam(0.01))
    loss, optimizer = tf.keras.losses.MeanSquaredError(), tf.keras.optimizers.SGD(0.1)
    model.compile(loss=loss, optimizer=optimizer)
    assert model.loss is loss and model.optimizer is optimizer


UNKNOWN_NAMES = [
    ("loss", {"loss": "no_such_loss", "optimizer": "adam"}, "no_such_loss"),
    ("optimizer", {"loss": "mse", "optimizer": "no_such_opt"}, "no_such_opt"),
    ("metric", {"loss": "mse", "optimizer": "adam", "metrics": ["no_such_metric"]}, "no_such_metric"),
    ("activation", None, "no_such_act"),
    ("initializer", None, "no_such_init"),
]


@pytest.mark.parametrize("what, kwargs, name", UNKNOWN_NAMES, ids=[u[0] for u in UNKNOWN_NAMES])
def test_unknown_names_raise_value_error_naming_them(what, kwargs, name):
    with pytest.raises(ValueError, match=name):
        if what == "activation":
            Dense(1, activation=name)
        elif what == "initializer":
            Dense(1, kernel_initializer=name)
        else:
            tf.keras.Sequential([Dense(1, input_dim=2)]).compile(**kwargs)


def test_compile_rejects_unknown_keywords():
    with pytest.raises(TypeError, match="lossy"):
        tf.keras.Sequential([Dense(1)]).compile(loss="mse", lossy=1)


@pytest.mark.parametrize("call", ["fit", "evaluate"])
def test_training_before_compile_is_a_clear_error(call):
    model = tf.keras.Sequential([Dense(1, input_dim=2)])
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        getattr(model, call)(np.zeros((4, 2)), np.zeros(4))


def test_predict_needs_no_compile():
    model = tf.keras.Sequential([Dense(1, input_dim=2)])
    assert model.predict(np.zeros((3, 2))).shape == (3, 1)


# The from_logits warning: (output activation, loss, warns?)
FROM_LOGITS_CASES = [
    ("sigmoid", lambda: tf.keras.losses.BinaryCrossentropy(from_logits=True), True),
    ("softmax", lambda: tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), True),
    ("softmax", lambda: tf.keras.losses.CategoricalCrossentropy(from_logits=True), True),
    ("linear", lambda: tf.keras.losses.BinaryCrossentropy(), True),
    ("linear", lambda: tf.keras.losses.SparseCategoricalCrossentropy(), True),
    ("linear", lambda: "sparse_categorical_crossentropy", True),
    # the preferred and the plain combinations stay quiet
    ("linear", lambda: tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), False),
    ("linear", lambda: tf.keras.losses.BinaryCrossentropy(from_logits=True), False),
    ("sigmoid", lambda: tf.keras.losses.BinaryCrossentropy(), False),
    ("softmax", lambda: tf.keras.losses.SparseCategoricalCrossentropy(), False),
    ("linear", lambda: tf.keras.losses.MeanSquaredError(), False),
    ("linear", lambda: "mse", False),
    ("linear", lambda: tf.keras.losses.MeanAbsoluteError(), False),
    ("relu", lambda: tf.keras.losses.MeanSquaredError(), False),
]


@pytest.mark.parametrize("activation, make_loss, warns", FROM_LOGITS_CASES)
def test_from_logits_warning_once_with_the_layer_name(activation, make_loss, warns):
    model = tf.keras.Sequential([Dense(4, activation="relu", input_dim=2), Dense(3, activation=activation, name="out")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile(loss=make_loss(), optimizer="adam")
        y = np.array([0, 1, 2, 1]) if "sparse" in str(model.loss.name) else np.eye(3)[[0, 1, 2, 1]]
        model.fit(np.ones((4, 2)), y, epochs=2, verbose=0)
        model.evaluate(np.ones((4, 2)), y, verbose=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if warns:
        assert len(messages) == 1, messages
        assert '"out"' in messages[0] and "from_logits" in messages[0]
        assert [w.filename for w in caught if issubclass(w.category, UserWarning)] == [__file__]  # the compile call
    else:
        assert messages == []


def test_model_call_returns_a_tensor_in_both_modes():
    tf.random.set_seed(3)
    model = tf.keras.Sequential([Dense(3, activation="relu", input_dim=2), Dense(1)])
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    inference, training = model(x), model(x, training=True)
    assert isinstance(inference, tf.Tensor) and isinstance(training, tf.Tensor)
    assert inference.dtype == np.float32
    np.testing.assert_array_equal(inference.numpy(), training.numpy())  # Dense has no training mode
    np.testing.assert_array_equal(inference.numpy(), model.predict(x))
