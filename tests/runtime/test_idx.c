/* test_idx.c: the IDX reader on hand-made files: two 3x2 images, raw and gzip, read back
 * exactly; broken files (truncated, wrong magic, missing, counts that disagree, labels out of
 * range, absurd dimensions, a damaged gzip stream) refused with the expected message. */
#define _POSIX_C_SOURCE 200809L /* mkdir, truncate */

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrt_internal.h"
#include "test_util.h"

#define DIR "idx_test_files"

/* Two images of 3 rows and 2 columns, and their labels. */
static const uint8_t pixels[12] = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
static const uint8_t labels[2] = {1, 0};
static const uint32_t image_dims[3] = {2, 3, 2};
static const uint32_t label_dims[1] = {2};

static void check_good(const char *images, const char *labels_path)
{
    NetrtIdx idx;
    NetrtErr err = {0};
    int status = netrt_idx_read(images, labels_path, 10, &idx, &err);
    CHECK(status == 0);
    if (status != 0) {
        fprintf(stderr, "  error: %s\n", err.msg);
        return;
    }
    CHECK(idx.n == 2);
    CHECK(idx.rows == 3);
    CHECK(idx.cols == 2);
    CHECK(memcmp(idx.pixels, pixels, sizeof pixels) == 0);
    CHECK(idx.labels[0] == 1 && idx.labels[1] == 0);
    netrt_idx_free(&idx);
}

/* Reading must fail with a message containing each of the given parts. */
static void check_bad(const char *images, const char *labels_path, int n_classes,
                      const char *part1, const char *part2)
{
    NetrtIdx idx;
    NetrtErr err = {0};
    CHECK(netrt_idx_read(images, labels_path, n_classes, &idx, &err) == -1);
    CHECK_CONTAINS(err.msg, part1);
    CHECK_CONTAINS(err.msg, part2);
    CHECK(idx.pixels == NULL && idx.labels == NULL);
}

int main(void)
{
    mkdir(DIR, 0755);
    const uint32_t three[1] = {3}, absurd[3] = {100000, 1000, 1000};
    const uint8_t bad_labels[2] = {1, 5};
    CHECK(write_idx(DIR "/images", 0, 0x803, image_dims, 3, pixels, 12) == 0);
    CHECK(write_idx(DIR "/labels", 0, 0x801, label_dims, 1, labels, 2) == 0);
    CHECK(write_idx(DIR "/images.gz", 1, 0x803, image_dims, 3, pixels, 12) == 0);
    CHECK(write_idx(DIR "/labels.gz", 1, 0x801, label_dims, 1, labels, 2) == 0);
    CHECK(write_idx(DIR "/short_images", 0, 0x803, image_dims, 3, pixels, 7) == 0);
    CHECK(write_idx(DIR "/short_images.gz", 1, 0x803, image_dims, 3, pixels, 7) == 0);
    CHECK(write_idx(DIR "/short_header", 0, 0x803, image_dims, 1, NULL, 0) == 0);
    CHECK(write_idx(DIR "/three_labels", 0, 0x801, three, 1, pixels, 3) == 0);
    CHECK(write_idx(DIR "/bad_labels", 0, 0x801, label_dims, 1, bad_labels, 2) == 0);
    CHECK(write_idx(DIR "/absurd", 0, 0x803, absurd, 3, pixels, 12) == 0);

    /* raw, gzip, and one of each: zlib reads both kinds transparently */
    check_good(DIR "/images", DIR "/labels");
    check_good(DIR "/images.gz", DIR "/labels.gz");
    check_good(DIR "/images.gz", DIR "/labels");

    check_bad(DIR "/short_images", DIR "/labels", 10, DIR "/short_images: truncated",
              "expected 12 bytes of pixels after the header, got 7");
    check_bad(DIR "/short_images.gz", DIR "/labels", 10, DIR "/short_images.gz: truncated",
              "got 7");
    /* an images header has 3 dimensions (16 bytes); this one has 1 */
    check_bad(DIR "/short_header", DIR "/labels", 10, "truncated",
              "expected a 16-byte header, got 8 bytes");
    check_bad(DIR "/labels", DIR "/labels", 10, DIR "/labels: not an IDX images file",
              "magic number 0x00000801, expected 0x00000803");
    check_bad(DIR "/images", DIR "/images", 10, DIR "/images: not an IDX labels file",
              "magic number 0x00000803, expected 0x00000801");
    check_bad(DIR "/missing", DIR "/labels", 10, DIR "/missing: ", "No such file or directory");
    check_bad(DIR "/images", DIR "/missing.gz", 10, DIR "/missing.gz: ",
              "No such file or directory");
    check_bad(DIR "/images", DIR "/three_labels", 10, DIR "/three_labels: 3 labels",
              "but " DIR "/images has 2 images");
    check_bad(DIR "/images", DIR "/bad_labels", 2, DIR "/bad_labels: label 5 of sample 1",
              "the model has 2 classes");
    /* labels {1, 0} are fine for 2 classes, not for 1 */
    check_bad(DIR "/images", DIR "/labels", 1, "label 1 of sample 0", "1 classes");
    check_bad(DIR "/absurd", DIR "/labels", 10, "absurd dimensions 100000x1000x1000",
              "more than 2 GiB");

    /* a gzip stream cut in the middle is a read error, not a crash or a silent short read */
    uint8_t many[4000];
    for (int i = 0; i < 4000; i++)
        many[i] = (uint8_t)(i * 7919 >> 3);
    const uint32_t many_dims[3] = {1000, 2, 2};
    CHECK(write_idx(DIR "/cut.gz", 1, 0x803, many_dims, 3, many, sizeof many) == 0);
    struct stat st;
    CHECK(stat(DIR "/cut.gz", &st) == 0);
    CHECK(truncate(DIR "/cut.gz", st.st_size / 2) == 0);
    NetrtIdx idx;
    NetrtErr err = {0};
    CHECK(netrt_idx_read(DIR "/cut.gz", DIR "/labels", 10, &idx, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/cut.gz: ");
    CHECK(strstr(err.msg, "read error") || strstr(err.msg, "truncated"));

    if (test_failures)
        fprintf(stderr, "test_idx: %d checks failed\n", test_failures);
    return test_failures;
}
