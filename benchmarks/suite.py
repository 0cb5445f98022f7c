"""Benchmark suite: six training workloads, glassnet beside whichever peers are installed.

Method
- Workloads (``workloads.py``): coffee, digits, blobs, mnist_mlp, wide_mlp, cnn. Each is
  defined once: seeded synthetic float32 data, Glorot-uniform kernels and zero biases drawn
  with NumPy from a fixed seed (every framework starts from the same numbers; scikit-learn
  cannot take them), Adam, shuffling every epoch.
- Frameworks: glassnet; ``numpy`` (forward, backward and Adam by hand); ``pytorch`` (eager);
  ``keras`` (TensorFlow); ``jax`` (jit-compiled train step, optax.adam); ``scikit-learn``
  (MLPClassifier). ``numpy`` and ``scikit-learn`` have no conv layers and skip cnn.
- Isolation: every run is its own subprocess, so no framework shares a process, a thread
  pool or an allocator with another. A framework runs under the first interpreter, this one
  first, then each ``--python`` in order, in which it imports; peers can live in their own
  virtual environment. Children import glassnet's data generators from this checkout.
- Interleaving: per workload glassnet runs ``--repeats`` times, spread evenly among the
  peers' runs (first, ..., last), and reports the median of its runs, so a machine that
  drifts (thermal, a neighbour's job) affects glassnet's figure the way it affects the
  peers' and the spread shows how much it moved. On a host with slow phases,
  ``--peer-repeats N`` runs every peer N times too (in rounds) and reports their medians.
- Figures: steady seconds per epoch is the median of the epochs after the first; µs per
  step divides it by the steps in an epoch (the partial last batch counts); the first
  epoch is reported on its own (warm-up; JAX's compilation is timed separately before
  it); training accuracy is computed after the last epoch, from each framework's outputs,
  by one function. The ratio is glassnet's s/epoch over the fastest peer's.
- Extras: single-sample predict latency of the digits model (glassnet's and Keras's
  ``model.predict(x[:1])``, PyTorch's eager forward under no_grad; median over many
  calls); ``fit`` of the coffee model on 10 samples for 2,000 epochs (glassnet's and
  Keras's, the same call, timed whole); import times (``python -c "import X"`` minus
  ``python -c pass``, median of 3).
  pip byte-compiles the peers' modules when it installs them; glassnet runs from this
  checkout, so the suite byte-compiles its modules first (``compileall``, which writes
  ``__pycache__`` even where ``PYTHONDONTWRITEBYTECODE`` is set), or every child would
  compile glassnet's source anew on import (here 0.28 s of a 0.40 s import, against
  0.08 s from bytecode).

Run: ``python benchmarks/suite.py [--python /path/to/peers/python] [--workloads digits cnn]
[--only glassnet pytorch] [--epochs 4] [--scale 0.05] [--repeats 3] [--peer-repeats 1] [--threads 1]
[--no-extras] [--no-write]``. Writes ``benchmarks/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import pathlib
import statistics
import subprocess
import sys

import report
from workloads import WORKLOADS, initial_weights, is_cnn, make_data, summarise

HERE = pathlib.Path(__file__).resolve().parent

# framework -> a line that imports it (and what it needs) and prints its version: the probe
# for whether an interpreter has it
FRAMEWORKS = {
    "glassnet": "import glassnet; print(glassnet.__version__)",
    "numpy": "import numpy; print(numpy.__version__)",
    "pytorch": "import torch; print(torch.__version__)",
    "keras": "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
             "import tensorflow, keras; print(f'tensorflow {tensorflow.__version__}, keras {keras.__version__}')",
    "jax": "import jax, jaxlib, optax; print(f'jax {jax.__version__}, jaxlib {jaxlib.__version__}, "
           "optax {optax.__version__}')",
    "scikit-learn": "import sklearn; print(sklearn.__version__)",
}
NO_CNN = {"numpy", "scikit-learn"}
LATENCY = ("glassnet", "keras", "pytorch")
TINY_FIT = ("glassnet", "keras")  # the same fit call through either package
IMPORTS = {"glassnet": "glassnet", "torch": "pytorch", "tensorflow": "keras", "jax": "jax"}  # module -> framework


# ----- inside a child process ---------------------------------------------------------------
def _trainer(framework):
    import peers
    import peers_numpy

    return {"glassnet": peers.train_glassnet, "keras": peers.train_keras, "pytorch": peers.train_pytorch,
            "jax": peers.train_jax, "numpy": peers_numpy.train_numpy,
            "scikit-learn": peers_numpy.train_sklearn}[framework]


def child(job):
    spec = WORKLOADS[job["workload"]]
    x, y = make_data(job["workload"], job.get("scale", 1.0))
    weights = initial_weights(spec)
    if job["kind"] == "latency":
        import peers

        return getattr(peers, "latency_" + job["framework"])(spec, x, weights, job["threads"])
    if job["kind"] == "tiny_fit":  # fit of a 10-sample set for 2,000 epochs (peers.TINY_EPOCHS)
        import peers

        return getattr(peers, "tiny_fit_" + job["framework"])(spec, x, y, weights, job["threads"])
    times, outputs, extra = _trainer(job["framework"])(spec, x, y, weights, job["epochs"], job["threads"])
    return summarise(spec, len(x), times, outputs, y, **extra)


# ----- in the parent ------------------------------------------------------------------------
def child_env(threads):
    """Children import glassnet (data generators, and glassnet itself) from this checkout,
    whichever interpreter runs them. ``threads`` > 0 caps the BLAS/OpenMP pools, read when
    the libraries load; PyTorch and TensorFlow are capped in-process too (see peers.py).
    XLA has no switch for "N threads", only for one, so JAX is capped only at 1."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent / "src"), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return env


