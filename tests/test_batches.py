"""BatchIterator: one permutation per epoch, the same batches however they are gathered."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import data


def _epoch(x, y, w, batch_size):
    gn.random.set_seed(11)
    return list(data.BatchIterator(x, y, w, batch_size=batch_size).epoch())


@pytest.mark.parametrize("constant", ["GATHER_PER_BATCH_BYTES", "GATHER_WIDE_MIN_BYTES"])
def test_data_gathered_per_batch_gives_the_same_batches(monkeypatch, constant):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((70, 4)).astype(np.float32), rng.integers(0, 3, 70)
    w = rng.random(70).astype(np.float32)
    copied = _epoch(x, y, w, 16)
    monkeypatch.setattr(data, constant, 0)
    if constant == "GATHER_WIDE_MIN_BYTES":
        monkeypatch.setattr(data, "GATHER_WIDE_BATCH_BYTES", 0)
    spied = []
    monkeypatch.setattr(data.BatchIterator, "_gathered",
                        lambda self, order, real=data.BatchIterator._gathered: spied.append(1) or real(self, order))
    gathered = _epoch(x, y, w, 16)
    assert spied, "the per-batch path did not run"
    assert len(copied) == len(gathered) == 5
    for a, b in zip(copied, gathered):
        for part_a, part_b in zip(a, b):
            np.testing.assert_array_equal(part_a, part_b)


@pytest.mark.parametrize("shape, batch_size, per_batch", [
    ((5000, 400), 32, True),      # 8 MB in batches of 51 KB: the digits benchmark
    ((5000, 400), 8, False),      # the same data in batches of 13 KB
    ((2000, 400), 32, False),     # 3.2 MB: small enough to copy whole
    ((200_000, 2), 32, False),    # 1.6 MB of two-feature rows (coffee)
    ((1_100_000, 4), 32, True),   # 17.6 MB: large, whatever the batch
])
def test_which_data_sets_are_gathered_per_batch(shape, batch_size, per_batch):
    x = np.zeros(shape, np.float32)  # untouched pages: no memory is used
    assert data.BatchIterator(x, batch_size=batch_size)._gathers_per_batch() is per_batch
