"""The ``glassnet`` command line.

``glassnet demo`` trains the course's digit model (Dense 25 relu -> 15 relu -> 10
linear, sparse cross-entropy from logits, Adam 0.001, 40 epochs, batch 32) on the
bundled synthetic digits, prints the summary, the progress and the accuracies, and
draws the loss curve and the misclassified digits when matplotlib is installed.

``glassnet backprop`` walks through the course's backpropagation examples with the
engine: a derivative checked against the seed's epsilon estimate, then the
computation graph of J = 1/2 (w x + b - y)^2 with each node's value (left to right)
and each derivative (right to left).
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main"]


def _derivative_demo(out) -> None:
    import glassnet as gn

    out.write("1. A derivative: J(w) = w^2 at w = 3\n")
    w = gn.tensor(3.0, dtype="float64", requires_grad=True)
    J = w ** 2
    J.backward()
    eps = 0.001
    nudged = float((w.detach() + eps) ** 2)
    out.write(f"   backprop:            dJ/dw = {float(w.grad):g}\n")
    out.write(f"   nudge w by {eps}:    J goes {float(J):g} -> {nudged:.6f}, "
              f"(J(w+e) - J(w)) / e = {(nudged - float(J)) / eps:.6f}\n\n")


def _graph_demo(out) -> None:
    import glassnet as gn

    out.write("2. A computation graph: J = 1/2 (w x + b - y)^2, w = 2, b = 8, x = -2, y = 2\n")
    w = gn.tensor(2.0, dtype="float64", requires_grad=True)
    b = gn.tensor(8.0, dtype="float64", requires_grad=True)
    x, y = -2.0, 2.0
    c = (w * x).retain_grad()
    a = (c + b).retain_grad()
    d = (a - y).retain_grad()
    J = 0.5 * d ** 2
    nodes = [("c = w * x", c), ("a = c + b", a), ("d = a - y", d), ("J = d^2 / 2", J)]
    out.write("   forward, left to right:\n")
    for label, t in nodes:
        out.write(f"     {label:<14} = {float(t):g}\n")
    J.backward()
    out.write("   backward, right to left:\n")
    derivatives = [(label.split(" = ")[0], t) for label, t in reversed(nodes[:-1])]
    for name, t in derivatives + [("w", w), ("b", b)]:
        out.write(f"     dJ/d{name:<10} = {float(t.grad):g}\n")
    order = gn.autograd.topological_order(J)
    out.write(f"   the graph has {len(order)} operation nodes: "
              f"{', '.join(t.node.name for t in order)}\n")


def backprop(out=sys.stdout) -> int:
    """Run the engine on the course's backpropagation examples and print what it computes."""
    out.write(f"glassnet {__version__}: backpropagation through a computation graph\n\n")
    _derivative_demo(out)
    _graph_demo(out)
    return 0


def demo(epochs=40, samples=5000, output_dir="demo_output", seed=1234, out=sys.stdout) -> int:
    """Train the course's digit model on the bundled synthetic digits and report how it did."""
    import numpy as np

    import glassnet as tf
    from glassnet.datasets import synthetic_digits
    from glassnet.keras import Sequential
    from glassnet.keras.layers import Dense

    (x_train, y_train), (x_test, y_test) = synthetic_digits.load_data(n_samples=samples, seed=0)
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    out.write(f"Synthetic 20x20 digits: {len(x_train)} to train on, {len(x_test)} held out\n\n")

    tf.random.set_seed(seed)
    model = Sequential([
        tf.keras.Input(shape=(400,)),
        Dense(25, activation="relu", name="L1"),
        Dense(15, activation="relu", name="L2"),
        Dense(10, activation="linear", name="L3"),
    ], name="digits")
    model.summary(print_fn=lambda line: out.write(line + "\n"))
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(0.001))
    progress = tf.keras.callbacks.ProgbarLogger(verbose=1, stream=out)
    history = model.fit(x_train, y_train, epochs=epochs, verbose=1, callbacks=[progress])

    train_accuracy = float(np.mean(np.argmax(model.predict(x_train), axis=1) == y_train))
    predicted = np.argmax(model.predict(x_test), axis=1)
    test_accuracy = float(np.mean(predicted == y_test))
    out.write(f"\ntraining accuracy: {train_accuracy:.3f}\nheld-out accuracy: {test_accuracy:.3f}\n")
    _draw_results(history, x_test, y_test, predicted, output_dir, out)
    return 0


def _draw_results(history, x_test, y_test, predicted, output_dir, out) -> None:
    import importlib.util
    import os

    if importlib.util.find_spec("matplotlib") is None:
        out.write('(install matplotlib, e.g. pip install "glassnet[plot]", to draw the loss curve '
                  "and the misclassified digits)\n")
        return
    from glassnet.viz import plots

    os.makedirs(output_dir, exist_ok=True)
    loss_path = os.path.join(output_dir, "loss.png")
    plots.plot_loss_curve(history, path=loss_path, title="Training loss")
    wrong = predicted != y_test
    images_path = os.path.join(output_dir, "misclassified.png")
    plots.plot_images(x_test[wrong].reshape(-1, 20, 20), y_test[wrong], predicted[wrong],
                      path=images_path, title=f"{int(wrong.sum())} misclassified held-out digits")
    out.write(f"wrote {loss_path} and {images_path}\n")


def main(argv=None) -> int:
    """Entry point of the ``glassnet`` console script and ``python -m glassnet``."""
    parser = argparse.ArgumentParser(prog="glassnet", description="glassnet command line")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="train the course's digit model on bundled synthetic digits")
    demo_parser.add_argument("--epochs", type=int, default=40)
    demo_parser.add_argument("--samples", type=int, default=5000, help="digits to generate (80%% train)")
    demo_parser.add_argument("--output-dir", default="demo_output", help="where the PNGs go")
    commands.add_parser("backprop", help="show backpropagation on the course's derivative and graph examples")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(epochs=args.epochs, samples=args.samples, output_dir=args.output_dir)
    if args.command == "backprop":
        return backprop()
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