def find_interpreters(frameworks, pythons, env):
    """framework -> (interpreter, version string) for each one that imports somewhere."""
    found = {}
    for framework in frameworks:
        for python in pythons:
            probe = subprocess.run([python, "-c", FRAMEWORKS[framework]], capture_output=True, text=True, env=env)
            if probe.returncode == 0:
                found[framework] = (python, probe.stdout.strip().splitlines()[-1])
                break
    return found


def run_child(python, job, env):
    """One job in a fresh process; its result, or ``{"error": last line of stderr}``."""
    proc = subprocess.run([python, str(HERE / "suite.py"), "--child", json.dumps(job)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        return {"error": lines[-1][:160]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def interleave(peers, repeats):
    """glassnet's ``repeats`` runs spread evenly over the gaps around the peers' runs:
    2 -> first and last, 3 -> first, middle and last, ..."""
    if repeats <= 0:
        return list(peers)
    gaps = [0] if repeats == 1 else [round(i * len(peers) / (repeats - 1)) for i in range(repeats)]
    plan = []
    for gap in range(len(peers) + 1):
        plan += ["glassnet"] * gaps.count(gap)
        plan += peers[gap:gap + 1]
    return plan


def combine_runs(runs):
    """One framework's row from its runs: the median of each timing, the rest of the first
    run (seeded: every run trains the same way), and the runs' spread."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    if len(ok) == 1:
        return ok[0]
    row = dict(ok[0])
    row.update({key: statistics.median(r[key] for r in ok) for key in ("epoch_s", "us_per_step", "first_epoch_s")})
    row["runs"] = [r["epoch_s"] for r in ok]
    return row


def train_all(args, found, env, log):
    results = {}  # workload -> framework -> row
    for workload in args.workloads:
        spec = WORKLOADS[workload]
        peers = [f for f in args.only if f != "glassnet" and f in found]
        peers = [f for f in peers if not (is_cnn(spec) and f in NO_CNN)]
        # each peer args.peer_repeats times, in rounds, with glassnet's runs spread among them
        plan = interleave(peers * args.peer_repeats, args.repeats if "glassnet" in found else 0)
        runs = {}
        for framework in plan:
            job = {"kind": "train", "framework": framework, "workload": workload,
                   "epochs": args.epochs, "threads": args.threads, "scale": args.scale}
            result = run_child(found[framework][0], job, env)
            log(f"{workload:<9} {framework:<12} " + (
                f"failed: {result['error']}" if "error" in result else
                f"{result['epoch_s']:.4g} s/epoch, first {result['first_epoch_s']:.4g} s, "
                f"acc {result['accuracy']:.3f}"))
            runs.setdefault(framework, []).append(result)
        rows = {framework: combine_runs(framework_runs) for framework, framework_runs in runs.items()}
        for framework in args.only:
            if framework in found and framework not in rows:
                rows[framework] = {"skipped": "no conv layers"}
        results[workload] = {f: rows[f] for f in args.only if f in rows}
    return results


def extras(args, found, env, log):
    """Predict latency of the digits model, fit of 10 samples for 2,000 epochs (the coffee
    model), and import times."""

    def each(kind, frameworks, workload, label):
        results = {}
        for framework in frameworks:
            if framework in args.only and framework in found:
                job = {"kind": kind, "framework": framework, "workload": workload, "threads": args.threads}
                results[framework] = run_child(found[framework][0], job, env)
                log(f"{label:<9} {framework:<12} {results[framework]}")
        return results

    latency = each("latency", LATENCY, "digits", "predict")
    tiny = each("tiny_fit", TINY_FIT, "coffee", "tiny fit")
    imports = {}
    for module, framework in IMPORTS.items():
        if framework in args.only and framework in found:
            python = found[framework][0]
            imports[module] = report.import_seconds(python, module, env)
            log(f"import    {module:<12} {imports[module]:.3f} s")
    return {"latency": latency, "tiny_fit": tiny, "imports": imports}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--only", nargs="+", default=list(FRAMEWORKS), choices=list(FRAMEWORKS),
                        help="frameworks to run (default: all that are installed)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run; the first is warm-up (default 4)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each data set (quick runs)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="glassnet runs per workload, interleaved; their median is reported (default 3)")
    parser.add_argument("--peer-repeats", type=int, default=1,
                        help="runs per peer and workload, in rounds; their median is reported (default 1)")
    parser.add_argument("--threads", type=int, default=0, help="cap every framework's threads (0: their defaults)")
    parser.add_argument("--python", action="append", default=[], metavar="PATH",
                        help="another interpreter to look for peers in (repeatable, tried in order)")
    parser.add_argument("--no-extras", action="store_true", help="skip predict latency and import times")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.epochs < 1 or not 0 < args.scale <= 1:
        parser.error("--epochs must be at least 1 and --scale in (0, 1]")

    def log(line):
        print(line, file=sys.stderr, flush=True)

    # as pip does for the peers (see the module docstring); quiet unless a file fails
    compileall.compile_dir(str(HERE.parent / "src" / "glassnet"), quiet=1)
    env = child_env(args.threads)
    found = find_interpreters(args.only, [sys.executable] + args.python, env)
    missing = [f for f in args.only if f not in found]
    log("frameworks: " + report.frameworks_line(found, missing))
    results = train_all(args, found, env, log)
    extra = {} if args.no_extras else extras(args, found, env, log)
    text = report.markdown(args, argv if argv is not None else sys.argv[1:], found, missing, results, extra)
    print(text)
    if not args.no_write:
        (HERE / "RESULTS.md").write_text(text)
        log(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
