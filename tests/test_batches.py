"""BatchIterator: one permutation per epoch, the same batches however they are gathered."""

import numpy as np

import glassnet as gn


def test_large_data_gathered_per_batch_gives_the_same_batches(monkeypatch):
    from glassnet.training import data

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((70, 4)).astype(np.float32), rng.integers(0, 3, 70)
    w = rng.random(70).astype(np.float32)

    def batches():
        gn.random.set_seed(11)
        return list(data.BatchIterator(x, y, w, batch_size=16).epoch())

    copied = batches()
    monkeypatch.setattr(data, "GATHER_PER_BATCH_BYTES", 0)
    gathered = batches()
    assert len(copied) == len(gathered) == 5
    for a, b in zip(copied, gathered):
        for part_a, part_b in zip(a, b):
            np.testing.assert_array_equal(part_a, part_b)
