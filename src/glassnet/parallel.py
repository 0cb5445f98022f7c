"""glassnet's own threads for large products and ops' blocks, with the BLAS kept on one thread.

NumPy's BLAS (OpenBLAS in NumPy's wheels) splits a product among its threads, which then
spin for up to a tenth of a second waiting for the next one. On a host where the other
core is busy, those spinning threads take turns with the ones doing the work. Measured
here with a shell loop on the second core (``taskset -c 1``), a step of the benchmark
models (benchmarks/workloads.py) took: wide_mlp 30-59 ms, mnist_mlp 1.0-2.4 ms, cnn
23-47 ms, against 15, 0.5 and 11 with both cores free.

So glassnet spreads its large work over threads of its own, with the BLAS on one thread:
a product of at least :data:`PARALLEL_MIN_WORK` multiply-adds is cut into blocks of the
output (columns, or rows when the output is taller than wide), and ops hand over tasks of
their own through :func:`run` (a convolution's batch blocks, max pooling's, a large
optimizer update's runs of the flat buffer). The calling thread and glassnet's helpers
take the next task as they free up. fit, evaluate and predict keep the BLAS on one thread
from their first such task on (:class:`blas_on_one_thread`). A helper spins for a
millisecond after its last task (in C, without the GIL, yielding its core every few
microseconds) and then sleeps. With the second core busy the same steps took 27.4-28.5,
0.74-0.77 and 13.3-18.7 ms; with both free, the fastest of five alternating processes
each (benchmarks/revisions_ab.py) took 1.03x, 0.95x and 0.93x OpenBLAS's own threads'
time.

The blocks depend on the shapes and the thread count only, and each block is the same
BLAS call whichever thread computes it, so a run's bits do not depend on how the threads
were scheduled. The thread count follows ``glassnet.config.threading`` (TensorFlow's
``set_intra_op_parallelism_threads``); by default as many as the BLAS would use.

Example:
    >>> import numpy as np
    >>> from glassnet import parallel
    >>> a, b = np.ones((600, 300), np.float32), np.ones((300, 700), np.float32)
    >>> float(parallel.product(a, b)[599, 699])
    300.0
"""

from __future__ import annotations

import os
import threading

import numpy as np

from . import kernels

__all__ = ["PARALLEL_MIN_WORK", "blas_on_one_thread", "block_bounds", "get_setting", "product", "run",
           "set_threads", "threads"]

#: Multiply-adds (m * k * n) from which a product runs here: below where OpenBLAS starts
#: its threads (it threaded 64x1600x10, 1.02M, and not 100x100x100); smaller ones stay
#: np.dot's.
PARALLEL_MIN_WORK = 1 << 19
#: The least work worth a block of its own: a hand-over costs 10-20 us.
MIN_BLOCK_WORK = 1 << 21
#: Work from which a product has two blocks per thread (16.8M multiply-adds a block).
LARGE_BLOCK_WORK = 1 << 24
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# How long a thread spins (kernels.native.spin_until: without the GIL, yielding its core
# every few microseconds) before it sleeps: a helper after its last block, for the next
# product (in the benchmark CNN's step, an im2col or a pooling apart; spinning 0.1 ms,
# mnist_mlp's step took 0.60 ms against 0.56-0.58, and more often fell into slow epochs);
# the posting thread for the helpers' last blocks.
_IDLE_SPIN_NS = 1_000_000
_FINISH_SPIN_NS = 300_000
# then, as spin_until explains, a spin from the counter's bump to the bumping thread's
# release of the GIL: the poster's way to its first BLAS call, the last helper's to its spin
_START_SETTLE_NS = 5_000
_FINISH_SETTLE_NS = 2_000


