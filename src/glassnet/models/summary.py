"""``model.summary()`` in the layout Keras 2 prints (65 columns; columns at 1, 29, 55).

Example output::

    Model: "my_model"
    _________________________________________________________________
     Layer (type)                Output Shape              Param #
    =================================================================
     L1 (Dense)                  (None, 25)                10025
    ...
    =================================================================
    Total params: 10,431
    Trainable params: 10,431
    Non-trainable params: 0
    _________________________________________________________________
"""

from __future__ import annotations

__all__ = ["print_summary", "summary_lines"]


def _shape_text(shape) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _row(fields, positions) -> str:
    line = ""
    for text, end in zip(fields, positions):
        line += text
        line = line[: end - 1] + " " if len(line) >= end else line.ljust(end)
    return line


def summary_lines(model, line_length=None, positions=None) -> list:
    """Return the summary's lines (what :func:`print_summary` prints)."""
    width = line_length or 65
    ends = [int(width * p) if p <= 1 else int(p) for p in (positions or (0.45, 0.85, 1.0))]
    columns = [" Layer (type)", "Output Shape", "Param #"]
    lines = [f'Model: "{model.name}"', "_" * width, _row(columns, ends), "=" * width]
    for layer in model.layers:
        shape = layer.output.shape if layer.output is not None else ()
        fields = [f" {layer.name} ({type(layer).__name__})", _shape_text(shape), str(layer.count_params())]
        lines.append(_row(fields, ends))
        lines.append(" " * width)
    trainable = sum(w.data.size for w in model.trainable_weights)
    total = sum(w.data.size for w in model.weights)
    lines += [
        "=" * width,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        "_" * width,
    ]
    return lines


def print_summary(model, line_length=None, positions=None, print_fn=None) -> None:
    """Print the summary with ``print_fn`` (default ``print``)."""
    for line in summary_lines(model, line_length, positions):
        (print_fn or print)(line)
