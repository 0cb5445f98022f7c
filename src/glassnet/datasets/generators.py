"""Small 2-D toy data sets for classification demos, deterministic by seed.

Every generator draws from one ``numpy.random.default_rng(seed)`` (``seed=None`` gives
fresh randomness), returns features ``X`` as float64 and labels as int64 (except
:func:`coffee_roasting`, which keeps the course's float64 ``(n, 1)`` column), and
shuffles the rows.

Example:
    >>> from glassnet.datasets import generators
    >>> X, y = generators.make_moons(n_samples=10, noise=0.1, seed=0)
    >>> X.shape, X.dtype, y.dtype
    ((10, 2), dtype('float64'), dtype('int64'))
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["coffee_roasting", "make_blobs", "make_circles", "make_moons", "make_spiral"]


# ----- argument checks --------------------------------------------------------------------
def _check_count(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def _check_nonnegative(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
    return np.random.default_rng(seed)


def _split(n, parts):
    """Sizes of ``parts`` groups that sum to ``n``, the first ones one larger when needed."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _shuffled(X, y, rng):
    order = rng.permutation(len(X))
    return X[order], y[order]


# ----- generators -------------------------------------------------------------------------
def make_blobs(n_samples=100, centers=None, cluster_std=1.0, n_features=2, seed=None):
    """Isotropic Gaussian clusters, one class per centre.

    Args:
        n_samples: total number of points, split as evenly as possible between the centres.
        centers: an int (how many centres to draw uniformly in the box [-10, 10]^d),
            an array-like of shape ``(n_centers, d)`` (then ``n_features`` is ignored),
            or None for 3 random centres.
        cluster_std: standard deviation of every cluster (a number), or one per centre.
        n_features: dimension ``d`` of the points when the centres are drawn at random.
        seed: seed of the random generator (None: fresh randomness).

    Returns:
        ``(X, y)``: X float64 of shape ``(n_samples, d)``, y int64 of shape ``(n_samples,)``
        holding the index of each point's centre.

    Example:
        >>> X, y = make_blobs(n_samples=8, centers=[[0, 0], [5, 5]], cluster_std=0.1, seed=0)
        >>> X.shape, [int(c) for c in np.bincount(y)]
        ((8, 2), [4, 4])
        >>> bool(np.all(np.abs(X[y == 1] - 5) < 1))
        True
    """
    n_samples = _check_count("n_samples", n_samples)
    rng = _check_seed(seed)
    if centers is None or isinstance(centers, numbers.Integral):
        n_centers = _check_count("centers", 3 if centers is None else centers)
        n_features = _check_count("n_features", n_features)
        centers = rng.uniform(-10.0, 10.0, size=(n_centers, n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] < 1:
            raise ValueError("`centers` must be an int or an array of shape (n_centers, n_features). "
                             f"Received: centers with shape {centers.shape}")
    n_centers, n_features = centers.shape
    std = np.asarray(cluster_std, dtype=np.float64).reshape(-1)
    if np.ndim(cluster_std) > 1 or std.size not in (1, n_centers) or not np.all(std >= 0):
        raise ValueError("`cluster_std` must be a number >= 0 or one such number per centre. "
                         f"Received: cluster_std={cluster_std!r}")
    std = np.broadcast_to(std, (n_centers,))
    sizes = _split(n_samples, n_centers)
    y = np.repeat(np.arange(n_centers, dtype=np.int64), sizes)
    X = centers[y] + rng.normal(size=(n_samples, n_features)) * std[y, None]
    return _shuffled(X, y, rng)


def make_moons(n_samples=100, noise=0.0, seed=None):
    """Two interleaving half circles (class 0 on top, class 1 below), plus Gaussian noise.

    Args:
        n_samples: total number of points; class 0 gets the extra one when it is odd.
        noise: standard deviation of the Gaussian noise added to every coordinate (>= 0).
        seed: seed of the random generator (None: fresh randomness).

    Returns:
        ``(X, y)``: X float64 of shape ``(n_samples, 2)``, y int64 in {0, 1}.

    Example:
        >>> X, y = make_moons(n_samples=6, seed=0)
        >>> [int(c) for c in np.bincount(y)]
        [3, 3]
        >>> bool(np.allclose(np.hypot(*X[y == 0].T), 1.0))   # class 0 lies on the unit circle
        True
    """
    n_samples = _check_count("n_samples", n_samples)
    noise = _check_nonnegative("noise", noise)
    rng = _check_seed(seed)
    n0, n1 = _split(n_samples, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n_samples, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(X, y, rng)


def make_circles(n_samples=100, noise=0.0, factor=0.8, seed=None):
    """A large circle (class 0) around a smaller concentric one (class 1).

    Args:
        n_samples: total number of points; class 0 gets the extra one when it is odd.
        noise: standard deviation of the Gaussian noise added to every coordinate (>= 0).
        factor: radius of the inner circle relative to the outer one, in (0, 1).
        seed: seed of the random generator (None: fresh randomness).

    Returns:
        ``(X, y)``: X float64 of shape ``(n_samples, 2)``, y int64 in {0, 1}.

    Example:
        >>> X, y = make_circles(n_samples=8, factor=0.5, seed=0)
        >>> sorted({round(float(r), 6) for r in np.hypot(*X.T)})
        [0.5, 1.0]
    """
    n_samples = _check_count("n_samples", n_samples)
    noise = _check_nonnegative("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"`factor` must be a number in (0, 1). Received: factor={factor!r}")
    rng = _check_seed(seed)
    n0, n1 = _split(n_samples, 2)
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], axis=1),
                        factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)])
    X = X + rng.normal(0.0, noise, size=(n_samples, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(X, y, rng)


def make_spiral(n_samples=100, n_classes=3, noise=0.2, seed=None):
    """Interleaved spiral arms, one class per arm, starting at the origin.

    Point ``i`` of arm ``k`` sits at radius ``r = i / (m - 1)`` (``m`` points in the arm) and
    angle ``2 pi k / n_classes + 4 r + noise * N(0, 1)``: the noise perturbs the angle, so
    it blurs the arms more far from the centre.

    Args:
        n_samples: total number of points, split as evenly as possible between the arms.
        n_classes: number of arms (>= 2).
        noise: standard deviation of the angular noise in radians (>= 0).
        seed: seed of the random generator (None: fresh randomness).

    Returns:
        ``(X, y)``: X float64 of shape ``(n_samples, 2)`` inside the unit disc, y int64 in
        ``[0, n_classes)``.

    Example:
        >>> X, y = make_spiral(n_samples=30, n_classes=3, seed=0)
        >>> X.shape, [int(c) for c in np.bincount(y)], bool(np.all(np.hypot(*X.T) <= 1.0))
        ((30, 2), [10, 10, 10], True)
    """
    n_samples = _check_count("n_samples", n_samples)
    n_classes = _check_count("n_classes", n_classes, minimum=2)
    noise = _check_nonnegative("noise", noise)
    rng = _check_seed(seed)
    sizes = _split(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), sizes)
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in sizes])
    theta = 2 * np.pi * y / n_classes + 4.0 * r + rng.normal(0.0, noise, size=n_samples)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _shuffled(X, y, rng)


