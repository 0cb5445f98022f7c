"""Generate the Keras 3 fixture files that tests/test_saving.py loads into glassnet.

Run it with a Python interpreter that has Keras 3 (any backend) installed, from the
repository root::

    python tools/make_keras_fixtures.py            # writes tests/fixtures/keras3/
    python tools/make_keras_fixtures.py --out DIR  # somewhere else

Each fixture ``<name>`` is a small compiled Sequential model trained for two epochs
(one full batch per epoch, shuffle=False) and written as:

- ``<name>.keras``: ``model.save`` (config.json, metadata.json, model.weights.h5, with
  the optimizer state);
- ``<name>_x.npy``, ``<name>_y.npy``: the inputs and targets it was trained on;
- ``<name>_pred.npy``: ``model.predict(x)`` of the saved model;
- ``<name>_next_pred.npy``: the predictions after one more epoch of ``fit`` in Keras,
  so a test can check that glassnet resumes training exactly where Keras stopped;
- and one entry of ``manifest.json``: the layers used, the next epoch's loss, and the
  Keras paths of the optimizer variables in the order they are stored.

``dense.weights.h5`` is ``model.save_weights`` of the ``dense_adam`` model. The files
are data only (JSON and HDF5): nothing in them is executed by the loader.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def _fixtures(keras):
    """(name, model builder, optimizer, loss, metrics, x, y) for each fixture."""
    layers = keras.layers
    rng = np.random.default_rng(0)

    def classes(n, k):
        return rng.integers(0, k, size=n)

    x4 = rng.normal(size=(16, 4)).astype("float32") * 3.0 + 1.0
    x5 = rng.normal(size=(16, 5)).astype("float32")
    x3 = rng.normal(size=(16, 3)).astype("float32")
    images = rng.normal(size=(8, 8, 8, 1)).astype("float32")
    one_hot = np.eye(3, dtype="float32")[classes(16, 3)]

    def dense_adam():
        norm = layers.Normalization()
        norm.adapt(x4)
        return keras.Sequential([
            keras.Input((4,)), norm,
            layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
            layers.Dense(3, activation="softmax"),
        ], name="dense_adam")

    def activations_sgd():
        return keras.Sequential([
            keras.Input((5,)), layers.Dense(6), layers.LeakyReLU(negative_slope=0.2),
            layers.ReLU(max_value=1.5), layers.Dense(4, activation="tanh"),
            layers.Activation("sigmoid"), layers.Dense(3), layers.Softmax(),
        ], name="activations_sgd")

    def regression_rmsprop():
        return keras.Sequential([
            keras.Input((3,)), layers.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 1.0, 0.25]),
            layers.Dense(4, activation="elu", kernel_initializer="he_normal"), layers.Dense(1),
        ], name="regression_rmsprop")

    def cnn_adam_amsgrad():
        return keras.Sequential([
            keras.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D(),
            layers.Flatten(), layers.Dense(3),
        ], name="cnn_adam_amsgrad")

    def small(name):
        return lambda: keras.Sequential([keras.Input((3,)), layers.Dense(2)], name=name)

    optimizers = keras.optimizers
    return [
        ("dense_adam", dense_adam, optimizers.Adam(0.01),
         keras.losses.SparseCategoricalCrossentropy(), ["accuracy"], x4, classes(16, 3)),
        ("activations_sgd", activations_sgd, optimizers.SGD(0.05, momentum=0.9, nesterov=True),
         "categorical_crossentropy", ["accuracy"], x5, one_hot),
        ("regression_rmsprop", regression_rmsprop, optimizers.RMSprop(0.01, momentum=0.5, centered=True),
         "mse", ["mae"], x3, x3.sum(axis=1, keepdims=True)),
        ("cnn_adam_amsgrad", cnn_adam_amsgrad, optimizers.Adam(0.01, amsgrad=True),
         keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"], images, classes(8, 3)),
        ("opt_nadam", small("opt_nadam"), optimizers.Nadam(0.02), "mse", [], x3, x3[:, :2]),
        ("opt_adagrad", small("opt_adagrad"), optimizers.Adagrad(0.1), "mse", [], x3, x3[:, :2]),
        ("opt_adamw", small("opt_adamw"), optimizers.AdamW(0.02, weight_decay=0.1), "mae", [], x3, x3[:, :2]),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[1]
                                             / "tests" / "fixtures" / "keras3"))
    args = parser.parse_args(argv)
    import keras

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    manifest = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "fixtures": {}}
    for name, build, optimizer, loss, metrics, x, y in _fixtures(keras):
        model = build()
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        model.fit(x, y, batch_size=len(x), epochs=2, shuffle=False, verbose=0)
        model.save(out / f"{name}.keras")
        if name == "dense_adam":
            model.save_weights(out / "dense.weights.h5")
        np.save(out / f"{name}_x.npy", x)
        np.save(out / f"{name}_y.npy", np.asarray(y))
        np.save(out / f"{name}_pred.npy", model.predict(x, verbose=0))
        history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        np.save(out / f"{name}_next_pred.npy", model.predict(x, verbose=0))
        manifest["fixtures"][name] = {
            "layers": [type(layer).__name__ for layer in model.layers],
            "optimizer": type(model.optimizer).__name__,
            "next_loss": float(history.history["loss"][0]),
            "optimizer_variables": [v.path for v in model.optimizer.variables],
        }
        print(f"{name}: {manifest['fixtures'][name]['layers']}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
