"""plot_history, plot_decision_boundary and plot_layer_units render PNGs (Agg) that show the model."""

import builtins
import struct

import numpy as np
import pytest

import glassnet as tf
from glassnet import viz
from glassnet.keras.layers import Dense

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) of a PNG file, after checking that it is one."""
    data = path.read_bytes()
    assert path.stat().st_size > 1000 and data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def dense_model(*layers, loss=None):
    """A Sequential model on 2 inputs whose Dense layers get the given (kernel, bias, activation)."""
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,))] + [
        Dense(len(bias), activation=activation, name=f"L{i + 1}") for i, (_, bias, activation) in enumerate(layers)])
    for layer, (kernel, bias, _) in zip(model.layers, layers):
        layer.set_weights([np.asarray(kernel, np.float32), np.asarray(bias, np.float32)])
    if loss is not None:
        model.compile(loss=loss, optimizer="sgd")
    return model


def title(fig):
    return fig.axes[0].get_title()


# ----- plot_history ------------------------------------------------------------------------------
def test_history_has_a_panel_per_metric_with_validation_beside_training(tmp_path):
    pytest.importorskip("matplotlib")
    history = {"val_loss": [1.3, 0.9], "loss": [1.2, 0.8], "accuracy": [0.5, 0.7],
               "val_accuracy": [0.4, 0.6], "mse": [3.0, 2.0], "learning_rate": [0.1, 0.05]}
    path = tmp_path / "history.png"
    fig = viz.plot_history(history, path=path)
    assert png_size(path)[0] > 1000                          # three panels side by side
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy", "mse", "learning_rate"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["loss", "val_loss"]
    assert [line.get_linestyle() for line in fig.axes[1].lines] == ["-", "--"]
    assert viz.plot_loss_curve is viz.plot_history


def test_history_from_fit(tmp_path):
    pytest.importorskip("matplotlib")
    model = dense_model(([[1.0], [0.0]], [0.0], "sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    x = np.array([[-1.0, 0.0], [1.0, 0.0]] * 4, np.float32)
    history = model.fit(x, np.array([0, 1] * 4), epochs=3, validation_split=0.25, verbose=0)
    fig = viz.plot_history(history, path=tmp_path / "fit.png", title="fit")
    png_size(tmp_path / "fit.png")
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]


# ----- plot_decision_boundary --------------------------------------------------------------------
# Points on both sides of x0 = 0; the one at x0 = 0.3 tells a 0.5 threshold from a 0 one.
X2 = np.array([[-1.0, 0.5], [-2.0, -1.0], [0.3, 0.0], [1.0, 1.0], [2.0, -0.5]])
Y2 = np.array([0, 0, 1, 1, 1])


@pytest.mark.parametrize("activation, loss", [
    ("sigmoid", "binary_crossentropy"),                     # probabilities: class 1 at >= 0.5
    ("linear", tf.keras.losses.BinaryCrossentropy(from_logits=True)),   # logits: at >= 0
    ("linear", None),                                       # uncompiled, linear: logits too
])
def test_binary_boundary_of_a_one_unit_output(tmp_path, activation, loss):
    pytest.importorskip("matplotlib")
    model = dense_model(([[1.0], [0.0]], [0.0], activation), loss=loss)
    path = tmp_path / "binary.png"
    fig = viz.plot_decision_boundary(model, X2, Y2, path, resolution=40)
    assert png_size(path) == (640, 520)
    assert title(fig) == "Decision regions (0 of 5 points misclassified)"
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_binary_threshold_and_misclassified_points(tmp_path):
    pytest.importorskip("matplotlib")
    model = dense_model(([[1.0], [0.0]], [0.0], "linear"))
    fig = viz.plot_decision_boundary(model, X2, Y2, tmp_path / "t.png", resolution=30, threshold=0.5)
    assert title(fig) == "Decision regions (1 of 5 points misclassified)"   # 0.3 < 0.5
    assert "misclassified" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    png_size(tmp_path / "t.png")


def test_multiclass_regions_follow_the_argmax(tmp_path):
    pytest.importorskip("matplotlib")
    # logits (x0, -x0, x1 - 1): class 0 right, class 1 left, class 2 high up
    model = dense_model(([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], [0.0, 0.0, -1.0], "linear"))
    X = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 3.0], [2.0, 0.5]])
    y = np.eye(3)[[0, 1, 2, 2]]                             # one-hot labels; the last is wrong
    path = tmp_path / "multi.png"
    fig = viz.plot_decision_boundary(model, X, y, path, resolution=50, class_names=["right", "left", "up"],
                                     title="three classes")
    png_size(path)
    assert title(fig) == "Decision regions (1 of 4 points misclassified)"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["right", "left", "up", "misclassified"]
    assert fig._suptitle.get_text() == "three classes"


def test_two_logits_are_binary_by_argmax_and_functions_work_too(tmp_path):
    pytest.importorskip("matplotlib")
    two = lambda p: np.stack([-p[:, 0], p[:, 0]], axis=1)   # noqa: E731
    fig = viz.plot_decision_boundary(two, X2, Y2.reshape(-1, 1).astype(float), tmp_path / "f.png", resolution=20)
    assert title(fig) == "Decision regions (0 of 5 points misclassified)"
    fig = viz.plot_decision_boundary(lambda p: p[:, 0] > 1.5, X2, Y2, tmp_path / "g.png", resolution=20,
                                     bounds=((-3, 3), (-2, 2)))
    assert title(fig) == "Decision regions (2 of 5 points misclassified)"
    assert fig.axes[0].get_xlim() == (-3.0, 3.0)


@pytest.mark.parametrize("X, y, kwargs, match", [
    (np.zeros((4, 3)), [0, 1, 0, 1], {}, r"shape \(n, 2\)"),
    (np.zeros((4, 2)), [0, 1, 0], {}, "4 points but 3 labels"),
    (np.zeros((4, 2)), [0, 1, 0.5, 1], {}, "class indices"),
    (np.zeros((4, 2)), [0, 1, 0, 1], {"resolution": 1}, "resolution"),
    (np.zeros((4, 2)), [0, 1, 0, 1], {"bounds": ((1, 0), (0, 1))}, "bounds"),
])
def test_decision_boundary_rejects_bad_input(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_decision_boundary(lambda p: p[:, 0], X, y, **kwargs)


# ----- plot_layer_units ----------------------------------------------------------------------------
W1, B1 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, -1.0])


def blob_model():
    return dense_model((W1, B1, "relu"), (np.ones((2, 4)), np.zeros(4), "linear"))


def test_each_unit_is_its_relu_over_the_plane(tmp_path):
    pytest.importorskip("matplotlib")
    model = blob_model()
    X = np.array([[-2.0, -1.0], [2.0, 1.0], [0.0, 2.0], [1.0, -1.0]])
    path = tmp_path / "units.png"
    fig = viz.plot_layer_units(model, "L1", X, [0, 1, 2, 3], path=path, resolution=25)
    png_size(path)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["unit 0", "unit 1"]
    assert len(fig.axes) == 4                                # a colour bar beside each panel
    assert fig._suptitle.get_text() == 'Units of layer "L1" (relu)'
    # the image of unit j is relu(x @ W1[:, j] + B1[j]) on the padded grid
    g0 = np.linspace(-2.4, 2.4, 25)
    g1 = np.linspace(-1.3, 2.3, 25)
    xx, yy = np.meshgrid(g0, g1)
    for j, ax in enumerate(panels):
        expected = np.maximum(xx * W1[0, j] + yy * W1[1, j] + B1[j], 0.0)
        np.testing.assert_allclose(ax.images[0].get_array(), expected, atol=1e-5)


def test_layers_by_index_or_object_and_the_output_layer(tmp_path):
    pytest.importorskip("matplotlib")
    model = blob_model()
    bounds = ((-1, 1), (-1, 1))
    fig = viz.plot_layer_units(model, -1, bounds=bounds, path=tmp_path / "out.png", resolution=10)
    assert len(fig.axes) == 8 and fig._suptitle.get_text() == 'Units of layer "L2" (linear)'
    fig = viz.plot_layer_units(model, model.layers[0], bounds=bounds, path=tmp_path / "first.png",
                               resolution=10, title="first layer", cmap="magma")
    assert len(fig.axes) == 4 and fig._suptitle.get_text() == "first layer"
    png_size(tmp_path / "first.png")


BOX = ((0, 1), (0, 1))


@pytest.mark.parametrize("call, error, match", [
    (lambda m: viz.plot_layer_units(m, "nope", bounds=BOX), ValueError, r"Existing layers are: \['L1', 'L2'\]"),
    (lambda m: viz.plot_layer_units(m, 5, bounds=BOX), ValueError, "no layer at index 5"),
    (lambda m: viz.plot_layer_units(m, "L1"), ValueError, "bounds"),
    (lambda m: viz.plot_layer_units(m, "L1", y=[0, 1]), ValueError, "without the points"),
    (lambda m: viz.plot_layer_units(lambda x: x, 0, bounds=BOX), TypeError, "Sequential"),
])
def test_layer_units_rejects_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(blob_model())


# ----- without matplotlib ----------------------------------------------------------------------------
def test_new_plots_say_how_to_install_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    hint = r'pip install "glassnet\[plot\]"'
    with pytest.raises(ImportError, match=hint):
        viz.plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match=hint):
        viz.plot_decision_boundary(lambda p: p[:, 0], X2, Y2, resolution=5)
    with pytest.raises(ImportError, match=hint):
        viz.plot_layer_units(blob_model(), "L1", bounds=((0, 1), (0, 1)), resolution=5)
