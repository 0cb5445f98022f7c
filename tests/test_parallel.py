"""glassnet.parallel: large products in blocks on glassnet's threads, the BLAS on one thread."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time

import numpy as np
import pytest

import glassnet as tf
from glassnet import kernels, parallel

needs_blas_control = pytest.mark.skipif(not parallel._blas.find(), reason="threadpoolctl cannot set this BLAS's threads")


@pytest.fixture
def threads_setting():
    """Restores glassnet's intra-op setting after the test."""
    previous = parallel.get_setting()
    yield parallel.set_threads
    parallel.set_threads(previous)


def _blockwise(a, b, threads):
    """The blocks product() computes, one after another on one BLAS thread."""
    from threadpoolctl import threadpool_limits

    by_columns, bounds = parallel.block_bounds(a.shape[0], b.shape[1], a.shape[1], threads)
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    with threadpool_limits(1, user_api="blas"):
        for start, stop in zip(bounds, bounds[1:]):
            if by_columns:
                np.matmul(a, b[:, start:stop], out=out[:, start:stop])
            else:
                np.matmul(a[start:stop], b, out=out[start:stop])
    return out


SHAPES = [(256, 784, 1024), (784, 128, 128), (128, 784, 128), (1000, 300, 50), (64, 2048, 64), (33, 1200, 700)]


@needs_blas_control
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_large_product_is_its_blocks_on_one_blas_thread_whichever_thread_computes_them(
        threads_setting, shape, dtype, threads):
    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    threads_setting(threads)
    out = parallel.product(a, b)
    assert out.dtype == dtype and out.shape == (m, n) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _blockwise(a, b, threads))  # bit for bit
    for _ in range(3):  # however the blocks fell to the threads this time
        np.testing.assert_array_equal(parallel.product(a, b), out)
    tolerance = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=tolerance,
                               atol=tolerance * np.sqrt(k) * 10)


