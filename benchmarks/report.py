"""The suite's report: machine description, import timing, and the Markdown tables.

Kept apart from ``suite.py`` so the runner reads as the method and this as the output.
The Markdown is what the suite prints and what it writes to ``benchmarks/RESULTS.md``.
Interpreter paths given with ``--python`` are machine-specific, so the recorded command
line shows them as ``PEER_PYTHON_1``, ``PEER_PYTHON_2``, ... (the machine section says
which framework ran where by version, which is what matters for reading the numbers).
"""

from __future__ import annotations

import ctypes
import datetime
import glob
import os
import pathlib
import platform
import shlex
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def import_seconds(python, module, env, repeats=3):
    """Wall time of ``python -c "import module"`` minus a bare ``python -c pass``, each the
    median of ``repeats``, alternating the two so both see the same machine state."""
    def wall(code):
        start = time.perf_counter()
        subprocess.run([python, "-c", code], env=env, capture_output=True, check=True)
        return time.perf_counter() - start

    bare, loaded = [], []
    for _ in range(repeats):
        bare.append(wall("pass"))
        loaded.append(wall(f"import {module}"))
    return statistics.median(loaded) - statistics.median(bare)


def frameworks_line(found, missing):
    """"glassnet 0.1.0; jax (jax 0.4, jaxlib 0.4, optax 0.2); ...; not installed: ..." """
    parts = [f"{f} {v}" if v[:1].isdigit() else f"{f} ({v})" for f, (_, v) in found.items()]
    return "; ".join(parts) + (f"; not installed: {', '.join(missing)}" if missing else "")


def _cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return rev + (" (with uncommitted changes under src/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _command(argv):
    """The command line, with each --python interpreter replaced by a placeholder."""
    out, k, it = ["python", "benchmarks/suite.py"], 0, iter(argv)
    for arg in it:
        if arg == "--python" or arg.startswith("--python="):
            k += 1
            if arg == "--python":
                next(it, None)
            out += ["--python", f"PEER_PYTHON_{k}"]
        else:
            out.append(arg)
    return " ".join(shlex.quote(a) for a in out)


def _table(headers, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def _training_rows(results):
    rows = []
    for workload, by_framework in results.items():
        peer_times = [r["epoch_s"] for f, r in by_framework.items() if f != "glassnet" and "epoch_s" in r]
        for framework, r in by_framework.items():
            if "epoch_s" not in r:
                why = r.get("skipped") or f"failed: {r.get('error')}"
                rows.append([workload, framework, "–", "–", "–", "–", "–", why])
                continue
            ratio = "–"
            if framework == "glassnet" and peer_times:
                ratio = f"{r['epoch_s'] / min(peer_times):.2f}×"
            notes = []
            if "runs" in r:
                runs = r["runs"]
                times = ", ".join(f"{t:.4g}" for t in runs)
                notes.append(f"{len(runs)} run{'s' * (len(runs) > 1)}: {times} s/epoch")
            if "compile_s" in r:
                notes.append(f"compile {r['compile_s']:.2f} s, before the 1st epoch")
            if "note" in r:
                notes.append(r["note"])
            us = r["us_per_step"]
            rows.append([workload, framework, f"{r['epoch_s']:.4g}", f"{us:.1f}" if us < 100 else f"{us:.0f}",
                         f"{r['first_epoch_s']:.4g}", f"{r['accuracy']:.3f}", ratio, "; ".join(notes)])
    return rows


def _blas_environment() -> str:
    """The variables that choose BLAS kernels or thread counts (they change the products'
    speed: OPENBLAS_CORETYPE=Haswell, say, keeps OpenBLAS off a CPU's AVX-512 kernels)."""
    prefixes = ("OPENBLAS_", "OMP_", "MKL_", "XLA_FLAGS", "GOTO", "BLIS_")
    found = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith(prefixes))
    return ", ".join(found) if found else "none"


def numpy_blas() -> str:
    """NumPy's BLAS and, for OpenBLAS, the kernels it chose for this CPU at load time (its
    core name: the same wheel runs SkylakeX's AVX-512 kernels on one machine and Haswell's
    on another, and the large rows move with it). Read from the library NumPy loaded."""
    import numpy

    config = getattr(numpy, "__config__", None)
    blas = getattr(config, "CONFIG", {}).get("Build Dependencies", {}).get("blas", {})
    name = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "*openblas*"))
    for path in libs:  # NumPy's wheels bundle OpenBLAS here, with prefixed or suffixed names
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                       "openblas_get_corename64_", "openblas_get_corename"):
            corename = getattr(library, symbol, None)
            if corename is not None:
                corename.restype = ctypes.c_char_p
                return f"{name}, its {corename().decode()} kernels"
    return f"{name} (kernels not known)"


