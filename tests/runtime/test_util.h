/* test_util.h: the runtime tests' helpers: CHECK, which reports and counts a failure and goes
 * on, and writing IDX files (raw or gzip) to feed the reader. A test's exit status is the
 * number of failed checks. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static int test_failures __attribute__((unused)); /* unused by make_tiny_data */

#define CHECK(expr)                                                                    \
    do {                                                                               \
        if (!(expr)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);   \
            test_failures++;                                                           \
        }                                                                              \
    } while (0)

/* text must contain part; on failure both are shown. */
#define CHECK_CONTAINS(text, part)                                                     \
    do {                                                                               \
        if (!strstr((text), (part))) {                                                 \
            fprintf(stderr, "%s:%d: check failed: \"%s\" does not contain \"%s\"\n",   \
                    __FILE__, __LINE__, (text), (part));                               \
            test_failures++;                                                           \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double a_ = (a), b_ = (b);                                                     \
        if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol))) {                                 \
            fprintf(stderr, "%s:%d: check failed: %s = %.17g, %s = %.17g\n", __FILE__, \
                    __LINE__, #a, a_, #b, b_);                                         \
            test_failures++;                                                           \
        }                                                                              \
    } while (0)

/* How many entries of directory `dir` have a name starting with `prefix`: an output file and
 * any temporary left beside it. */
static inline int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

/* Write an IDX file: magic, ndim big-endian dimensions, then the first n_bytes of data
 * (fewer than the dimensions promise makes a truncated file). gz selects gzip compression.
 * Returns 0, or -1 when the file cannot be written. */
static inline int write_idx(const char *path, int gz, uint32_t magic, const uint32_t *dims,
                            int ndim, const uint8_t *data, size_t n_bytes)
{
    uint8_t head[16];
    uint32_t words[4];
    words[0] = magic;
    for (int d = 0; d < ndim; d++)
        words[1 + d] = dims[d];
    for (int w = 0; w <= ndim; w++)
        for (int k = 0; k < 4; k++)
            head[4 * w + k] = (uint8_t)(words[w] >> (24 - 8 * k));
    size_t head_len = 4 + 4 * (size_t)ndim;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f)
            return -1;
        int ok = gzwrite(f, head, (unsigned)head_len) == (int)head_len &&
                 (n_bytes == 0 || gzwrite(f, data, (unsigned)n_bytes) == (int)n_bytes);
        return gzclose(f) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(head, 1, head_len, f) == head_len &&
             (n_bytes == 0 || fwrite(data, 1, n_bytes, f) == n_bytes);
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif
