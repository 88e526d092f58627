/* make_tiny_data.c: writes the tiny model's synthetic dataset into a directory. 4x4 images;
 * class 0 has its left half bright and its right half dark, class 1 the opposite; pixels are
 * noisy. 1000 training samples (raw IDX), 5% of them with the wrong label, so that a model
 * trained with an absurd learning rate meets a confidently misclassified sample; 200 test samples
 * (gzip IDX), all labelled right.  Usage: make_tiny_data DIR */
#include <stdlib.h>

#include "netrt_internal.h"
#include "test_util.h"

static int make(const char *dir, const char *images, const char *labels, int n, int gz,
                int noisy_labels, NetrtRng *rng)
{
    static uint8_t pixels[1000 * 16], classes[1000];
    for (int s = 0; s < n; s++) {
        int c = (int)netrt_rng_below(rng, 2);
        for (int r = 0; r < 4; r++)
            for (int col = 0; col < 4; col++) {
                int bright = (col < 2) == (c == 0);
                pixels[s * 16 + r * 4 + col] =
                    (uint8_t)((bright ? 120 : 0) + netrt_rng_below(rng, 136));
            }
        classes[s] = (uint8_t)(noisy_labels && netrt_rng_uniform(rng) < 0.05 ? 1 - c : c);
    }
    char path[1024];
    const uint32_t image_dims[3] = {(uint32_t)n, 4, 4}, label_dims[1] = {(uint32_t)n};
    snprintf(path, sizeof path, "%s/%s", dir, images);
    if (write_idx(path, gz, 0x803, image_dims, 3, pixels, (size_t)n * 16) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, labels);
    return write_idx(path, gz, 0x801, label_dims, 1, classes, (size_t)n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_tiny_data DIR\n");
        return 2;
    }
    NetrtRng rng;
    netrt_rng_seed(&rng, 2024);
    if (make(argv[1], "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 1000, 0, 1, &rng) ||
        make(argv[1], "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 200, 1, 0, &rng)) {
        fprintf(stderr, "make_tiny_data: cannot write into %s\n", argv[1]);
        return 1;
    }
    return 0;
}
