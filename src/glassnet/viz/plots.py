"""Training curves, image grids and pictures of what a model does on a 2-D input plane.

:func:`plot_history` draws the loss and each metric per epoch (training and validation);
:func:`plot_images` a grid of images captioned with true and predicted labels;
:func:`plot_decision_boundary` the regions where a model predicts each class, for 2-D
inputs; :func:`plot_layer_units` each unit of a hidden layer as a colour map over the
input plane.

matplotlib is imported inside the functions, so ``import glassnet`` never needs it; a
plot requested without it raises an ImportError that says how to install it. With
``path`` given, the figure is drawn on its own Agg canvas (no window, no pyplot state)
and written as a PNG; without ``path`` it is made through pyplot, so ``plt.show()`` or a
notebook displays it.

Example:
    >>> from glassnet.viz import missing_matplotlib_message
    >>> 'pip install "glassnet[plot]"' in missing_matplotlib_message()
    True
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["missing_matplotlib_message", "plot_decision_boundary", "plot_history", "plot_images",
           "plot_layer_units", "plot_loss_curve"]


def missing_matplotlib_message():
    """The message shown when a plot is requested but matplotlib is not installed."""
    return ('glassnet.viz needs matplotlib to draw plots, and it is not installed. '
            'Install it with `pip install "glassnet[plot]"` (or `pip install matplotlib`).')


def _new_figure(path, figsize):
    """A Figure: on its own Agg canvas when it is written to ``path``, else through pyplot."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(missing_matplotlib_message()) from error
    if path is None:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _finish(fig, path, title):
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png", dpi=100)
    return fig


def plot_history(history, path=None, title=None):
    """Plot the loss and each metric per epoch, one panel each, validation dashed beside training.

    Args:
        history: the ``History`` returned by ``model.fit`` (anything with a ``.history``
            dict), or a dict such as ``{'loss': [...], 'val_loss': [...], 'accuracy': [...]}``
            mapping names to one value per epoch. ``val_x`` shares the panel of ``x``;
            the loss panel comes first.
        path: where to write the figure as a PNG (default None: not written).
        title: optional title above the figure.

    Returns:
        The matplotlib ``Figure`` (``plot_loss_curve`` is the same function).

    Raises:
        ImportError: when matplotlib is not installed (the message says how to install it).
        ValueError: when there is nothing to plot.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise ValueError("plot_history expects a History (with a `.history` dict) or a dict of "
                         f"per-epoch values. Received: {type(history).__name__}")
    series = {str(k): np.asarray(v, dtype=np.float64).reshape(-1) for k, v in logs.items()}
    series = {k: v for k, v in series.items() if v.size}
    if not series:
        raise ValueError(f"plot_history found no per-epoch values to plot. Received keys: {list(logs)}")
    panels: dict = {}
    for name in series:  # 'val_accuracy' goes with 'accuracy'
        panels.setdefault(name[4:] if name.startswith("val_") else name, []).append(name)
    order = sorted(panels, key=lambda base: base != "loss")

    cols = min(len(order), 3)
    rows = math.ceil(len(order) / cols)
    fig = _new_figure(path, figsize=(5.0 * cols, 3.8 * rows))
    for i, base in enumerate(order):
        ax = fig.add_subplot(rows, cols, i + 1)
        for name in sorted(panels[base], key=lambda n: n.startswith("val_")):
            epochs = np.arange(1, series[name].size + 1)
            ax.plot(epochs, series[name], marker="o" if epochs.size <= 30 else None,
                    linestyle="--" if name.startswith("val_") else "-", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(base)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return _finish(fig, path, title)


plot_loss_curve = plot_history  # the earlier name, kept for existing code


def plot_images(images, true_labels, predicted_labels=None, path=None, max_images=25, title=None):
    """Show images in a grid captioned ``true/pred``; misclassified ones are marked in red.

    Args:
        images: array of shape ``(n, H, W)``, ``(n, H, W, 1 or 3)``, or ``(n, H * W)`` with a
            square ``H * W`` (flattened images are reshaped).
        true_labels: ``(n,)`` labels (or ``(n, classes)`` one-hot rows).
        predicted_labels: optional ``(n,)`` predicted labels, or ``(n, classes)`` scores
            (e.g. ``model.predict`` output) whose argmax is taken.
        path: where to write the figure as a PNG (default None: not written).
        max_images: show at most this many images, the first ones (default 25).
        title: optional title above the grid.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: when matplotlib is not installed (the message says how to install it).
        ValueError: for mismatched lengths or shapes that are not images.
    """
    images = np.asarray(images)
    true_labels = np.asarray(true_labels)
    if true_labels.ndim == 2 and true_labels.shape[1] > 1:   # one-hot rows
        true_labels = true_labels.argmax(axis=-1)
    true_labels = true_labels.reshape(-1)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError("plot_images: flattened images must have a square number of pixels. "
                             f"Received: images with shape {images.shape}")
        images = images.reshape(-1, side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError("plot_images expects images of shape (n, H, W), (n, H, W, 1 or 3) or (n, H*W). "
                         f"Received: images with shape {images.shape}")
    if len(true_labels) != len(images):
        raise ValueError(f"plot_images: got {len(images)} images but {len(true_labels)} true labels.")
    if predicted_labels is not None:
        predicted_labels = np.asarray(predicted_labels)
        if predicted_labels.ndim == 2:
            predicted_labels = predicted_labels.argmax(axis=-1)
        if len(predicted_labels) != len(images):
            raise ValueError(f"plot_images: got {len(images)} images "
                             f"but {len(predicted_labels)} predicted labels.")
    if isinstance(max_images, bool) or not isinstance(max_images, numbers.Integral) or max_images < 1:
        raise ValueError(f"`max_images` must be an integer >= 1. Received: max_images={max_images!r}")

    count = min(len(images), max_images)
    cols = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / cols))
    fig = _new_figure(path, figsize=(1.3 * cols, 1.45 * rows + (0.4 if title else 0)))
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray" if images.ndim == 3 else None, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        caption, color = f"{true_labels[i]}", "black"
        if predicted_labels is not None:
            caption = f"{true_labels[i]}/{predicted_labels[i]}"
            if predicted_labels[i] != true_labels[i]:
                color = "red"
                for spine in ax.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(2)
        ax.set_title(caption, color=color, fontsize=9)
    return _finish(fig, path, title)


# ----- a 2-D input plane --------------------------------------------------------------------
def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def _plane_inputs(caller, X, y):
    """X as float64 ``(n, 2)`` and y as int ``(n,)`` (or None); one-hot rows become indices."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{caller} draws 2-D inputs: X must have shape (n, 2). "
                         f"Received: X with shape {X.shape}")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows
        y = y.argmax(axis=-1)
    y = y.reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"{caller}: got {len(X)} points but {len(y)} labels.")
    if y.size and (not np.all(np.isfinite(y)) or np.any(y < 0) or np.any(y != np.round(y))):
        raise ValueError(f"{caller}: labels must be class indices 0, 1, 2, ... (or one-hot rows). "
                         f"Received: {np.unique(y)[:10]}")
    return X, y.astype(np.int64)


