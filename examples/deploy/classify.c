/* classify.c: classify the images of an MNIST-style IDX file with a LeNet exported by netc:
 * no runtime, no BLAS, only this file, the export and libm.
 *
 *   netc build examples/lenet.net && ./lenet --save lenet.safetensors
 *   netc export examples/lenet.net --weights lenet.safetensors -o lenet.c
 *   cc -std=c99 -O2 examples/deploy/classify.c lenet.c -I. -lm -o classify
 *   ./classify t10k-images-idx3-ubyte [t10k-labels-idx1-ubyte]
 *
 * Prints each image's class and probability (the first 10, then every 1000th), and with the
 * labels file the accuracy over all of them. IDX: a big-endian header (0, 0, type 0x08 for
 * bytes, the number of dimensions; then each dimension as 4 bytes), then the bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "lenet.h"

/* The IDX header of f, which must hold unsigned bytes in `dims` dimensions; the count of
 * items, and in *size the bytes of one; -1 if it is not such a file. */
static long idx_header(FILE *f, int dims, long *size)
{
    unsigned char h[4];
    if (fread(h, 1, 4, f) != 4 || h[0] || h[1] || h[2] != 0x08 || h[3] != dims)
        return -1;
    long n = -1;
    *size = 1;
    for (int d = 0; d < dims; d++) {
        unsigned char b[4];
        if (fread(b, 1, 4, f) != 4)
            return -1;
        long v = (long)b[0] << 24 | (long)b[1] << 16 | (long)b[2] << 8 | b[3];
        if (d == 0)
            n = v;
        else
            *size *= v;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGES-idx3-ubyte [LABELS-idx1-ubyte]\n", argv[0]);
        return 2;
    }
    FILE *images = fopen(argv[1], "rb"), *labels = argc == 3 ? fopen(argv[2], "rb") : NULL;
    long size, one, n = images ? idx_header(images, 3, &size) : -1;
    if (n < 0 || size != LENET_INPUTS) {
        fprintf(stderr, "%s: not an IDX file of %d-pixel images\n", argv[1], LENET_INPUTS);
        return 2;
    }
    if (argc == 3 && (!labels || idx_header(labels, 1, &one) != n)) {
        fprintf(stderr, "%s: not an IDX file of %ld labels\n", argv[2], n);
        return 2;
    }
    long right = 0;
    for (long i = 0; i < n; i++) {
        unsigned char pixels[LENET_INPUTS];
        float x[LENET_INPUTS], y[LENET_OUTPUTS];
        if (fread(pixels, 1, sizeof pixels, images) != sizeof pixels) {
            fprintf(stderr, "%s: ends at image %ld of %ld\n", argv[1], i, n);
            return 2;
        }
        for (int j = 0; j < LENET_INPUTS; j++) /* as the data set gives it: pixels in [0, 1] */
            x[j] = pixels[j] / 255.0f;
        lenet_predict(x, y);
        int best = 0;
        for (int k = 1; k < LENET_OUTPUTS; k++)
            best = y[k] > y[best] ? k : best;
        int label = -1;
        if (labels) {
            label = fgetc(labels);
            right += label == best;
        }
        if (i < 10 || i % 1000 == 0) {
            printf("image %ld: class %d (p = %.3f)", i, best, y[best]);
            if (labels)
                printf(", label %d", label);
            printf("\n");
        }
    }
    if (labels)
        printf("accuracy %.2f%% (%ld of %ld)\n", 100.0 * right / n, right, n);
    return 0;
}
