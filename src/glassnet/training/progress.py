"""The progress display of ``fit``: a live bar per epoch (tqdm), or one line per epoch.

``verbose=1`` on a terminal shows a live bar: steps done / total, elapsed time and the
running means of the loss and metrics. Where output is not a terminal (a log file,
CI) there are no carriage returns: one line per epoch, Keras's final bar line.
``verbose=2`` prints one line per epoch everywhere.
"""

from __future__ import annotations

import sys
import time

from .callbacks import Callback

__all__ = ["ProgbarLogger", "format_logs"]


def format_logs(logs: dict) -> str:
    """'loss: 0.1234 - accuracy: 0.9500' with Keras's four decimals."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


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

            self._bar = tqdm(
                total=self.params.get("steps"), file=self.stream, ascii=".=", leave=True,
                bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed} {postfix}", mininterval=0.1,
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        steps = self.params.get("steps") or 1
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.close()
            self._bar = None
            return
        if self.verbose == 2:
            line = f"{steps}/{steps} - {elapsed:.0f}s - {_per_step(elapsed, steps)}"
        else:
            line = f"{steps}/{steps} [{'=' * 30}] - {elapsed:.0f}s {_per_step(elapsed, steps)}"
        self.stream.write(f"{line} - {text}\n" if text else line + "\n")
        self.stream.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
