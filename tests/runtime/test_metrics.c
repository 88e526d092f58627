/* test_metrics.c: netrt_regress_metrics, the sums behind a regression's MSE and MAE, in both
 * precisions, over several rows and output values, and accumulating across calls. */
#include "netrt_internal.h"
#include "test_util.h"

int main(void)
{
    /* Two rows of two values. output − target: (0.5, −1), (2, −0.25).
     * Σ d² = 0.25 + 1 + 4 + 0.0625 = 5.3125; Σ |d| = 0.5 + 1 + 2 + 0.25 = 3.75
     * (all exact in binary, in float as in double). */
    float out32[4] = {1.5f, 0.0f, 3.0f, 0.75f}, tgt32[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    NetrtModel m32 = {.dtype = NETRT_F32, .task = NETRT_REGRESS, .out_size = 2,
                      .output = out32, .targets = tgt32};
    double sq = 0, ab = 0;
    netrt_regress_metrics(&m32, 2, &sq, &ab);
    CHECK_NEAR(sq, 5.3125, 0);
    CHECK_NEAR(ab, 3.75, 0);
    /* B counts rows: only the first one, (0.5, −1): 1.25 and 1.5, added to what is there */
    netrt_regress_metrics(&m32, 1, &sq, &ab);
    CHECK_NEAR(sq, 5.3125 + 1.25, 0);
    CHECK_NEAR(ab, 3.75 + 1.5, 0);

    /* f64, one output per row: d = 0.1 − 0.4 = −0.3 and 2 − (−1) = 3: Σ d² = 0.09 + 9 = 9.09,
     * Σ |d| = 3.3 (to rounding: 0.1 and 0.4 are not exact) */
    double out64[2] = {0.1, 2.0}, tgt64[2] = {0.4, -1.0};
    NetrtModel m64 = {.dtype = NETRT_F64, .task = NETRT_REGRESS, .out_size = 1,
                      .output = out64, .targets = tgt64};
    sq = ab = 0;
    netrt_regress_metrics(&m64, 2, &sq, &ab);
    CHECK_NEAR(sq, 9.09, 1e-12);
    CHECK_NEAR(ab, 3.3, 1e-12);
    /* no rows: nothing added */
    netrt_regress_metrics(&m64, 0, &sq, &ab);
    CHECK_NEAR(sq, 9.09, 1e-12);

    if (test_failures)
        fprintf(stderr, "test_metrics: %d checks failed\n", test_failures);
    return test_failures;
}
