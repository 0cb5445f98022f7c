"""The progress display of ``fit``: a live bar per epoch (tqdm), or one line per epoch.

``verbose=1`` on a terminal shows a live bar: steps done / total, elapsed time and the
running means of the loss and metrics; at the epoch's end it is replaced by Keras's
final bar line. Where output is not a terminal (a log file, CI, a notebook) there are
no carriage returns: just that final line, one per epoch.
``verbose=2`` prints one line per epoch everywhere.
"""

from __future__ import annotations

import sys
import time

from .callbacks import Callback

__all__ = ["ProgbarLogger", "bar_line", "epoch_line", "format_logs"]


def format_logs(logs: dict) -> str:
    """'loss: 0.1234 - accuracy: 0.9500': Keras's four decimals, and '1.2345e-04' at or below 1e-3.

    Example:
        >>> format_logs({"loss": 0.25, "accuracy": 0.0, "val_loss": 0.00012345})
        'loss: 0.2500 - accuracy: 0.0000e+00 - val_loss: 1.2345e-04'
    """
    return " - ".join(
        f"{key}: {value:.4f}" if value > 1e-3 else f"{key}: {value:.4e}" for key, value in logs.items()
    )


def _per(seconds: float, unit: str) -> str:
    """A duration as Keras shows it: '2s/epoch', '11ms/step', '548us/step'."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def bar_line(steps: int, elapsed: float, logs: dict) -> str:
    """Keras's final bar line: '2/2 [==============================] - 0s 2ms/step - loss: 0.1234'."""
    line = f"{steps}/{steps} [{'=' * 30}] - {elapsed:.0f}s {_per(elapsed / max(steps, 1), 'step')}"
    text = format_logs(logs)
    return f"{line} - {text}" if text else line


def epoch_line(steps: int, elapsed: float, logs: dict) -> str:
    """Keras 2's ``verbose=2`` line: '2/2 - 0s - loss: 0.1234 - 5ms/epoch - 2ms/step'."""
    text = format_logs(logs)
    middle = f" - {text}" if text else ""
    return (f"{steps}/{steps} - {elapsed:.0f}s{middle} - {_per(elapsed, 'epoch')} - "
            f"{_per(elapsed / max(steps, 1), 'step')}")


class ProgbarLogger(Callback):
    """Prints ``Epoch k/N`` and the progress of each epoch of ``fit``.

    Args:
        verbose: 1 for a bar (live on a terminal), 2 for one line per epoch.
        stream: where to write (default: ``sys.stdout`` at the time of each write).
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self._stream = stream
        self._bar = None

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def _live(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return self.verbose == 1 and bool(isatty and isatty())

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")
        if self._live():
            from tqdm import tqdm

            # the live bar is cleared at the epoch's end (leave=False), where the final
            # line is written as off a terminal, so both read the same afterwards
            self._bar = tqdm(
                total=self.params.get("steps"), file=self.stream, ascii=".=", leave=False,
                bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed}{desc}", mininterval=0.1,
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            if logs:
                self._bar.set_description_str(" - " + format_logs(logs), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        steps = self.params.get("steps") or 1
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        line = (epoch_line if self.verbose == 2 else bar_line)(steps, elapsed, logs or {})
        self.stream.write(line + "\n")
        self.stream.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