@needs_blas_control
def test_transposed_operands_are_taken_as_they_are(threads_setting):
    threads_setting(2)
    rng = np.random.default_rng(0)
    x, grad = rng.standard_normal((256, 784), np.float32), rng.standard_normal((256, 512), np.float32)
    w = rng.standard_normal((512, 784), np.float32)
    np.testing.assert_array_equal(parallel.product(x.T, grad), _blockwise(x.T, grad, 2))
    np.testing.assert_array_equal(parallel.product(grad, w), _blockwise(grad, w, 2))
    np.testing.assert_allclose(parallel.product(grad, w.T.T), grad @ w, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("a, b", [
    (np.ones((8, 8), np.float32), np.ones((8, 8), np.float32)),  # small: np.dot's
    (np.ones((300, 300), np.int64), np.ones((300, 300), np.int64)),  # integers: np.dot's
    (np.ones((300, 300), np.float32), np.ones((300, 300), np.float64)),  # mixed dtypes: np.dot's
    (np.ones(300, np.float32), np.ones((300, 300), np.float32)),  # a vector
])
def test_what_is_not_a_large_float_matrix_product_is_np_dots(a, b):
    out = parallel.product(a, b)
    expected = np.dot(a, b)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_mismatched_shapes_raise_numpys_error():
    with pytest.raises(ValueError, match="not aligned"):
        parallel.product(np.ones((300, 400), np.float32), np.ones((300, 400), np.float32))


@needs_blas_control
def test_the_blas_keeps_its_own_thread_count(threads_setting):
    threads_setting(2)
    controllers = parallel._blas.find()
    before = [controller.num_threads for controller in controllers]
    parallel.product(np.ones((512, 512), np.float32), np.ones((512, 512), np.float32))
    assert [controller.num_threads for controller in controllers] == before


@needs_blas_control
def test_an_error_in_a_block_reaches_the_caller_and_the_blas_count_is_restored(monkeypatch, threads_setting):
    threads_setting(2)
    controllers = parallel._blas.find()
    before = [controller.num_threads for controller in controllers]
    real = np.matmul
    calls = []

    def failing(a, b, out=None):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:  # the second block, on whichever thread takes it
            raise MemoryError("no room for this block")
        return real(a, b, out=out)

    monkeypatch.setattr(np, "matmul", failing)
    with pytest.raises(MemoryError, match="no room"):
        parallel.product(np.ones((256, 2048), np.float32), np.ones((2048, 1024), np.float32))
    monkeypatch.undo()
    assert [controller.num_threads for controller in controllers] == before
    out = parallel.product(np.ones((256, 2048), np.float32), np.ones((2048, 1024), np.float32))
    assert np.all(out == 2048)  # the pool still works


@needs_blas_control
def test_helpers_do_take_blocks(monkeypatch, threads_setting):
    threads_setting(2)
    real, names = np.matmul, set()

    def recording(a, b, out=None):
        names.add(threading.current_thread().name)
        time.sleep(0.01)  # long enough that the helper wakes before the caller is done
        return real(a, b, out=out)

    monkeypatch.setattr(np, "matmul", recording)
    a = np.ones((256, 1024), np.float32)
    parallel.product(a, np.ones((1024, 1024), np.float32))
    assert names == {threading.current_thread().name, "glassnet-product"}


@pytest.mark.parametrize("m, n, k, threads", [(256, 1024, 784, 2), (784, 128, 128, 2), (128, 128, 784, 8),
                                              (256, 10, 1024, 2), (100, 3000, 100, 16), (64, 64, 64, 4),
                                              (20, 5000, 300, 3)])
def test_block_bounds_cover_the_output_in_whole_tiles(m, n, k, threads):
    by_columns, bounds = parallel.block_bounds(m, n, k, threads)
    side = n if by_columns else m
    assert by_columns == (n >= m)
    assert bounds[0] == 0 and bounds[-1] == side and all(b > a for a, b in zip(bounds, bounds[1:]))
    blocks = len(bounds) - 1
    # two blocks a thread where each holds LARGE_BLOCK_WORK, else one
    assert blocks <= threads * (2 if m * n * k // (2 * threads) >= parallel.LARGE_BLOCK_WORK else 1)
    assert all((b - a) % 16 == 0 for a, b in zip(bounds[:-2], bounds[1:-1]))  # all but the last
    if blocks > 1:  # a thin product (a side under 32) counts its work three times
        assert m * n * k * (3 if min(m, n, k) < 32 else 1) // blocks >= parallel.MIN_BLOCK_WORK


def test_block_bounds_examples():
    assert parallel.block_bounds(256, 1024, 784, 2) == (True, [0, 256, 512, 768, 1024])  # 205M: two a thread
    assert parallel.block_bounds(128, 784, 128, 2) == (True, [0, 400, 784])  # 12.8M: one a thread
    assert parallel.block_bounds(256, 10, 1024, 2) == (False, [0, 128, 256])  # thin, 2.6M: two blocks
    assert parallel.block_bounds(64, 10, 1600, 2) == (False, [0, 64])  # thin, 1.0M: one block
    assert parallel.block_bounds(256, 256, 30, 2) == (True, [0, 128, 256])  # thin, 2.0M
    assert parallel.block_bounds(256, 256, 32, 2) == (True, [0, 256])  # 2.1M at full speed: one
    assert parallel.block_bounds(784, 128, 128, 2) == (False, [0, 400, 784])


@needs_blas_control
def test_without_the_compiled_kernels_the_threads_sleep_instead_of_spinning(threads_setting):
    threads_setting(2)
    previous = kernels.use_native(False)
    try:
        a, b = np.ones((256, 1024), np.float32), np.ones((1024, 1024), np.float32)
        np.testing.assert_array_equal(parallel.product(a, b), _blockwise(a, b, 2))
    finally:
        kernels.use_native(previous)


def test_without_blas_control_products_are_np_dots(monkeypatch):
    monkeypatch.setattr(parallel._blas, "controllers", [])
    a = np.random.default_rng(0).standard_normal((300, 400)).astype(np.float32)
    np.testing.assert_array_equal(parallel.product(a, a.T), np.dot(a, a.T))


def _product_in_child(queue):
    a = np.ones((256, 1024), np.float32)
    queue.put(float(parallel.product(a, np.ones((1024, 1024), np.float32))[0, 0]))


@needs_blas_control
@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_gets_a_fresh_pool(threads_setting):
    threads_setting(2)
    parallel.product(np.ones((256, 1024), np.float32), np.ones((1024, 1024), np.float32))  # helpers exist
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_product_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 1024.0


@pytest.mark.skipif(not kernels.available(), reason="compiled kernels not built")
def test_spin_until_sees_a_change_or_gives_up():
    from glassnet import _native

    counter = np.zeros(1, np.int64)
    start = time.perf_counter()
    assert _native.spin_until(counter, 0, 2_000_000, 0) is False  # 2 ms, no change
    assert time.perf_counter() - start >= 0.002
    assert _native.spin_until(counter, 5, 10**9, 0) is True  # already differs: at once

    def bump():
        time.sleep(0.005)
        counter[0] = 1

    threading.Thread(target=bump).start()
    start = time.perf_counter()
    assert _native.spin_until(counter, 0, 10**9, 1000) is True  # the GIL is free meanwhile
    assert time.perf_counter() - start < 0.5
    with pytest.raises(ValueError, match="int64"):
        _native.spin_until(np.zeros(1, np.int32), 0, 10, 0)
    with pytest.raises(TypeError):
        _native.spin_until(counter, 0, 10)


def test_the_keras_threading_setting_drives_the_products(threads_setting):
    tf.config.threading.set_intra_op_parallelism_threads(3)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 3
    assert parallel.threads() == 3
    tf.config.threading.set_intra_op_parallelism_threads(0)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 0
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= parallel.threads() <= available


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_a_bad_thread_count_is_refused_by_name(threads_setting, bad):
    threads_setting(2)
    with pytest.raises(ValueError, match="intra-op parallelism threads"):
        tf.config.threading.set_intra_op_parallelism_threads(bad)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 2  # unchanged


@needs_blas_control
def test_a_dense_layer_trains_the_same_with_one_thread_or_two_up_to_rounding(threads_setting):
    """The blocks differ with the thread count, so the bits may; the model may not."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 784)).astype(np.float32)
    y = rng.integers(0, 10, 512)
    results = []
    for threads in (1, 2):
        threads_setting(threads)
        tf.random.set_seed(0)
        model = tf.keras.Sequential([tf.keras.Input(shape=(784,)), tf.keras.layers.Dense(256, activation="relu"),
                                     tf.keras.layers.Dense(10)])
        model.compile(optimizer=tf.keras.optimizers.Adam(0.001),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=128, epochs=2, verbose=0, shuffle=False)
        results.append(model.get_weights())
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-4, atol=1e-5)


@needs_blas_control
@pytest.mark.parametrize("units, engaged", [(512, True), (4, False)])
def test_fit_keeps_the_blas_on_one_thread_from_its_first_large_product(threads_setting, units, engaged):
    threads_setting(2)
    controllers = parallel._blas.find()
    before = [controller.num_threads for controller in controllers]
    seen = []

    class Spy(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append([controller.num_threads for controller in controllers])

    model = tf.keras.Sequential([tf.keras.Input(shape=(784,)), tf.keras.layers.Dense(units),
                                 tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((96, 784), np.float32), np.ones(96, np.float32), batch_size=32, epochs=1, verbose=0,
              callbacks=[Spy()])  # 32 x 784 x 512 = 12.8M multiply-adds a product, or 100K
    assert len(seen) == 3
    assert all(counts == ([1] * len(controllers) if engaged else before) for counts in seen)
    assert [controller.num_threads for controller in controllers] == before
    assert parallel.threads() == 2


@needs_blas_control
def test_the_blas_count_is_given_back_after_a_failed_fit():
    controllers = parallel._blas.find()
    before = [controller.num_threads for controller in controllers]
    model = tf.keras.Sequential([tf.keras.Input(shape=(784,)), tf.keras.layers.Dense(512), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    class Boom(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            assert [controller.num_threads for controller in controllers] == [1] * len(controllers)
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        model.fit(np.ones((64, 784), np.float32), np.ones(64, np.float32), batch_size=32, verbose=0,
                  callbacks=[Boom()])
    assert [controller.num_threads for controller in controllers] == before


def test_run_calls_every_task_once_and_raises_a_tasks_error(threads_setting):
    threads_setting(2)
    calls = []
    parallel.run(calls.append, 50)
    assert sorted(calls) == list(range(50))

    def failing(task):
        if task == 3:
            raise KeyError("task three")

    with pytest.raises(KeyError, match="task three"):
        parallel.run(failing, 8)
    parallel.run(calls.append, 0)  # nothing to do


@needs_blas_control
def test_a_run_inside_a_task_runs_inline_instead_of_waiting_for_itself(threads_setting):
    threads_setting(2)
    a, b = np.ones((256, 1024), np.float32), np.ones((1024, 1024), np.float32)
    results = [None] * 4

    def task(i):
        results[i] = parallel.product(a, b)[0, 0]  # itself cut into blocks, on this thread

    parallel.run(task, 4)
    assert results == [1024.0] * 4


@pytest.mark.parametrize("options", [dict(activation="relu"), dict(padding="same", strides=2), dict(activation=None)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_convolutions_batch_blocks_give_the_same_bits_on_any_number_of_threads(threads_setting, dtype, options):
    """The blocks are cut by the shapes alone and the kernel's gradient is summed in block
    order, so the thread count and the threads' timing change nothing."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((40, 12, 12, 8)).astype(dtype)
    w0 = (rng.standard_normal((3, 3, 8, 16)) * 0.2).astype(dtype)
    b0 = rng.standard_normal(16).astype(dtype)
    results = []
    for threads in (1, 2, 3, 2):
        threads_setting(threads)
        x, w, b = (tf.tensor(v, requires_grad=True) for v in (x0, w0, b0))
        y = tf.nn.conv2d(x, w, b, **options)
        tf.sum(y * y).backward()
        results.append([y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for other in results[1:]:
        for first, again in zip(results[0], other):
            np.testing.assert_array_equal(first, again)


@pytest.mark.skipif(not kernels.available(), reason="compiled kernels not built")
@pytest.mark.parametrize("options", [dict(pool_size=2, strides=2), dict(pool_size=3, strides=2, padding="same")])
def test_max_pooling_in_batch_blocks_gives_the_whole_calls_bits(threads_setting, options):
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((40, 13, 13, 8)).astype(np.float32)
    x0[:, ::3, ::3] = x0[:, 1::3, 1::3].max()  # ties: the first maximum takes the gradient
    g0 = rng.standard_normal((40, *tf.nn.max_pool2d(tf.tensor(x0), **options).shape[1:])).astype(np.float32)
    results = []
    for threads, native in ((1, True), (2, True), (2, False)):
        threads_setting(threads)
        previous = kernels.use_native(native)
        try:
            x = tf.tensor(x0, requires_grad=True)
            y = tf.nn.max_pool2d(x, **options)
            y.backward(tf.tensor(g0))
            results.append((y.numpy(), x.grad.numpy()))
        finally:
            kernels.use_native(previous)
    for other in results[1:]:
        np.testing.assert_array_equal(results[0][0], other[0])
        np.testing.assert_array_equal(results[0][1], other[1])


@pytest.mark.skipif(not kernels.available(), reason="compiled kernels not built")
@pytest.mark.parametrize("optimizer", [lambda: tf.keras.optimizers.Adam(0.01),
                                       lambda: tf.keras.optimizers.Adam(0.01, amsgrad=True),
                                       lambda: tf.keras.optimizers.RMSprop(0.01, momentum=0.9)])
def test_a_large_compiled_update_in_runs_gives_the_whole_calls_bits(native_on_where_built, threads_setting,
                                                                    optimizer):
    rng = np.random.default_rng(5)
    shapes = [(300, 700), (700,), (700, 300), (1, 1), (333,)]  # 420K numbers, runs cut inside arrays
    initial = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    grads = [[rng.standard_normal(shape).astype(np.float32) for shape in shapes] for _ in range(3)]
    finals = []
    for threads in (1, 2, 3):
        threads_setting(threads)
        variables = [tf.Variable(value.copy()) for value in initial]
        opt = optimizer()
        for step in grads:
            opt.apply_gradients(zip([tf.tensor(g) for g in step], variables))
        finals.append([v.numpy() for v in variables])
    for other in finals[1:]:
        for first, again in zip(finals[0], other):
            np.testing.assert_array_equal(first, again)
    assert not np.array_equal(finals[0][0], initial[0])


def test_update_runs_cover_every_number_once(monkeypatch, threads_setting):
    from glassnet.optimizers import flat

    threads_setting(3)
    seen = []

    def kernel(weights, grads, *rest):
        assert sum(g.size for g in grads) == len(weights)
        seen.append((weights[0], weights[-1], np.concatenate(grads)))

    weights = np.arange(300_000, dtype=np.float32)
    grads = [np.arange(0, 100_000, dtype=np.float32), np.arange(100_000, 300_000, dtype=np.float32).reshape(400, 500)]
    flat.run_compiled(kernel, weights, grads, (None,), (1.0,))
    assert len(seen) == 3
    pieces = sorted(seen, key=lambda piece: piece[0])
    np.testing.assert_array_equal(np.concatenate([piece[2] for piece in pieces]), weights)


def test_a_small_models_fit_never_loads_threadpoolctl():
    """Loading it costs milliseconds of the first epoch; only large products need it."""
    import subprocess

    code = """
import sys
import numpy as np
import glassnet as tf
model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(4, activation="relu"),
                             tf.keras.layers.Dense(3)])
model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(np.ones((64, 2), np.float32), np.zeros(64, np.int64), epochs=2, verbose=0)
model.predict(np.ones((100, 2), np.float32), batch_size=32)
print("threadpoolctl" in sys.modules)
"""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=src), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
