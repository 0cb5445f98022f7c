"""Synthetic digits and toy generators: shapes, dtypes, determinism, difficulty, errors."""

from pathlib import Path

import numpy as np
import pytest

from glassnet.datasets import generators, synthetic_digits

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COURSE = SHARED_DATA / "course" / "generated"


@pytest.fixture(scope="module")
def digits():
    return synthetic_digits.load_data(n_samples=2000, seed=0)


# ----- synthetic digits -------------------------------------------------------------------
def test_digits_shapes_dtypes_and_range(digits):
    (x_train, y_train), (x_test, y_test) = digits
    assert x_train.shape == (1600, 20, 20) and x_test.shape == (400, 20, 20)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.shape == (1600,) and y_test.shape == (400,)
    assert y_train.dtype == np.uint8 and y_test.dtype == np.uint8
    for x in (x_train, x_test):
        assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0
        assert x.max() > 0.8                       # strokes are inked
        assert np.median(x) < 0.1                  # on a dark background


def test_digits_are_balanced_and_shuffled(digits):
    (_, y_train), (_, y_test) = digits
    assert np.bincount(y_train, minlength=10).tolist() == [160] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [40] * 10
    assert not np.array_equal(y_train[:20], np.sort(y_train[:20]))


def test_digits_balance_with_uneven_counts():
    (_, y_train), (_, y_test) = synthetic_digits.load_data(n_samples=123, test_fraction=0.25, seed=1)
    assert len(y_train) + len(y_test) == 123 and len(y_test) == 31
    for y in (y_train, y_test):
        counts = np.bincount(y, minlength=10)
        assert counts.max() - counts.min() <= 1


def test_digits_same_seed_is_bit_identical_and_other_seed_differs():
    a = synthetic_digits.load_data(n_samples=200, seed=7)
    b = synthetic_digits.load_data(n_samples=200, seed=7)
    c = synthetic_digits.load_data(n_samples=200, seed=8)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert xa.tobytes() == xb.tobytes() and np.array_equal(ya, yb)
    assert not np.array_equal(a[0][0], c[0][0])


def test_digits_other_sizes_and_no_test_split():
    (x_train, _), (x_test, y_test) = synthetic_digits.load_data(
        n_samples=30, image_size=28, test_fraction=0.0)
    assert x_train.shape == (30, 28, 28) and x_test.shape == (0, 28, 28) and y_test.shape == (0,)


def test_digits_generate_5000_images(digits):
    # Speed is measured by hand (about 0.3 s for 5,000 images), never asserted here.
    (x_train, _), (x_test, _) = synthetic_digits.load_data()
    assert len(x_train) == 4000 and len(x_test) == 1000


