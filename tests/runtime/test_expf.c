/* test_expf.c: netrt_expf, the vectorizable e^x of generated code, against exp in double: at
 * most 1.5 ulp off at 4 million points of [-87, 88] (where results are normal floats), the
 * clamped ends, and NaN. */
#include <math.h>
#include <stdio.h>

#include "netrt.h"
#include "test_util.h"

int main(void)
{
    double worst = 0;
    float worst_x = 0;
    for (long i = 0; i <= 4000000; i++) {
        float x = -87.0f + 175.0f * (float)i / 4000000.0f;
        double exact = exp((double)x);
        float near = (float)exact;
        double ulp = (double)nextafterf(near, INFINITY) - near;
        double err = fabs(netrt_expf(x) - exact) / ulp;
        if (err > worst)
            worst = err, worst_x = x;
    }
    printf("netrt_expf: worst %.3f ulp, at x = %.9g\n", worst, worst_x);
    CHECK(worst <= 1.5);
    CHECK(netrt_expf(0) == 1.0f);
    CHECK(netrt_expf(-1000) >= 0 && netrt_expf(-1000) < 2e-38f);
    CHECK(isfinite(netrt_expf(1000)) && netrt_expf(1000) > 1e38f);
    CHECK(isnan(netrt_expf(NAN)));
    return test_failures;
}
