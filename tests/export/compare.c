/* compare.c: an exported model (net.c, from netc export -o net.c) against the trainer's own
 * predictions (export_ref predict's OUT.bin), sample by sample over the whole test split.
 * Compiled by export.sh with the export, as a user would: -std=c99 -pedantic -Werror, -lm.
 *
 *   compare OUT.bin classes|values
 *
 * classes: the same predicted class for every sample and every probability within 1e-5;
 * values: every predicted value within 1e-5, relative above 1. Prints the agreement; exits 1
 * when it is not reached. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        best = v[k] > v[best] ? k : best;
    return best;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "classes") && strcmp(argv[2], "values"))) {
        fprintf(stderr, "usage: compare OUT.bin classes|values\n");
        return 2;
    }
    int classes = !strcmp(argv[2], "classes");
    FILE *f = fopen(argv[1], "rb");
    int head[3];
    if (!f || fread(head, sizeof head, 1, f) != 1 || head[1] != NET_INPUTS ||
        head[2] != NET_OUTPUTS) {
        fprintf(stderr, "compare: %s is not the trainer's outputs for this model\n", argv[1]);
        return 2;
    }
    static float x[NET_INPUTS], want[NET_OUTPUTS], got[NET_OUTPUTS];
    int n = head[0], other_class = 0, beyond = 0;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        if (fread(x, sizeof x, 1, f) != 1 || fread(want, sizeof want, 1, f) != 1) {
            fprintf(stderr, "compare: %s ends after %d of %d samples\n", argv[1], i, n);
            return 2;
        }
        net_predict(x, got);
        for (int k = 0; k < NET_OUTPUTS; k++) {
            double scale = !classes && fabs(want[k]) > 1 ? fabs(want[k]) : 1;
            double d = fabs((double)got[k] - want[k]) / scale;
            worst = d > worst ? d : worst;
            beyond += d > 1e-5;
        }
        if (classes && argmax(got, NET_OUTPUTS) != argmax(want, NET_OUTPUTS))
            other_class++;
    }
    fclose(f);
    if (classes)
        printf("%d test samples: the same class for %d; largest probability difference %.3g "
               "(%d beyond 1e-5)\n", n, n - other_class, worst, beyond);
    else
        printf("%d test samples: largest difference %.3g (relative above 1; %d beyond 1e-5)\n", n,
               worst, beyond);
    return other_class || beyond || n == 0 ? 1 : 0;
}
