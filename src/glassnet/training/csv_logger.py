"""``CSVLogger``: one row per epoch of ``fit``'s logs, in a CSV file."""

from __future__ import annotations

import csv
import os

from .callbacks import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: ``epoch`` (from 0), then the logs keys sorted.

    The columns are fixed by the first epoch's logs; a key missing in a later epoch is
    written as ``NA`` (and a new one is left out), as in Keras. Lines end in '\\n'
    (Keras's csv dialect writes '\\r\\n'). The file is flushed after every row and
    closed at the end of training.

    Args:
        filename: the CSV file, e.g. 'run/log.csv'.
        separator: the field separator (default ',').
        append: append to an existing file (the header is written only if it is empty),
            to continue a run; False (default) overwrites it.

    Example:
        >>> import os, tempfile
        >>> from glassnet.training import CSVLogger
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> logger = CSVLogger(path)
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
        >>> logger.on_epoch_end(1, {"loss": 0.25, "accuracy": 1.0})
        >>> logger.on_train_end()
        >>> print(open(path).read(), end="")
        epoch,accuracy,loss
        0,0.75,0.5
        1,1.0,0.25
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise ValueError(f"CSVLogger: filename must be a string or path. Received: filename={filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a single character. Received: separator={separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self.csv_file = None
        self.writer = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        self._write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as existing:
                self._write_header = not existing.readline()
        self._close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep, lineterminator="\n")
            if self._write_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [logs.get(key, "NA") for key in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