def _kernels_state() -> str:
    """Whether glassnet ran with its compiled kernels (glassnet.kernels), as this process sees it."""
    try:
        from glassnet import kernels
    except ImportError:
        return "unknown (glassnet not importable here)"
    if not kernels.available():
        return "not built (NumPy only)"
    return "in use" if kernels.native is not None else "built, turned off (GLASSNET_NATIVE=0)"


def markdown(args, argv, found, missing, results, extra):
    """RESULTS.md's text; ``extra`` holds the extras' results (suite.extras), or is empty."""
    import numpy

    out = ["# glassnet benchmark results", "",
           f"Written by `benchmarks/suite.py` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
           "the method is in that file's docstring.", ""]
    if args.scale < 1 or args.epochs < 3:
        out += ["**Development run** (reduced `--scale` or `--epochs`): the timings are not representative.", ""]
    out += ["## Machine", "",
            f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}",
            f"- Python {platform.python_version()}, NumPy {numpy.__version__}; NumPy's BLAS: {numpy_blas()}",
            f"- glassnet revision: {_git_revision()}; compiled kernels: {_kernels_state()}",
            f"- threads: {args.threads or 'each framework’s default'}",
            f"- BLAS and thread settings in the environment: {_blas_environment()}",
            "- frameworks: " + frameworks_line(found, missing), "",
            "## Command", "", f"    {_command(argv)}", "",
            f"## Training ({args.epochs} epochs per run, data scale {args.scale:g})", "",
            "s/epoch: median of the epochs after the first. ×: glassnet's s/epoch over the fastest peer's "
            "(above 1 means slower). Accuracy: on the training set after the last epoch.", "",
            _table(["workload", "framework", "s/epoch", "µs/step", "1st epoch s", "train acc", "glassnet ÷ fastest",
                    "notes"], _training_rows(results)), ""]
    latency, tiny, imports = extra.get("latency"), extra.get("tiny_fit"), extra.get("imports")
    if latency:
        how = {"glassnet": "model.predict(x[:1])", "pytorch": "eager forward under no_grad, NumPy in and out",
               "keras": "model.predict(x[:1]); its per-call set-up dominates, the model is tiny"}
        rows = [[f, "–", "–", f"failed: {r['error']}"] if "error" in r
                else [f, f"{r['us']:.0f}", r["calls"], how[f]] for f, r in latency.items()]
        out += ["## Single-sample predict latency (digits model)", "",
                _table(["framework", "µs per call (median)", "calls", "notes"], rows), ""]
    if tiny:
        rows = [[f, "–", "–", f"failed: {r['error']}"] if "error" in r
                else [f, f"{r['s']:.3g}", f"{r['loss']:.4f}", f"{r['s'] / r['epochs'] * 1e6:.0f}"]
                for f, r in tiny.items()]
        out += ["## Many epochs of a tiny data set (coffee model)", "",
                "One `model.fit(x[:10], y[:10], epochs=2000, verbose=0)` call, timed whole (first epoch "
                "included): fit's own cost per epoch, which a toy exercise pays 2,000 times.", "",
                _table(["framework", "seconds", "final loss", "µs per epoch"], rows), ""]
    if imports:
        out += ["## Import time", "", "`python -c \"import X\"` minus `python -c pass`, medians of 3.", "",
                _table(["module", "seconds"], [[m, f"{s:.3f}"] for m, s in imports.items()]), ""]
    return "\n".join(out)
