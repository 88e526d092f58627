/* test_rng.c: the seeded random numbers. The generator's first outputs for a seed are pinned
 * (computed independently from the xoshiro256** and splitmix64 reference code), so the data
 * order cannot drift between machines or versions; shuffles are permutations, the same for the
 * same seed and different for another, every order as likely; uniform and normal draws have the
 * right moments. */
#include <math.h>
#include <stdlib.h>

#include "netrt_internal.h"
#include "test_util.h"

#define N 1000

static int is_permutation(const int32_t *idx, int n)
{
    static int seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= n || seen[idx[i]])
            return 0;
        seen[idx[i]] = 1;
    }
    return 1;
}

static void shuffled(uint64_t seed, int32_t *idx)
{
    NetrtRng rng;
    netrt_rng_seed(&rng, seed);
    for (int i = 0; i < N; i++)
        idx[i] = i;
    netrt_shuffle(&rng, idx, N);
}

int main(void)
{
    NetrtRng rng;
    netrt_rng_seed(&rng, 42);
    CHECK(netrt_rng_next(&rng) == 0x15780b2e0c2ec716u);
    CHECK(netrt_rng_next(&rng) == 0x6104d9866d113a7eu);
    CHECK(netrt_rng_next(&rng) == 0xae17533239e499a1u);

    static int32_t a[N], b[N], c[N];
    shuffled(42, a);
    shuffled(42, b);
    shuffled(43, c);
    CHECK(is_permutation(a, N));
    CHECK(is_permutation(c, N));
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    int fixed = 0;
    for (int i = 0; i < N; i++)
        fixed += a[i] == i;
    CHECK(fixed < 10); /* a shuffle leaves about one element in place */

    /* the next epoch's shuffle of the same array is another permutation */
    netrt_rng_seed(&rng, 42);
    netrt_shuffle(&rng, b, N);
    CHECK(is_permutation(b, N));
    CHECK(memcmp(a, b, sizeof a) != 0);

    /* small cases: nothing to do, and both orders of two elements occur */
    int32_t one[1] = {0}, two[2];
    netrt_shuffle(&rng, one, 1);
    CHECK(one[0] == 0);
    int swapped = 0;
    for (int t = 0; t < 100; t++) {
        two[0] = 0;
        two[1] = 1;
        netrt_shuffle(&rng, two, 2);
        swapped += two[0] == 1;
    }
    CHECK(swapped > 25 && swapped < 75);

    /* uniform over all orders: each of the 3! = 6 orders of three elements about 1/6 of 60000
     * shuffles (sd ≈ 91; a shuffle that never leaves an element in place, Sattolo's, makes 2) */
    int orders[6] = {0};
    for (int t = 0; t < 60000; t++) {
        int32_t three[3] = {0, 1, 2};
        netrt_shuffle(&rng, three, 3);
        orders[three[0] * 2 + (three[1] > three[2])]++; /* first element, then the other two */
    }
    for (int k = 0; k < 6; k++)
        CHECK_NEAR(orders[k], 10000, 500);

    /* moments of 200000 draws: uniform mean 1/2, variance 1/12; normal mean 0, variance 1 */
    double su = 0, su2 = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    int counts[6] = {0};
    for (int i = 0; i < 200000; i++) {
        double u = netrt_rng_uniform(&rng), z = netrt_rng_normal(&rng);
        su += u;
        su2 += u * u;
        sn += z;
        sn2 += z * z;
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
        counts[netrt_rng_below(&rng, 6)]++;
    }
    CHECK(umin >= 0 && umax < 1);
    CHECK_NEAR(su / 200000, 0.5, 0.005);
    CHECK_NEAR(su2 / 200000 - 0.25, 1.0 / 12, 0.003);
    CHECK_NEAR(sn / 200000, 0.0, 0.01);
    CHECK_NEAR(sn2 / 200000, 1.0, 0.02);
    for (int k = 0; k < 6; k++)
        CHECK_NEAR(counts[k], 200000 / 6.0, 600);

    if (test_failures)
        fprintf(stderr, "test_rng: %d checks failed\n", test_failures);
    return test_failures;
}
