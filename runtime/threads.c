/* threads.c: the trainer's threads, shared by the products (gemm.c) and the passes of
 * generated code that netrt_parallel spreads over them.
 *
 * A job is cut into units; the caller and a pool of workers take them one by one. One word says
 * what is on offer: the job's number (32 bits), its units (16) and the next unit to take (16).
 * A thread takes a unit by bumping the word (compare-and-swap), so each unit is taken by exactly
 * one thread, and only a thread holding a unit reads the job. The caller takes units like any
 * worker, then waits until every unit taken is done: never for a worker that the machine has
 * not scheduled yet, which then finds nothing left. A worker spins for a while after the last
 * unit on offer (during training the next job follows within microseconds), then sleeps.
 *
 * Which thread computes a unit never changes what the unit computes, so a job's result does
 * not depend on the number of threads. */
#define _GNU_SOURCE

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "netrt_internal.h"

enum { SPINS = 1 << 15, MAX_UNITS = 0xffff };

static inline void relax(void) /* a spinning thread's hint to the core */
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int pool_threads = 1; /* netrt_set_threads */
static _Thread_local int this_thread; /* 0: the caller; a worker's number */
static _Thread_local int in_job;      /* running a unit: a job started now runs here alone */

static struct {
    _Atomic uint64_t offer; /* job << 32 | units << 16 | next unit */
    atomic_int done;        /* units of the current job finished */
    atomic_int nt;          /* threads that may take units: workers 1..nt-1 and the caller */
    const NetrtJob *job;
    int sleeping, started;
} pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;

static int on_offer(uint64_t offer)
{
    return (offer & MAX_UNITS) < (offer >> 16 & MAX_UNITS);
}

/* Take the units on offer one by one and run them; returns when none is left. */
static void take_units(int t)
{
    uint64_t offer = atomic_load_explicit(&pool.offer, memory_order_acquire);
    while (on_offer(offer)) {
        if (!atomic_compare_exchange_weak_explicit(&pool.offer, &offer, offer + 1,
                                                   memory_order_acquire, memory_order_acquire))
            continue; /* offer now holds the word as it is */
        in_job = 1;
        pool.job->run(pool.job, (int)(offer & MAX_UNITS), t);
        in_job = 0;
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
        offer = atomic_load_explicit(&pool.offer, memory_order_acquire);
    }
}

static void *worker(void *arg)
{
    int t = (int)(size_t)arg;
    this_thread = t;
    for (int spins = 0;; spins++) {
        if (t < atomic_load_explicit(&pool.nt, memory_order_relaxed) &&
            on_offer(atomic_load_explicit(&pool.offer, memory_order_acquire))) {
            take_units(t);
            spins = 0;
        } else if (spins < SPINS) {
            relax();
        } else {
            pthread_mutex_lock(&pool_lock);
            pool.sleeping++;
            while (!on_offer(atomic_load(&pool.offer)))
                pthread_cond_wait(&pool_wake, &pool_lock);
            pool.sleeping--;
            pthread_mutex_unlock(&pool_lock);
            spins = 0;
        }
    }
    return NULL;
}

void netrt_run_job(const NetrtJob *job, int threads)
{
    int nt = threads < pool_threads ? threads : pool_threads;
    while (pool.started < nt - 1) {
        pthread_t id;
        if (pthread_create(&id, NULL, worker, (void *)(size_t)(pool.started + 1)) != 0)
            break;
        pthread_detach(id);
        pool.started++;
    }
    if (nt > pool.started + 1)
        nt = pool.started + 1;
    if (nt <= 1 || job->units <= 1 || job->units > MAX_UNITS || in_job) {
        for (int u = 0; u < job->units; u++)
            job->run(job, u, this_thread);
        return;
    }
    pool.job = job;
    atomic_store_explicit(&pool.nt, nt, memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    uint64_t number = (atomic_load_explicit(&pool.offer, memory_order_relaxed) >> 32) + 1;
    atomic_store_explicit(&pool.offer, number << 32 | (uint64_t)job->units << 16,
                          memory_order_release);
    pthread_mutex_lock(&pool_lock);
    if (pool.sleeping)
        pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_lock);
    take_units(0);
    for (int spins = 0; atomic_load_explicit(&pool.done, memory_order_acquire) < job->units;)
        if (++spins < 1024)
            relax();
        else
            sched_yield(); /* a worker holding a unit waits for a core */
}

void netrt_set_threads(int threads)
{
    pool_threads = threads < 1 ? 1 : threads > NETRT_MAX_THREADS ? NETRT_MAX_THREADS : threads;
}

int netrt_threads(void)
{
    return in_job ? 1 : pool_threads;
}

int netrt_thread(void)
{
    return this_thread;
}

int netrt_cpus_available(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- netrt_parallel: ranges of a loop as units ---------------------------------------------- */
typedef struct {
    NetrtJob job;
    int n, chunk, arg;
    void (*body)(int lo, int hi, int arg);
} Ranges;

static void range_unit(const NetrtJob *job, int u, int t)
{
    const Ranges *r = (const Ranges *)job;
    (void)t;
    int lo = u * r->chunk;
    r->body(lo, r->n - lo < r->chunk ? r->n : lo + r->chunk, r->arg);
}

void netrt_parallel(int n, int chunk, void (*body)(int lo, int hi, int arg), int arg)
{
    if (n <= 0)
        return;
    if (chunk < 1)
        chunk = 1;
    Ranges r = {{range_unit, (n - 1) / chunk + 1}, n, chunk, arg, body};
    netrt_run_job(&r.job, pool_threads);
}