def _plane(X, bounds, padding, resolution):
    """A ``resolution`` x ``resolution`` grid over the plane: (g0, g1, points of shape (r*r, 2))."""
    resolution = _check_count("resolution", resolution, 2)
    if isinstance(padding, bool) or not isinstance(padding, numbers.Real) or not padding >= 0:
        raise ValueError(f"`padding` must be a number >= 0. Received: padding={padding!r}")
    if bounds is not None:
        box = np.asarray(bounds, dtype=np.float64)
        if box.shape != (2, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 0] >= box[:, 1]):
            raise ValueError("`bounds` must be ((x0_min, x0_max), (x1_min, x1_max)) with min < max. "
                             f"Received: bounds={bounds!r}")
        low, high = box[:, 0], box[:, 1]
    elif X is not None and len(X):
        low, high = X.min(axis=0), X.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        low, high = low - padding * span, high + padding * span
    else:
        raise ValueError("Give the points X or the `bounds` of the plane to draw.")
    g0 = np.linspace(low[0], high[0], resolution)
    g1 = np.linspace(low[1], high[1], resolution)
    xx, yy = np.meshgrid(g0, g1)  # row i holds x1 = g1[i]
    return g0, g1, np.column_stack([xx.ravel(), yy.ravel()])


def _predict(model, points):
    """The model's outputs on ``points`` as float64 ``(n, k)``: ``model.predict``, or a callable."""
    if callable(getattr(model, "predict", None)):
        scores = model.predict(points, batch_size=4096, verbose=0)
    elif callable(model):
        scores = model(points)
    else:
        raise TypeError("Expected a model with `predict` or a function of inputs. "
                        f"Received: {type(model).__name__}")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or len(scores) != len(points):
        raise ValueError(f"Expected one output row per point, shape ({len(points)}, k). "
                         f"Received: outputs with shape {scores.shape}")
    return scores


