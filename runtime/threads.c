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
 * not depend on the number of threads. On a busy machine the jobs take fewer threads for a
 * while (below: "A busy machine"). */
#define _GNU_SOURCE

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
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
static void adapt_reset(void);
static void adapt(void);
static int adapt_threads(void);
static int adapting = 1; /* netrt_adapt_threads */
static _Atomic int thread_ids[NETRT_MAX_THREADS]; /* each worker's kernel id, for its schedstat */
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
#ifdef __linux__
    atomic_store(&thread_ids[t], (int)gettid());
#endif
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
    if (!in_job && pool_threads > 1 && adapting)
        adapt();
    int nt = threads < adapt_threads() ? threads : adapt_threads();
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
    adapt_reset();
}

int netrt_threads(void)
{
    return in_job ? 1 : adapt_threads();
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

/* ---- A busy machine --------------------------------------------------------------------------
 * Threads pay only while each has a core of its own. When another process takes one, a worker
 * the kernel has put aside while it holds a unit makes the caller wait for it (a time slice,
 * milliseconds, for units of microseconds), and a spinning worker takes its share of the cores
 * from the caller too: two threads then run slower than one.
 *
 * The kernel counts, for every thread, how long it was ready to run but waited for a core (the
 * second number of /proc/<thread>/schedstat, in ns). Our threads spin between jobs, so they
 * are always ready to run during training: the time they waited over a window (WINDOW_MS of
 * wall time) is the cores' worth they lost to other processes. From half a core on, in two
 * windows in a row (one alone may be a short burst), the jobs take one thread fewer per core
 * lost (the spare workers fall asleep and leave their cores to the other processes). After
 * HOLD_FIRST_MS, one thread more is tried for a window; if it loses a core again, it falls
 * back at once and the next try waits twice as long, up to HOLD_MOST_MS. On a quiet machine
 * the threads lose nothing and nothing changes.
 *
 * Which thread computes a unit never changes its result, so neither does this. */
enum {
    WINDOW_MS = 50,       /* wall time measured before each decision */
    HOLD_FIRST_MS = 500,  /* time on fewer threads before the first try of one more */
    HOLD_MOST_MS = 16000, /* the longest time between tries */
};

static struct {
    int nt;                          /* the threads of jobs now, 1 .. pool_threads */
    int off;                         /* no schedstat to read (not Linux, no /proc): fixed */
    int fd[NETRT_MAX_THREADS];       /* each thread's schedstat, open; -1: cannot be read */
    int opened[NETRT_MAX_THREADS];   /* fd[t] is set */
    long long delay[NETRT_MAX_THREADS]; /* each thread's time waited for a core, ns, so far */
    long long window_start, try_at, hold; /* ns; hold: before the next try */
    int trying;                      /* this window tries one thread more */
    int lossy;                       /* windows in a row that lost half a core or more */
    double seconds[NETRT_MAX_THREADS + 1]; /* wall time spent with each number of threads */
} busy;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void adapt_reset(void)
{
    busy.nt = pool_threads;
    busy.window_start = 0;
    busy.trying = 0;
    busy.lossy = 0;
    busy.hold = 0;
}

static int adapt_threads(void)
{
    return busy.nt < pool_threads && busy.nt > 0 ? busy.nt : pool_threads;
}

/* Thread t's time waited for a core so far, ns; -1 when it cannot be read. Thread 0 is the
 * caller, the only thread that runs this. No allocation: a trainer's step never allocates. */
static long long waited(int t)
{
#ifdef __linux__
    if (!busy.opened[t]) {
        char path[64];
        int id = atomic_load(&thread_ids[t]);
        if (t > 0 && id == 0)
            return -1; /* not started yet */
        if (t == 0)
            snprintf(path, sizeof path, "/proc/thread-self/schedstat");
        else
            snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", id);
        busy.fd[t] = open(path, O_RDONLY | O_CLOEXEC);
        busy.opened[t] = 1;
    }
    char buf[96];
    ssize_t n = busy.fd[t] < 0 ? -1 : pread(busy.fd[t], buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* "time-on-cpu time-waiting timeslices" */
    char *p = buf, *end;
    strtoull(p, &end, 10);
    if (end == p)
        return -1;
    p = end;
    unsigned long long w = strtoull(p, &end, 10);
    return end == p ? -1 : (long long)w;
#else
    (void)t;
    return -1;
#endif
}

/* The caller, at the start of each job: at the end of a window, decide the threads of the
 * next one. */
static void adapt(void)
{
    if (busy.off)
        return;
    long long now = now_ns();
    if (busy.window_start && now - busy.window_start < WINDOW_MS * 1000000LL)
        return;
    long long lost = 0;
    for (int t = 0; t <= pool.started && t < pool_threads; t++) {
        long long w = waited(t);
        if (t == 0 && w < 0) {
            busy.off = 1; /* nothing to measure: the threads stay as they are */
            busy.nt = pool_threads;
            return;
        }
        if (w >= 0) {
            if (busy.window_start)
                lost += w - busy.delay[t];
            busy.delay[t] = w;
        }
    }
    if (!busy.window_start) {
        busy.window_start = now;
        return;
    }
    double window = (double)(now - busy.window_start), cores_lost = lost / window;
    busy.seconds[busy.nt] += window * 1e-9;
    int fewer = (int)(cores_lost + 0.5);
    busy.lossy = fewer > 0 ? busy.lossy + 1 : 0;
    /* a try that loses falls back at once; otherwise two windows in a row must lose, so that
     * a short burst of another process does not cost half a second on fewer threads */
    if (fewer > 0 && busy.nt > 1 && (busy.trying || busy.lossy >= 2)) {
        busy.nt = busy.nt > fewer ? busy.nt - fewer : 1;
        /* a try that failed waits twice as long before the next */
        busy.hold = busy.trying && busy.hold ? 2 * busy.hold : HOLD_FIRST_MS * 1000000LL;
        if (busy.hold > HOLD_MOST_MS * 1000000LL)
            busy.hold = HOLD_MOST_MS * 1000000LL;
        busy.try_at = now + busy.hold;
        busy.trying = 0;
    } else if (busy.nt < pool_threads && now >= busy.try_at) {
        busy.nt++;
        busy.trying = 1;
    } else {
        busy.trying = 0;
    }
    busy.window_start = now;
}

void netrt_adapt_threads(int on)
{
    adapting = on;
    adapt_reset();
}

void netrt_busy_seconds(double seconds[NETRT_MAX_THREADS + 1])
{
    for (int t = 0; t <= NETRT_MAX_THREADS; t++)
        seconds[t] = busy.seconds[t];
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
