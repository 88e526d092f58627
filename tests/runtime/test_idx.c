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
              "expected 12 bytes of pixels after the header (2 images of 3x2), got 7");
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

    /* Headers from untrusted files: every size is checked before it is multiplied further.
     * 565416777·2028277859·934475184 wraps past 2^64 to 905121680 bytes, and rows·cols wraps
     * an int to 784: a reader that multiplied blindly allocated 905 MB and the pixel
     * statistics then read 565416777·784 bytes of it. */
    const uint32_t wrap[3] = {565416777u, 2028277859u, 934475184u};
    const uint32_t many_images[3] = {3000000000u, 1, 1}, wide[3] = {2, 65536, 65536};
    const uint32_t too_many_labels[1] = {3000000000u};
    CHECK(write_idx(DIR "/wrap", 0, 0x803, wrap, 3, pixels, 12) == 0);
    CHECK(write_idx(DIR "/many_images", 0, 0x803, many_images, 3, pixels, 12) == 0);
    CHECK(write_idx(DIR "/wide", 0, 0x803, wide, 3, pixels, 12) == 0);
    CHECK(write_idx(DIR "/many_labels", 0, 0x801, too_many_labels, 1, labels, 2) == 0);
    check_bad(DIR "/wrap", DIR "/labels", 10,
              DIR "/wrap: absurd dimensions 565416777x2028277859x934475184",
              "an image of 1895375325492151056 values, more than 2^31 - 1");
    check_bad(DIR "/many_images", DIR "/labels", 10, "absurd dimensions 3000000000x1x1",
              "more than 2^31 - 1 images");
    check_bad(DIR "/wide", DIR "/labels", 10, "absurd dimensions 2x65536x65536",
              "an image of 4294967296 values");
    check_bad(DIR "/images", DIR "/many_labels", 10, DIR "/many_labels: absurd number of labels "
              "3000000000", "");
    /* a header that promises 2 GB over 12 bytes: refused as truncated, without that memory */
    const uint32_t big[3] = {2000, 1000, 1000};
    CHECK(write_idx(DIR "/big", 0, 0x803, big, 3, pixels, 12) == 0);
    check_bad(DIR "/big", DIR "/labels", 10, DIR "/big: truncated: expected 2000000000 bytes of "
              "pixels after the header (2000 images of 1000x1000), got 12", "");
    /* more bytes than the header accounts for: the header does not describe the file */
    uint8_t more[14] = {0};
    CHECK(write_idx(DIR "/long_images", 0, 0x803, image_dims, 3, more, 14) == 0);
    CHECK(write_idx(DIR "/long_labels.gz", 1, 0x801, label_dims, 1, more, 3) == 0);
    check_bad(DIR "/long_images", DIR "/labels", 10, DIR "/long_images: 2 bytes more than the "
              "header says: 2 images of 3x2, 12 bytes of pixels", "");
    check_bad(DIR "/images", DIR "/long_labels.gz", 10, DIR "/long_labels.gz: 1 byte more "
              "than the header says: 2 labels", "");

    /* damaged gzip streams are named as such, with zlib's word for it */
    check_bad(DIR "/cut.gz", DIR "/labels", 10, DIR "/cut.gz: truncated gzip file",
              "unexpected end of file");
    CHECK(write_idx(DIR "/crc.gz", 1, 0x803, many_dims, 3, many, sizeof many) == 0);
    FILE *f = fopen(DIR "/crc.gz", "r+b");
    CHECK(f && fseek(f, -6, SEEK_END) == 0 && fputc(0x5a, f) != EOF && fclose(f) == 0);
    check_bad(DIR "/crc.gz", DIR "/labels", 10, DIR "/crc.gz: corrupt gzip file",
              "(zlib: incorrect data check)");

    if (test_failures)
        fprintf(stderr, "test_idx: %d checks failed\n", test_failures);
    return test_failures;
}