def _logits_threshold(model):
    """0.0 when a 1-unit output is a logit (compiled with from_logits=True, or a linear last layer), else 0.5."""
    from .. import activations

    if getattr(getattr(model, "loss", None), "from_logits", False):
        return 0.0
    layers = getattr(model, "layers", None) or []
    return 0.0 if layers and getattr(layers[-1], "activation", None) is activations.linear else 0.5


def _class_colors(n):
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _scatter_classes(ax, X, y, colors, class_names=None, size=18):
    for k in np.unique(y):
        rows = y == k
        label = class_names[k] if class_names is not None and k < len(class_names) else f"class {k}"
        ax.scatter(X[rows, 0], X[rows, 1], s=size, color=colors[k], edgecolors="black",
                   linewidths=0.4, label=label)


def plot_decision_boundary(model, X, y, path=None, resolution=200, *, threshold=None, padding=0.1,
                           bounds=None, class_names=None, title=None):
    """Colour the input plane by the class the model predicts there, with the points on top.

    A one-column output (a sigmoid unit) is binary: class 1 where it is at least
    ``threshold``; two or more columns (logits or probabilities) give the argmax class.
    Points the model gets wrong are crossed.

    Args:
        model: a model with ``predict`` (its outputs on a grid are computed in one pass),
            or a function mapping an ``(m, 2)`` array to ``(m,)`` or ``(m, k)`` outputs.
        X: points of shape ``(n, 2)``.
        y: their labels, ``(n,)`` class indices (or ``(n, 1)``, or one-hot rows).
        path: where to write the figure as a PNG, a file name or a binary file object
            (default None: not written).
        resolution: grid points along each axis (default 200).
        threshold: for one-column outputs, where class 1 begins. Default: 0.5, or 0.0
            when the output is a logit (the model's loss has ``from_logits=True`` or its
            last layer is linear).
        padding: margin around the points, as a fraction of their range (default 0.1).
        bounds: ``((x0_min, x0_max), (x1_min, x1_max))`` to draw instead of the padded range.
        class_names: optional names for the legend, indexed by class.
        title: optional title above the figure.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: when matplotlib is not installed (the message says how to install it).
        ValueError: for inputs that are not 2-D or labels that do not match them.

    Example:
        >>> import io
        >>> import numpy as np
        >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]])
        >>> png = io.BytesIO()
        >>> fig = plot_decision_boundary(lambda p: p[:, :1] > 0, X, [0, 1], png, resolution=20)
        >>> fig.axes[0].get_title()
        'Decision regions (0 of 2 points misclassified)'
    """
    X, y = _plane_inputs("plot_decision_boundary", X, y)
    g0, g1, points = _plane(X, bounds, padding, resolution)
    scores = _predict(model, np.concatenate([points, X]))
    binary = scores.shape[1] == 1
    if binary:
        threshold = _logits_threshold(model) if threshold is None else float(threshold)
        labels = (scores[:, 0] >= threshold).astype(np.int64)
    else:
        labels = scores.argmax(axis=1)
    grid, predicted = labels[:len(points)].reshape(len(g1), len(g0)), labels[len(points):]
    n_classes = max(2 if binary else scores.shape[1], int(y.max(initial=0)) + 1)

    fig = _new_figure(path, figsize=(6.4, 5.2))
    from matplotlib.colors import ListedColormap

    colors = _class_colors(n_classes)
    ax = fig.add_subplot(1, 1, 1)
    ax.contourf(g0, g1, grid, levels=np.arange(n_classes + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.3)
    if binary:  # the boundary itself, smooth: where the output crosses the threshold
        field = scores[:len(points), 0].reshape(grid.shape)
        if field.min() < threshold < field.max():
            ax.contour(g0, g1, field, levels=[threshold], colors="black", linewidths=1.0)
    else:
        ax.contour(g0, g1, grid, levels=np.arange(n_classes - 1) + 0.5, colors="black", linewidths=0.8)
    _scatter_classes(ax, X, y, colors, class_names)
    wrong = predicted != y
    if wrong.any():
        ax.scatter(X[wrong, 0], X[wrong, 1], s=40, marker="x", color="black", linewidths=1.2,
                   label="misclassified")
    ax.set_title(f"Decision regions ({int(wrong.sum())} of {len(X)} points misclassified)")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    return _finish(fig, path, title)


def plot_layer_units(model, layer, X=None, y=None, path=None, *, resolution=100, padding=0.1,
                     bounds=None, cmap="viridis", title=None):
    """Draw each unit of a layer as a colour map of its output over the 2-D input plane.

    The model runs up to and including ``layer`` (``training=False``) on a grid over the
    plane, so each panel shows what one unit computes from the inputs, e.g. the region
    where a ReLU unit is active. The points, coloured by class, are drawn on top.

    Args:
        model: a ``Sequential`` model whose inputs have 2 features.
        layer: the layer, its name, or its index in ``model.layers``; its output must
            be one vector per sample, ``(batch, units)``.
        X: optional points of shape ``(n, 2)``: drawn, and they set the plane's range.
        y: optional labels of ``X`` (class indices or one-hot rows), for the colours.
        path: where to write the figure as a PNG (default None: not written).
        resolution: grid points along each axis (default 100).
        padding: margin around the points, as a fraction of their range (default 0.1).
        bounds: ``((x0_min, x0_max), (x1_min, x1_max))``; needed when X is not given.
        cmap: the matplotlib colour map of the unit values (default ``viridis``).
        title: title above the panels (default: the layer's name and activation).

    Returns:
        The matplotlib ``Figure``, one panel (with a colour bar) per unit.

    Raises:
        ImportError: when matplotlib is not installed (the message says how to install it).
        TypeError: when the model is not a ``Sequential``.
        ValueError: for an unknown layer, a layer whose output is not ``(batch, units)``,
            or inputs that are not 2-D.

    Example:
        >>> import io
        >>> import glassnet as tf
        >>> from glassnet.keras.layers import Dense
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), Dense(3, activation="relu", name="L1")])
        >>> png = io.BytesIO()
        >>> fig = plot_layer_units(model, "L1", bounds=((-1, 1), (-1, 1)), path=png, resolution=10)
        >>> len(fig.axes)  # a panel and its colour bar per unit
        6
    """
    from ..autograd import no_grad
    from ..models import Sequential

    if not isinstance(model, Sequential):
        raise TypeError("plot_layer_units runs the layers of a Sequential model in order. "
                        f"Received: {type(model).__name__}")
    if X is not None:
        X, y = _plane_inputs("plot_layer_units", X, y)
    elif y is not None:
        raise ValueError("plot_layer_units: labels y were given without the points X.")
    layers = model.layers
    index = _layer_index(layers, layer)
    g0, g1, points = _plane(X, bounds, padding, resolution)
    with no_grad():
        out = points
        for each in layers[:index + 1]:
            out = each(out, training=False)
    values = np.asarray(out.numpy(), dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f'plot_layer_units needs a layer with one vector per sample, (batch, units); '
                         f'layer "{layers[index].name}" outputs shape {(None,) + values.shape[1:]}.')
    units = values.shape[1]

    cols = min(units, 4)
    rows = math.ceil(units / cols)
    fig = _new_figure(path, figsize=(3.6 * cols, 3.1 * rows + 0.4))
    colors = _class_colors(int(y.max(initial=0)) + 1) if y is not None else None
    extent = (g0[0], g0[-1], g1[0], g1[-1])
    for j in range(units):
        ax = fig.add_subplot(rows, cols, j + 1)
        image = ax.imshow(values[:, j].reshape(len(g1), len(g0)), origin="lower", extent=extent,
                          aspect="auto", cmap=cmap, interpolation="bilinear")
        fig.colorbar(image, ax=ax, shrink=0.85)
        if X is not None:
            if y is None:
                ax.scatter(X[:, 0], X[:, 1], s=8, color="white", edgecolors="black", linewidths=0.3)
            else:
                _scatter_classes(ax, X, y, colors, size=10)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_title(f"unit {j}", fontsize=10)
        ax.tick_params(labelsize=7)
    if title is None:
        activation = getattr(layers[index], "activation", None)
        name = getattr(activation, "__name__", None)
        title = f'Units of layer "{layers[index].name}"' + (f" ({name})" if name else "")
    return _finish(fig, path, title)


def _layer_index(layers, layer):
    """The position in ``layers`` of a layer given as itself, its name or its index."""
    if isinstance(layer, numbers.Integral) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"The model has {len(layers)} layers; there is no layer at index {layer}.")
        return int(layer) % len(layers)
    for i, each in enumerate(layers):
        if each is layer or (isinstance(layer, str) and each.name == layer):
            return i
    raise ValueError(f"No such layer in the model: {getattr(layer, 'name', layer)!r}. "
                     f"Existing layers are: {[each.name for each in layers]}.")
