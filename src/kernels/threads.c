/* A wait without the GIL that spins before glassnet.parallel's threads go to sleep.

   A thread woken from sleep takes 20-50 us here to run again (a virtual CPU's wake-up),
   and may be woken on the busy core of the thread that woke it; a large product's blocks
   take 50 us to a few ms. So glassnet's product threads spin, on a counter the posting
   thread bumps, before they block on a semaphore; the spin yields the core every few
   microseconds, so a thread that shares its core with the spinner (ours or another
   process's) runs nearly as if the spinner slept. */

#include "kernels.h"

#if defined(_WIN32)
#include <windows.h>
static void yield_core(void) { SwitchToThread(); }
static int64_t now_ns(void) {
    LARGE_INTEGER count, frequency;
    QueryPerformanceCounter(&count);
    QueryPerformanceFrequency(&frequency);
    return (int64_t)((double)count.QuadPart * 1e9 / (double)frequency.QuadPart);
}
#else
#include <sched.h>
#include <time.h>
static void yield_core(void) { sched_yield(); }
static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
#endif

static inline void relax(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif defined(__GNUC__) && defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline int64_t load(const int64_t *where) {
#if defined(__GNUC__)
    return __atomic_load_n(where, __ATOMIC_ACQUIRE);
#else
    return *(volatile const int64_t *)where;
#endif
}

/* spin_until(counter, seen, limit_ns, settle_ns) -> bool: whether counter[0] (an int64
   array's first number) differs from `seen` before limit_ns nanoseconds pass. The GIL is
   released while it spins, and after a change it spins settle_ns more before taking the
   GIL back: the thread that bumped the counter holds the GIL until its own next BLAS call,
   and a thread that finds the GIL taken sleeps (the 20-50 us wake-up again). */
PyObject *gn_spin_until(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "spin_until(counter, seen, limit_ns, settle_ns) takes 4 arguments");
        return NULL;
    }
    long long seen = PyLong_AsLongLong(args[1]), limit = PyLong_AsLongLong(args[2]);
    long long settle = PyLong_AsLongLong(args[3]);
    if ((seen == -1 || limit == -1 || settle == -1) && PyErr_Occurred()) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_C_CONTIGUOUS) != 0) return NULL;
    if (view.len < 8 || view.itemsize != 8) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "spin_until: counter must be an int64 array");
        return NULL;
    }
    const int64_t *counter = (const int64_t *)view.buf;
    int changed = 0;
    Py_BEGIN_ALLOW_THREADS
    int64_t deadline = now_ns() + limit;
    for (;;) {
        for (int i = 0; i < 64; i++) {  /* the clock is read, and the core yielded, once per 64 pauses */
            if (load(counter) != (int64_t)seen) {
                changed = 1;
                break;
            }
            relax();
        }
        if (changed || now_ns() >= deadline) break;
        yield_core();
    }
    if (changed) {
        int64_t settled = now_ns() + settle;
        while (now_ns() < settled) relax();
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyBool_FromLong(changed);
}
