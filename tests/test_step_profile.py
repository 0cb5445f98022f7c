"""benchmarks/step_profile.py still reads the recorded steps and restores what it wraps."""

import os
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

    forward, backward = Dense.__dict__["forward"], Dense.__dict__["backward"]
    step_profile.main(["blobs", "--scale", "0.05"])
    out = capsys.readouterr().out
    for line in ("Dense", "forward", "backward", "SparseSoftmaxCrossEntropyWithLogits", "optimizer", "whole step"):
        assert line in out
    assert Dense.__dict__["forward"] is forward and Dense.__dict__["backward"] is backward


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