def block_bounds(m: int, n: int, k: int, threads: int) -> tuple[bool, list[int]]:
    """Where the (m, n) output of a product over k is cut: (by_columns, bounds).

    Columns when the output is at least as wide as tall (each block then reads all of the
    smaller left operand and its own slice of the right one), else rows; a block per
    thread (two when each would hold LARGE_BLOCK_WORK multiply-adds), but none under
    MIN_BLOCK_WORK (a third of that for a thin product), in widths that are a multiple of
    16 (the BLAS's tiles). One block means no cut.

    Example:
        >>> block_bounds(256, 1024, 784, threads=2)
        (True, [0, 256, 512, 768, 1024])
        >>> block_bounds(128, 128, 784, threads=2)  # 12.8M: one block a thread
        (True, [0, 64, 128])
        >>> block_bounds(1024, 10, 256, threads=2)  # thin: 2.6M multiply-adds are enough
        (False, [0, 512, 1024])
    """
    by_columns = n >= m
    side = n if by_columns else m
    # a thin product (a side under 32: a classifier's 10 outputs) runs at about a third of
    # the BLAS's speed per multiply-add (wide_mlp's 256x10x1024 ones: 29 GFLOP/s against
    # 96), so it is worth blocks from a third of the work (there 180 -> 107 us)
    work = m * n * k * (3 if min(m, n, k) < 32 else 1)
    # a large product in two blocks per thread: when another process takes part of a core,
    # the thread on the other one takes the spare block (wide_mlp's step with a second
    # process busy a quarter of the time on one core: 23.1 -> 19.7 ms; with both cores
    # free it costs 2-3%: 15.1 -> 15.4)
    per_thread = 2 if work // (2 * threads) >= LARGE_BLOCK_WORK else 1
    count = max(1, min(threads * per_thread, work // MIN_BLOCK_WORK, side // 16))
    width = -(-side // count)
    width = -(-width // 16) * 16
    return by_columns, list(range(0, side, width)) + [side]


_in_task = threading.local()


class _Job:
    """Calls do(0), ..., do(count - 1), each once; any thread may take the next one."""

    __slots__ = ("do", "count", "taken", "left", "lock", "finished", "error")

    def __init__(self, do, count):
        self.do, self.count, self.taken, self.left = do, count, 0, count
        self.lock, self.finished, self.error = threading.Lock(), threading.Lock(), None
        self.finished.acquire()  # released by the thread that finishes the last task

    def work(self, done_count) -> None:
        """Do tasks until none is left to take; the thread finishing the last one bumps
        done_count (what a waiting thread spins on) and releases ``finished``."""
        do, count, lock = self.do, self.count, self.lock
        _in_task.active = True  # a run() inside a task does its tasks itself (no deadlock on _lock)
        try:
            while True:
                with lock:
                    task = self.taken
                    if task >= count:
                        return
                    self.taken = task + 1
                try:
                    do(task)
                except BaseException as error:  # re-raised by the thread that posted the job
                    self.error = error
                with lock:
                    self.left -= 1
                    if self.left == 0:
                        done_count[0] += 1
                        self.finished.release()
        finally:
            _in_task.active = False


class _Pool:
    """Helper threads that take blocks of posted jobs; they spin a little, then sleep."""

    def __init__(self):
        self.job = None
        self.wake = threading.Semaphore(0)
        self.posted = np.zeros(1, np.int64)  # jobs posted so far: the helpers spin on it
        self.done = np.zeros(1, np.int64)  # jobs finished so far: the poster spins on it
        self.helpers: list[threading.Thread] = []

    def grow(self, count: int) -> None:
        while len(self.helpers) < count:
            helper = threading.Thread(target=self._serve, name="glassnet-product", daemon=True)
            helper.start()
            self.helpers.append(helper)

    def _serve(self) -> None:
        seen = 0
        while True:
            native = kernels.native
            if native is not None:
                native.spin_until(self.posted, seen, _IDLE_SPIN_NS, _START_SETTLE_NS)
            self.wake.acquire()  # at once when a job was posted while it spun
            seen = int(self.posted[0])
            job = self.job  # a late wake-up may find a later job, or none left: both are fine
            if job is not None:
                job.work(self.done)

    def run(self, job: _Job, helpers: int) -> None:
        self.job = job
        before = int(self.done[0])
        for _ in range(helpers):
            self.wake.release()
        self.posted[0] += 1  # last: a spinning helper then waits only for this thread's first block
        job.work(self.done)
        native = kernels.native
        if native is not None and job.left:
            native.spin_until(self.done, before, _FINISH_SPIN_NS, _FINISH_SETTLE_NS)
        job.finished.acquire()
        self.job = None
        if job.error is not None:
            raise job.error


class _Blas:
    """The BLAS's own thread count, read and set through threadpoolctl (found on first use)."""

    def __init__(self):
        self.controllers = None

    def find(self) -> list:
        if self.controllers is None:
            try:
                from threadpoolctl import ThreadpoolController
                self.controllers = ThreadpoolController().select(user_api="blas").lib_controllers
            except Exception:  # no threadpoolctl, or a BLAS it cannot read: products stay NumPy's
                self.controllers = []
        return self.controllers


_blas = _Blas()
_setting = 0  # glassnet.config.threading's intra-op threads; 0: as many as the BLAS uses
_available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _fresh_state() -> None:
    """A new pool and locks: in a forked child the helpers and any holder of a lock are gone."""
    global _pool, _lock
    _pool = _Pool()
    _lock = threading.Lock()  # one product at a time here
    blas_on_one_thread._guard = threading.Lock()
    blas_on_one_thread._depth, blas_on_one_thread._previous = 0, None


def set_threads(count: int) -> None:
    """Use ``count`` threads for large products (0: as many as the BLAS would use)."""
    global _setting
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"intra-op parallelism threads: expected a whole number of 0 or more, got {count!r}")
    _setting = int(count)


def get_setting() -> int:
    """What set_threads was given last (0: glassnet picks)."""
    return _setting


def threads() -> int:
    """The number of threads large products use now: the setting, else the BLAS's own
    count (at most the cores this process may run on)."""
    if _setting:
        return _setting
    previous = blas_on_one_thread._previous
    if previous is not None:  # the BLAS's count from before it was put on one thread
        own = max(previous, default=1)
    else:
        own = max((controller.num_threads for controller in _blas.find()), default=1)
    return max(1, min(own, _available))


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for two matrices, as ``np.dot``; from PARALLEL_MIN_WORK multiply-adds on, in
    blocks on glassnet's threads with the BLAS on one thread (see the module's doc)."""
    if (a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in _FLOATS
            or a.shape[0] * a.shape[1] * b.shape[1] < PARALLEL_MIN_WORK or a.shape[1] != b.shape[0]
            or not _blas.find()):
        return np.dot(a, b)
    count = threads()
    by_columns, bounds = block_bounds(a.shape[0], b.shape[1], a.shape[1], count)
    if len(bounds) == 2:  # one block: no hand-over, only the BLAS on one thread
        if blas_on_one_thread._previous is not None:  # inside fit, evaluate or predict, engaged
            return np.dot(a, b)
        with blas_on_one_thread(engage=True):
            return np.dot(a, b)
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    if by_columns:
        tasks = [(a, b[:, start:stop], out[:, start:stop]) for start, stop in zip(bounds, bounds[1:])]
    else:
        tasks = [(a[start:stop], b, out[start:stop]) for start, stop in zip(bounds, bounds[1:])]
    _run_products(tasks, count)
    return out


def _run_products(tasks: list, count: int) -> None:
    def multiply(task):
        a, b, out = tasks[task]
        np.matmul(a, b, out=out)

    run(multiply, len(tasks), count)


def run(do, count: int, threads_to_use: int | None = None) -> None:
    """Call ``do(0)``, ..., ``do(count - 1)``, each once, on up to ``threads_to_use``
    threads (default :func:`threads`): this one and glassnet's helpers, which take the
    next task as they free up, with the BLAS on one thread. Returns when all are done;
    an error in any task is raised here (the other tasks still run).

    The tasks must not depend on each other's order or on which thread runs them: each
    writes its own part of the result (a block of a product, a batch block of a
    convolution), so the bits are the same however the threads take them.

    Example:
        >>> import numpy as np
        >>> from glassnet import parallel
        >>> squares = np.zeros(4)
        >>> parallel.run(lambda i: squares.__setitem__(i, i * i), 4)
        >>> squares.tolist()
        [0.0, 1.0, 4.0, 9.0]
    """
    if count <= 0:
        return
    if getattr(_in_task, "active", False):  # called from a task: this thread does them all
        for task in range(count):
            do(task)
        return
    helpers = min(threads() if threads_to_use is None else threads_to_use, count) - 1
    if helpers <= 0:  # one thread: no job to post
        with blas_on_one_thread(engage=True):
            for task in range(count):
                do(task)
        return
    job = _Job(do, count)
    with _lock, blas_on_one_thread(engage=True):
        if helpers > 0:
            _pool.grow(helpers)
        _pool.run(job, helpers)


class blas_on_one_thread:  # noqa: N801 (used as a function: ``with blas_on_one_thread():``)
    """A block in which, from the first product glassnet runs itself (:meth:`engage`),
    the BLAS stays on one thread, until the outermost such block ends and the BLAS gets
    its own count back. fit, evaluate and predict run inside one: any later BLAS call of
    theirs that the BLAS would thread (a product glassnet leaves to np.dot, an einsum)
    would wake the BLAS's threads, which then spin through the step beside glassnet's
    (the benchmark CNN's 64x1600x10 products took its 10.9 ms steps to 15-19). A model
    without large products never engages it, so its fit never loads threadpoolctl."""

    _depth = 0
    _previous = None  # the BLAS's counts from before it was put on one thread, or None
    _guard = threading.Lock()

    def __init__(self, engage: bool = False):
        self.engage_now = engage  # glassnet's own tasks follow at once: engage on entry

    def __enter__(self):
        with blas_on_one_thread._guard:
            blas_on_one_thread._depth += 1
        if self.engage_now:
            blas_on_one_thread.engage()
        return self

    def __exit__(self, *exc):
        cls = blas_on_one_thread
        with cls._guard:
            cls._depth -= 1
            if cls._depth == 0 and cls._previous is not None:
                for controller, number in zip(_blas.find(), cls._previous):
                    controller.set_num_threads(number)
                cls._previous = None
        return False

    @staticmethod
    def engage() -> None:
        """Put the BLAS on one thread now, until the outermost block ends (call inside one)."""
        cls = blas_on_one_thread
        if cls._previous is None:
            with cls._guard:
                if cls._previous is None:
                    controllers = _blas.find()
                    cls._previous = [controller.num_threads for controller in controllers]
                    for controller in controllers:
                        controller.set_num_threads(1)


_fresh_state()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_state)
