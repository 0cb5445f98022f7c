"""The benchmark tools: step_profile reads the recorded steps and restores what it wraps;
kernels_ab and revisions_ab compare like with like; the report names NumPy's BLAS kernels."""

import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


@pytest.fixture
def step_profile(monkeypatch):
    monkeypatch.syspath_prepend(BENCHMARKS)
    import step_profile

    return step_profile


def test_profile_names_every_op_and_leaves_them_unwrapped(step_profile, capsys):
    from glassnet.ops.linalg import Dense

    forward, backward, specialize = (Dense.__dict__[name] for name in ("forward", "backward", "specialize"))
    step_profile.main(["blobs", "--scale", "0.05"])
    out = capsys.readouterr().out
    assert out.startswith("blobs: 128 samples")
    for line in ("Dense", "forward", "backward", "SparseSoftmaxCrossEntropyWithLogits", "optimizer", "whole step"):
        assert line in out
    assert Dense.__dict__["forward"] is forward and Dense.__dict__["backward"] is backward
    assert Dense.__dict__["specialize"] is specialize


def test_kernels_ab_compares_like_with_like(monkeypatch, capsys):
    from glassnet import kernels

    monkeypatch.syspath_prepend(BENCHMARKS)
    import kernels_ab

    before = kernels.native
    kernels_ab.main(["blobs", "--rounds", "1"])
    out = capsys.readouterr().out
    assert kernels.native is before
    if kernels.available():
        assert "with the kernels" in out and "identical" in out
    else:
        assert "without its compiled kernels" in out


def test_revisions_ab_runs_both_sides_and_removes_its_worktree(monkeypatch, capsys):
    import subprocess

    root = os.path.dirname(BENCHMARKS)
    if subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    worktrees = subprocess.run(["git", "-C", root, "worktree", "list"], capture_output=True, text=True).stdout
    monkeypatch.syspath_prepend(BENCHMARKS)
    import revisions_ab

    revisions_ab.main(["blobs", "--against", "HEAD", "--rounds", "1", "--epochs", "1", "--scale", "0.05", "--no-build"])
    out = capsys.readouterr().out
    assert "blobs this checkout: fastest" in out and "blobs HEAD: fastest" in out and "x (fastest epochs)" in out
    assert subprocess.run(["git", "-C", root, "worktree", "list"], capture_output=True, text=True).stdout == worktrees


def test_the_report_names_the_blas_kernels_numpy_loaded():
    """OpenBLAS picks its kernels for the CPU when NumPy loads; OPENBLAS_CORETYPE overrides
    that, so a fresh interpreter told to use Haswell's must report them."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import report; print(report.numpy_blas())"
    run = lambda env: subprocess.run([sys.executable, "-c", code, BENCHMARKS], capture_output=True, text=True,
                                     env=env, check=True).stdout.strip()
    plain = run({k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"})
    if "kernels not known" in plain:
        pytest.skip(f"NumPy's BLAS does not say which kernels it uses: {plain}")
    assert plain.endswith(" kernels") and "openblas" in plain.lower()
    assert run(dict(os.environ, OPENBLAS_CORETYPE="Haswell")).endswith("its Haswell kernels")
