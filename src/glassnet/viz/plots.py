"""Training curves and image grids, drawn with matplotlib (an optional dependency).

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

__all__ = ["missing_matplotlib_message", "plot_images", "plot_loss_curve"]


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


def plot_loss_curve(history_or_dict, path=None, title=None):
    """Plot the loss per epoch (and ``val_loss``), with any other metrics in a second panel.

    Args:
        history_or_dict: the ``History`` returned by ``model.fit`` (anything with a
            ``.history`` dict), or a dict such as ``{'loss': [...], 'val_loss': [...],
            'accuracy': [...]}`` mapping names to one value per epoch.
        path: where to write the figure as a PNG (default None: not written).
        title: optional title above the figure.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: when matplotlib is not installed (the message says how to install it).
        ValueError: when there is nothing to plot.
    """
    history = getattr(history_or_dict, "history", history_or_dict)
    if not isinstance(history, dict):
        raise ValueError("plot_loss_curve expects a History (with a `.history` dict) or a dict of "
                         f"per-epoch values. Received: {type(history_or_dict).__name__}")
    series = {str(k): np.asarray(v, dtype=np.float64).reshape(-1) for k, v in history.items()}
    series = {k: v for k, v in series.items() if v.size}
    if not series:
        raise ValueError(f"plot_loss_curve found no per-epoch values to plot. Received keys: {list(history)}")
    losses = [k for k in series if k.endswith("loss")]
    metrics = [k for k in series if k not in losses]
    panels = [group for group in (losses, metrics) if group]

    fig = _new_figure(path, figsize=(5.5 * len(panels), 4))
    for i, group in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for name in group:
            epochs = np.arange(1, series[name].size + 1)
            ax.plot(epochs, series[name], marker="o" if epochs.size <= 30 else None,
                    linestyle="--" if name.startswith("val_") else "-", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if group is losses else "metric")
        ax.grid(True, alpha=0.3)
        ax.legend()
    return _finish(fig, path, title)


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
