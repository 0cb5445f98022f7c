"""Two revisions of glassnet on one workload, in alternating fresh processes.

On a host whose speed drifts (and whose processes land in fast or slow states of their
own), one run of each revision compares little. This script checks the other revision
out into a temporary git worktree (building its compiled kernels there), then starts
fresh processes in turn, this checkout's and the other's, each training the same
workload (``benchmarks/workloads.py``, this checkout's definition) one ``fit`` per epoch
as the suite does; it prints each side's fastest and median epoch in microseconds per
step. The fastest of many interleaved processes compares like with like.

Run: ``python benchmarks/revisions_ab.py coffee --against HEAD~3 [--rounds 6] [--scale 0.1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

# One child: import glassnet from the given tree, train, print each epoch's us per step.
CHILD = """
import json, sys, time
sys.path.insert(0, {benchmarks!r})
import glassnet as gn, peers, workloads
spec = workloads.WORKLOADS[{workload!r}]
x, y = workloads.make_data({workload!r}, {scale!r})
gn.random.set_seed(0)
model = peers._keras_model(spec, workloads.initial_weights(spec), gn)
loss = (gn.keras.losses.BinaryCrossentropy() if spec["loss"] == workloads.BINARY
        else gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.compile(loss=loss, optimizer=gn.keras.optimizers.Adam(spec["learning_rate"]))
steps = workloads.steps_per_epoch(spec, len(x))
times = []
for _ in range({epochs}):
    start = time.perf_counter()
    model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)
    times.append((time.perf_counter() - start) / steps * 1e6)
print(json.dumps(times[1:] or times))
"""


def _run_child(tree: pathlib.Path, args) -> list:
    code = CHILD.format(benchmarks=str(HERE), workload=args.workload, scale=args.scale, epochs=args.epochs)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree / "src"), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {(done.stderr.strip().splitlines() or ['failed'])[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _checkout(revision: str, where: pathlib.Path, build: bool) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(where), revision],
                   check=True, capture_output=True, text=True)
    if build and (where / "setup.py").exists():  # its own kernels, in place as `pip install -e .` puts them
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=where,
                       check=True, capture_output=True, text=True)


def compare(args) -> dict:
    """{label: list of per-epoch us per step from every process of that side}."""
    with tempfile.TemporaryDirectory(prefix="glassnet-ab-") as scratch:
        other = pathlib.Path(scratch) / "tree"
        _checkout(args.against, other, build=not args.no_build)
        try:
            sides = {"this checkout": ROOT, args.against: other}
            results = {label: [] for label in sides}
            for _ in range(args.rounds):
                for label, tree in sides.items():
                    results[label].extend(_run_child(tree, args))
            return results
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           capture_output=True, text=True)


def main(argv=None):
    sys.path.insert(0, str(HERE))
    import workloads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--against", default="HEAD", help="the other revision (default HEAD)")
    parser.add_argument("--rounds", type=int, default=6, help="processes per side, alternating (default 6)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per process; the first is not counted")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the workload's data (default 1)")
    parser.add_argument("--no-build", action="store_true", help="do not build the other revision's kernels")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.epochs < 1 or not 0 < args.scale <= 1:
        parser.error("--rounds and --epochs must be at least 1, --scale in (0, 1]")
    results = compare(args)
    best = {label: min(times) for label, times in results.items()}
    for label, times in results.items():
        print(f"{args.workload} {label}: fastest {best[label]:.1f} us/step, median {statistics.median(times):.1f} "
              f"({len(times)} epochs in {args.rounds} processes)")
    mine, theirs = best.values()
    print(f"this checkout / {args.against}: {mine / theirs:.2f}x (fastest epochs)")


if __name__ == "__main__":
    main()
