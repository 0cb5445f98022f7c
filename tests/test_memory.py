"""glassnet.memory: fit keeps freed memory for the next step instead of faulting it in afresh.

Each check runs in a fresh interpreter: malloc's settings belong to the whole process.
"""

import os
import subprocess
import sys
import textwrap

import pytest

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


needs_glibc = pytest.mark.skipif(not _glibc(), reason="the thresholds are glibc's")

# A step's pattern that makes glibc's default thresholds give memory back and fault it in
# again: one 5 MB array freed (thresholds 5 MB and 10 MB), then steps of 16 MB of 4 MB arrays.
CHURN = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from glassnet import memory
    kept = memory.keep_freed_memory()
    np.ones(5 << 18, np.float32)
    def step():
        arrays = [np.ones(1 << 20, np.float32) for _ in range(4)]
        del arrays
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        step()
    print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _run(code, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("GLASSNET_KEEP_FREED_MEMORY", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    environment.update(env, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return done.stdout.split()


@needs_glibc
def test_kept_memory_is_not_faulted_in_again_each_step():
    kept, faults = _run(CHURN)
    left_alone, churned = _run(CHURN, GLASSNET_KEEP_FREED_MEMORY="0")
    assert (kept, left_alone) == ("True", "False")
    if int(churned) < 2000:
        pytest.skip(f"this glibc did not give the memory back ({churned} faults in 20 steps)")
    assert int(faults) < int(churned) // 20, (faults, churned)


@needs_glibc
def test_the_users_own_malloc_settings_stand():
    assert _run(CHURN, MALLOC_TRIM_THRESHOLD_="1000000")[0] == "False"
    assert _run(CHURN, MALLOC_MMAP_THRESHOLD_="1000000")[0] == "False"


@needs_glibc
def test_fit_sets_the_thresholds_once():
    code = textwrap.dedent("""
        import numpy as np
        import glassnet as gn
        from glassnet import memory
        before = list(memory._state)
        model = gn.keras.Sequential([gn.keras.Input((2,)), gn.keras.layers.Dense(1)])
        model.compile(loss="mse", optimizer="sgd")
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        print(before, memory._state)
    """)
    assert _run(code) == ["[]", "[True]"]
