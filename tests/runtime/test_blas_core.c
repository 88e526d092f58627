/* test_blas_core.c: the OpenBLAS core loaded in this process computes correct GEMMs.
 *
 *   test_blas_core --candidates   the cores netrt's selection may pick on this CPU, one a line:
 *                                 what netrt_blas_choose upgrades a Prescott to with this CPU's
 *                                 features, and with them short of AVX-512 (Haswell)
 *   test_blas_core CORE           openblas_get_corename() must be CORE (any case) and the
 *                                 self-test must pass; blas_test.sh runs it with
 *                                 OPENBLAS_CORETYPE=CORE set for this one process
 *   test_blas_core --loaded       the self-test on whatever core OpenBLAS chose
 *
 * Exit status 0 on success, 1 on a failure (said on stderr). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cblas.h>

#include "netrt_internal.h"

static void candidates(void)
{
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    NetrtCpuFeatures no512 = f;
    no512.avx512f = no512.avx512dq = no512.avx512cd = no512.avx512bw = no512.avx512vl = 0;
    const NetrtCpuFeatures *sets[] = {&no512, &f};
    char last[32] = "";
    for (int i = 0; i < 2; i++) {
        NetrtBlasChoice c;
        if (netrt_blas_choose(sets[i], "Prescott", NULL, NULL, &c) == 0 && c.reexec &&
            strcmp(c.core, last)) {
            printf("%s\n", c.core);
            snprintf(last, sizeof last, "%s", c.core);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_blas_core --candidates | --loaded | CORE\n");
        return 1;
    }
    if (!strcmp(argv[1], "--candidates")) {
        candidates();
        return 0;
    }
    const char *loaded = openblas_get_corename();
    if (strcmp(argv[1], "--loaded") && strcasecmp(loaded, argv[1])) {
        fprintf(stderr, "test_blas_core: OPENBLAS_CORETYPE=%s loaded the %s core\n", argv[1],
                loaded);
        return 1;
    }
    char why[512];
    if (netrt_blas_selftest(NULL, why, sizeof why) < 0) {
        fprintf(stderr, "test_blas_core: the %s core failed the self-test: %s\n", loaded, why);
        return 1;
    }
    printf("%s: self-test passed\n", loaded);
    return 0;
}
