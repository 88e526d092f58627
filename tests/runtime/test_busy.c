/* test_busy.c: the threads on a busy machine (threads.c, "A busy machine"). The process is
 * pinned to one CPU, so its two threads take turns on one core: each waits for it about half
 * the time, a core's worth lost, as when another process keeps the second core busy. Within a
 * few windows the jobs must fall to one thread; half a second later one more thread is tried,
 * which loses the core again and falls back; netrt_busy_seconds counts the time on one thread;
 * and netrt_set_threads starts afresh. With netc's kernel, products give the same bits while
 * the threads change. Without /proc/<thread>/schedstat nothing can be measured: the test says
 * SKIPPED and exits with 77, which ctest reports as skipped. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netrt_internal.h"
#include "test_util.h"

enum { SKIP_CODE = 77, RANGES = 64, M = 1600, N = 64, K = 64 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile double sink[RANGES];

static void body(int lo, int hi, int arg)
{
    (void)arg;
    for (int r = lo; r < hi; r++) { /* a few microseconds of work */
        double x = r;
        for (int i = 0; i < 2000; i++)
            x = x * 0.999 + 1;
        sink[r] = x;
    }
}

static float a[M * K], b[N * K], c[M * N], want[M * N];

int main(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    if (!f) {
        fprintf(stderr, "test_busy: SKIPPED, no /proc/thread-self/schedstat\n");
        return SKIP_CODE;
    }
    fclose(f);
    cpu_set_t all, one;
    CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &all)) {
            CPU_SET(cpu, &one);
            break;
        }
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0); /* the workers inherit it */

    NetrtCpuFeatures feat;
    netrt_cpu_features(&feat);
    int products = feat.avx512f;
    unsigned state = 7;
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5f;
    for (int i = 0; i < N * K; i++)
        b[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5f;
    if (products) {
        netrt_gemm_use(netrt_gemm_best(), 1);
        netrt_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a, K, b, K, 0, want, N);
        netrt_gemm_use(netrt_gemm_best(), 2);
    } else {
        netrt_set_threads(2);
    }
    CHECK(netrt_threads() == 2);

    double start = now(), fell = -1, tried = -1, fell_back = -1;
    int differ = 0;
    while (now() - start < 3.5 && fell_back < 0) {
        netrt_parallel(RANGES, 1, body, 0);
        if (products) {
            memset(c, 0, sizeof c);
            netrt_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a, K, b, K, 0, c,
                        N);
            differ += memcmp(c, want, sizeof c) != 0;
        }
        int nt = netrt_threads();
        double t = now() - start;
        if (fell < 0 && nt == 1)
            fell = t;
        else if (fell >= 0 && tried < 0 && nt == 2)
            tried = t;
        else if (tried >= 0 && nt == 1)
            fell_back = t;
    }
    fprintf(stderr, "one thread after %.2f s, two tried after %.2f s, one again after %.2f s\n",
            fell, tried, fell_back);
    CHECK(fell >= 0 && fell < 0.5);      /* a window or two */
    CHECK(tried >= fell + 0.4);          /* after holding on for half a second */
    CHECK(fell_back >= 0 && fell_back < tried + 0.5);
    CHECK(differ == 0);
    double seconds[NETRT_MAX_THREADS + 1];
    netrt_busy_seconds(seconds);
    fprintf(stderr, "seconds on 1 thread %.2f, on 2 %.2f\n", seconds[1], seconds[2]);
    CHECK(seconds[1] >= 0.4 && seconds[2] > 0);

    netrt_set_threads(2); /* afresh: all the threads asked for */
    CHECK(netrt_threads() == 2);
    CHECK(sched_setaffinity(0, sizeof all, &all) == 0);
    return test_failures;
}