def coffee_roasting(n_samples=200, seed=2):
    """The course's coffee-roasting data: temperature and duration, labelled good or bad.

    Draws ``2 * n_samples`` uniforms from ``default_rng(seed)`` as an ``(n_samples, 2)``
    array, scales column 0 to a temperature in [150, 285) degrees C and column 1 to a
    duration in [11.5, 15.5) minutes, and labels a roast good (1) when
    ``175 < T < 260``, ``12 < d < 15`` and ``d <= 21 - 3 T / 85``. With the defaults this
    reproduces the course lab's arrays exactly. The rows are not shuffled.

    Args:
        n_samples: number of roasts (default 200).
        seed: seed of the random generator (default 2, the course's).

    Returns:
        ``(X, Y)``: X float64 of shape ``(n_samples, 2)`` (temperature, duration),
        Y float64 of shape ``(n_samples, 1)`` holding 0.0 or 1.0.

    Example:
        >>> X, Y = coffee_roasting()
        >>> X.shape, Y.shape, int(Y.sum())
        ((200, 2), (200, 1), 43)
    """
    n_samples = _check_count("n_samples", n_samples)
    rng = _check_seed(seed)
    X = rng.random(2 * n_samples).reshape(-1, 2)
    X[:, 0] = X[:, 0] * (285 - 150) + 150     # temperature, degrees C
    X[:, 1] = X[:, 1] * 4 + 11.5              # duration, minutes
    T, d = X[:, 0], X[:, 1]
    limit = -3 / (260 - 175) * T + 21         # the line d = 21 - 3 T / 85
    good = (T > 175) & (T < 260) & (d > 12) & (d < 15) & (d <= limit)
    return X, good.astype(np.float64).reshape(-1, 1)
