/* test_threads.c: the threads of threads.c. netrt_parallel hands every index of [0, n) to
 * exactly one range, for every chunk and number of threads (a job of more than 65535 ranges
 * too); netrt_thread() names a thread below the number running; and a job started inside a
 * range runs on that range's thread alone: with each of netc's kernels that this CPU runs,
 * products inside ranges (as a convolution's per sample) give the same bits on 1, 2 and 3
 * threads. */
#include <stdatomic.h>
#include <stdlib.h>

#include "netrt_internal.h"
#include "test_util.h"

enum { N_MAX = 70000 };
static atomic_int hits[N_MAX];
static atomic_int bad_range, bad_thread, max_thread, bad_nested;
static int want_chunk, want_n, threads_now;

static void count(int lo, int hi, int arg)
{
    if (arg != 7 || lo % want_chunk || hi > want_n || (hi - lo != want_chunk && hi != want_n))
        atomic_fetch_add(&bad_range, 1);
    int t = netrt_thread();
    if (t < 0 || t >= threads_now)
        atomic_fetch_add(&bad_thread, 1);
    for (int m = atomic_load(&max_thread); t > m && !atomic_compare_exchange_weak(&max_thread, &m, t);)
        ;
    for (int i = lo; i < hi; i++)
        atomic_fetch_add(&hits[i], 1);
}

/* Products inside ranges: C_r = A_r · B_rᵀ for 24 independent problems, plus a nested
 * netrt_parallel that must stay on the range's thread. */
enum { PROBLEMS = 24, M = 40, NC = 70, K = 300 };
static float a[PROBLEMS][M * K], b[PROBLEMS][NC * K], c[PROBLEMS][M * NC];

static void inner(int lo, int hi, int outer_thread)
{
    (void)lo;
    (void)hi;
    if (netrt_thread() != outer_thread)
        atomic_fetch_add(&bad_nested, 1);
}

static void products(int lo, int hi, int arg)
{
    (void)arg;
    for (int r = lo; r < hi; r++) {
        netrt_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, NC, K, 1.0f, a[r], K, b[r], K,
                    0.0f, c[r], NC);
        netrt_parallel(10, 1, inner, netrt_thread());
    }
}

int main(void)
{
    static const int ns[] = {0, 1, 5, 64, 1000, N_MAX};
    static const int chunks[] = {1, 3, 16, 1000};
    for (int threads = 1; threads <= 3; threads++) {
        netrt_set_threads(threads);
        threads_now = threads;
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++) {
                want_n = ns[i];
                want_chunk = chunks[j];
                for (int x = 0; x < want_n; x++)
                    atomic_store(&hits[x], 0);
                netrt_parallel(want_n, want_chunk, count, 7);
                int wrong = 0;
                for (int x = 0; x < want_n; x++)
                    wrong += atomic_load(&hits[x]) != 1;
                CHECK(wrong == 0);
            }
        }
    }
    CHECK(atomic_load(&bad_range) == 0);
    CHECK(atomic_load(&bad_thread) == 0);
    fprintf(stderr, "highest thread seen: %d\n", atomic_load(&max_thread));

    unsigned state = 1;
    for (int r = 0; r < PROBLEMS; r++) {
        for (int i = 0; i < M * K; i++)
            a[r][i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5f;
        for (int i = 0; i < NC * K; i++)
            b[r][i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5f;
    }
    static const NetrtGemmKernel kernels[] = {NETRT_GEMM_AVX512, NETRT_GEMM_AVX2};
    for (int k = 0; k < 2; k++) {
        char why[256];
        if (!netrt_gemm_available(kernels[k], why, sizeof why)) {
            fprintf(stderr, "test_threads: products inside ranges not checked on %s: %s\n",
                    netrt_gemm_name(kernels[k]), why);
            continue;
        }
        static float want[PROBLEMS][M * NC];
        for (int threads = 1; threads <= 3; threads++) {
            CHECK(netrt_gemm_use(kernels[k], threads) == 0);
            for (int repeat = 0; repeat < 20; repeat++) {
                memset(c, 0, sizeof c);
                netrt_parallel(PROBLEMS, 1, products, 0);
                if (threads == 1 && repeat == 0)
                    memcpy(want, c, sizeof c);
                else
                    CHECK(memcmp(want, c, sizeof c) == 0);
            }
        }
    }
    CHECK(atomic_load(&bad_nested) == 0);
    return test_failures;
}