def test_digits_are_learnable_but_not_trivial(digits):
    """Nearest centroid must beat chance by far yet stay clearly below perfect."""
    (x_train, y_train), (x_test, y_test) = digits
    xt, xs = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    centroids = np.stack([xt[y_train == k].mean(axis=0) for k in range(10)])
    dist = ((xs[:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    accuracy = (dist.argmin(axis=1) == y_test).mean()
    assert 0.5 < accuracy < 0.97, accuracy


@pytest.mark.parametrize("kwargs", [
    {"n_samples": 0}, {"n_samples": 9}, {"n_samples": 10.5}, {"image_size": 4},
    {"test_fraction": 1.0}, {"test_fraction": -0.1}, {"seed": "zero"},
])
def test_digits_reject_bad_arguments(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        synthetic_digits.load_data(**kwargs)


# ----- generators ----------------------------------------------------------------------------
GENERATORS = [  # (function, kwargs, n_features, n_classes)
    (generators.make_blobs, {"n_samples": 90, "centers": 3}, 2, 3),
    (generators.make_blobs, {"n_samples": 40, "centers": 4, "n_features": 5}, 5, 4),
    (generators.make_blobs, {"n_samples": 30, "centers": [[0, 0, 0], [3, 3, 3]]}, 3, 2),
    (generators.make_moons, {"n_samples": 101, "noise": 0.1}, 2, 2),
    (generators.make_circles, {"n_samples": 100, "noise": 0.05, "factor": 0.5}, 2, 2),
    (generators.make_spiral, {"n_samples": 150, "n_classes": 5}, 2, 5),
]


@pytest.mark.parametrize("fn, kwargs, n_features, n_classes", GENERATORS)
def test_generator_shapes_dtypes_and_balance(fn, kwargs, n_features, n_classes):
    X, y = fn(seed=0, **kwargs)
    n = kwargs["n_samples"]
    assert X.shape == (n, n_features) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("fn, kwargs, n_features, n_classes", GENERATORS)
def test_generator_is_deterministic_by_seed(fn, kwargs, n_features, n_classes):
    X1, y1 = fn(seed=3, **kwargs)
    X2, y2 = fn(seed=3, **kwargs)
    X3, _ = fn(seed=4, **kwargs)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_blobs_points_sit_near_their_centres():
    centers = np.array([[-5.0, 2.0], [5.0, -2.0]])
    X, y = generators.make_blobs(n_samples=400, centers=centers, cluster_std=[0.5, 1.0], seed=0)
    for k in range(2):
        assert np.allclose(X[y == k].mean(axis=0), centers[k], atol=0.2)
    assert X[y == 0].std() < X[y == 1].std()


def test_noise_free_moons_and_circles_are_exact():
    X, y = generators.make_moons(n_samples=50, seed=0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    assert np.allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    X, y = generators.make_circles(n_samples=50, factor=0.3, seed=0)
    assert np.allclose(np.hypot(*X[y == 0].T), 1.0) and np.allclose(np.hypot(*X[y == 1].T), 0.3)


@pytest.mark.parametrize("fn, kwargs, name", [
    (generators.make_blobs, {"n_samples": 0}, "n_samples"),
    (generators.make_blobs, {"centers": 0}, "centers"),
    (generators.make_blobs, {"centers": [1.0, 2.0]}, "centers"),
    (generators.make_blobs, {"centers": 2, "cluster_std": -1.0}, "cluster_std"),
    (generators.make_blobs, {"centers": 2, "cluster_std": [1.0, 1.0, 1.0]}, "cluster_std"),
    (generators.make_blobs, {"n_features": 0}, "n_features"),
    (generators.make_moons, {"n_samples": -5}, "n_samples"),
    (generators.make_moons, {"noise": -0.1}, "noise"),
    (generators.make_circles, {"factor": 1.0}, "factor"),
    (generators.make_circles, {"noise": -1}, "noise"),
    (generators.make_spiral, {"n_classes": 1}, "n_classes"),
    (generators.make_spiral, {"noise": -0.2}, "noise"),
    (generators.make_spiral, {"seed": 1.5}, "seed"),
    (generators.coffee_roasting, {"n_samples": 0}, "n_samples"),
])
def test_generators_reject_bad_arguments(fn, kwargs, name):
    with pytest.raises(ValueError, match=name):
        fn(**kwargs)


def test_coffee_roasting_shape_and_rule():
    X, Y = generators.coffee_roasting()
    assert X.shape == (200, 2) and Y.shape == (200, 1) and X.dtype == Y.dtype == np.float64
    T, d = X[:, 0], X[:, 1]
    assert T.min() >= 150 and T.max() < 285 and d.min() >= 11.5 and d.max() < 15.5
    assert int(Y.sum()) == 43
    good = Y[:, 0] == 1
    assert np.all((T[good] > 175) & (T[good] < 260) & (d[good] > 12) & (d[good] < 15))


@pytest.mark.skipif(not COURSE.is_dir(), reason="shared course data not present")
def test_coffee_roasting_matches_the_course_arrays_exactly():
    X, Y = generators.coffee_roasting(seed=2)
    assert np.array_equal(X, np.load(COURSE / "coffee_X.npy"))
    assert np.array_equal(Y, np.load(COURSE / "coffee_Y.npy"))
