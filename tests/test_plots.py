"""Plots render PNG files; without matplotlib they fail with an install hint."""

import builtins
import types

import numpy as np
import pytest

from glassnet import viz

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[plot\]"'):
        viz.plot_loss_curve({"loss": [1.0, 0.5]})
    with pytest.raises(ImportError, match="matplotlib"):
        viz.plot_images(np.zeros((2, 4, 4)), [0, 1])


def test_loss_curve_from_dict_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = {"loss": [1.2, 0.8, 0.5], "val_loss": [1.3, 0.9, 0.7],
               "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.45, 0.6, 0.75]}
    path = tmp_path / "loss.png"
    fig = viz.plot_loss_curve(history, path=path, title="training")
    assert_png(path)
    assert len(fig.axes) == 2                          # loss panel + metrics panel
    assert [line.get_label() for line in fig.axes[0].lines] == ["loss", "val_loss"]


def test_loss_curve_from_history_object_loss_only(tmp_path):
    pytest.importorskip("matplotlib")
    history = types.SimpleNamespace(history={"loss": np.linspace(2, 0.1, 40)})
    path = tmp_path / "loss_only.png"
    fig = viz.plot_loss_curve(history, path=str(path))
    assert_png(path)
    assert len(fig.axes) == 1


def test_loss_curve_rejects_empty_or_wrong_input():
    with pytest.raises(ValueError, match="no per-epoch values"):
        viz.plot_loss_curve({"loss": []})
    with pytest.raises(ValueError, match="History"):
        viz.plot_loss_curve([1.0, 0.5])


def test_plot_images_marks_mistakes_in_red(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_rgba

    rng = np.random.default_rng(0)
    images = rng.random((30, 8, 8)).astype(np.float32)
    true = np.arange(30) % 10
    pred = true.copy()
    pred[[1, 4]] = 9 - pred[[1, 4]]                    # two mistakes
    path = tmp_path / "grid.png"
    fig = viz.plot_images(images, true, pred, path=path, max_images=12, title="sample")
    assert_png(path)
    assert len(fig.axes) == 12
    titles = [ax.title for ax in fig.axes]
    assert titles[0].get_text() == "0/0" and titles[1].get_text() == "1/8"
    red = [i for i, t in enumerate(titles) if t.get_color() in ("red", to_rgba("red"))]
    assert red == [1, 4]


def test_plot_images_accepts_flat_images_and_scores(tmp_path):
    pytest.importorskip("matplotlib")
    images = np.zeros((4, 400))
    scores = np.eye(10)[[3, 1, 2, 0]]                  # (n, classes) scores: argmax taken
    path = tmp_path / "flat.png"
    fig = viz.plot_images(images, [3, 1, 2, 2], scores, path=path)
    assert_png(path)
    assert [ax.title.get_text() for ax in fig.axes] == ["3/3", "1/1", "2/2", "2/0"]


@pytest.mark.parametrize("images, labels, pred, match", [
    (np.zeros((3, 10)), [0, 1, 2], None, "square"),
    (np.zeros((3, 4, 4)), [0, 1], None, "true labels"),
    (np.zeros((3, 4, 4)), [0, 1, 2], [0, 1], "predicted labels"),
    (np.zeros((3,)), [0, 1, 2], None, "shape"),
])
def test_plot_images_rejects_bad_input(images, labels, pred, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_images(images, labels, pred)


def test_without_path_the_figure_comes_from_pyplot():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = viz.plot_loss_curve({"loss": [1.0, 0.5]})
    try:
        assert fig.number in plt.get_fignums()         # plt.show() or a notebook can display it
    finally:
        plt.close(fig)
