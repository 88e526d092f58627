/* test_data.c: data.c. Batch assembly into float and double inputs, with and without
 * normalization, checked against values worked out by hand; pixel statistics; finding
 * MNIST-style files in the search path and the message when they are missing; loading with a
 * validation split, and its errors (too many held out, images of the wrong size). */
#define _POSIX_C_SOURCE 200809L /* mkdir, setenv */

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "netrt_internal.h"
#include "test_util.h"

/* Three samples of four pixels. */
static const uint8_t pixels[12] = {
    0,   51,  102, 255, /* sample 0, class 1 */
    255, 255, 0,   0,   /* sample 1, class 0 */
    153, 204, 51,  0,   /* sample 2, class 2 */
};
static const uint8_t labels[3] = {1, 0, 2};

static void test_batch(void)
{
    NetrtSplit split = {.pixels = pixels, .labels = labels, .n = 3, .size = 4};
    const int32_t idx[2] = {2, 0};
    float in32[8];
    double in64[8];
    int32_t got_labels[2] = {-1, -1};
    NetrtModel model = {.dtype = NETRT_F32, .in_size = 4, .input = in32, .labels = got_labels};
    NetrtPixelMap map;

    /* no normalization: pixel / 255; 51 = 255 / 5 */
    netrt_pixel_map(&map, 0, 1);
    netrt_batch_fill(&model, &map, &split, idx, 2, NULL);
    const double plain[8] = {0.6, 0.8, 0.2, 0.0, 0.0, 0.2, 0.4, 1.0};
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(in32[i], plain[i], 1e-7);
    CHECK(got_labels[0] == 2 && got_labels[1] == 1);

    model.dtype = NETRT_F64;
    model.input = in64;
    netrt_batch_fill(&model, &map, &split, idx, 2, NULL);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(in64[i], plain[i], 1e-15);

    /* (x - 0.2) / 0.4: 0.6 → 1, 0.8 → 1.5, 0.2 → 0, 0 → -0.5, 0.4 → 0.5, 1 → 2 */
    netrt_pixel_map(&map, 0.2, 0.4);
    const double normal[8] = {1.0, 1.5, 0.0, -0.5, -0.5, 0.0, 0.5, 2.0};
    netrt_batch_fill(&model, &map, &split, idx, 2, NULL);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(in64[i], normal[i], 1e-15);
    model.dtype = NETRT_F32;
    model.input = in32;
    netrt_batch_fill(&model, &map, &split, idx, 2, NULL);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(in32[i], normal[i], 1e-6);

    /* one row, the last sample only: writes nothing past the first row */
    in32[4] = 42;
    const int32_t last[1] = {1};
    netrt_batch_fill(&model, &map, &split, last, 1, NULL);
    CHECK_NEAR(in32[0], 2.0, 1e-6);
    CHECK_NEAR(in32[3], -0.5, 1e-6);
    CHECK(in32[4] == 42);
    CHECK(got_labels[0] == 0);
}

static void test_stats(void)
{
    /* pixels 0 and 255 in equal numbers: mean 0.5, standard deviation 0.5 */
    const uint8_t half[4] = {0, 255, 255, 0};
    NetrtSplit split = {.pixels = half, .labels = labels, .n = 2, .size = 2};
    double mean, std;
    netrt_pixel_stats(&split, &mean, &std);
    CHECK_NEAR(mean, 0.5, 1e-15);
    CHECK_NEAR(std, 0.5, 1e-15);
    /* the three samples above: values /51 are 0 1 2 5 5 5 0 0 3 4 1 0, sum 26, squares 106 */
    NetrtSplit three = {.pixels = pixels, .labels = labels, .n = 3, .size = 4};
    netrt_pixel_stats(&three, &mean, &std);
    CHECK_NEAR(mean, 26.0 / 12 / 5, 1e-15);
    CHECK_NEAR(std, sqrt(106.0 / 12 - (26.0 / 12) * (26.0 / 12)) / 5, 1e-15);
}

static void make_mnist_dir(const char *dir, int with_test_labels)
{
    const uint32_t image_dims[3] = {3, 2, 2}, label_dims[1] = {3};
    char path[512];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    CHECK(write_idx(path, 0, 0x803, image_dims, 3, pixels, 12) == 0);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    CHECK(write_idx(path, 1, 0x801, label_dims, 1, labels, 3) == 0);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    CHECK(write_idx(path, 1, 0x803, image_dims, 3, pixels, 12) == 0);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", dir);
    if (with_test_labels)
        CHECK(write_idx(path, 0, 0x801, label_dims, 1, labels, 3) == 0);
    else
        remove(path);
}

static void test_locate(void)
{
    static NetrtDataFiles files;
    NetrtErr err = {0};
    NetrtData mnist = {.kind = NETRT_DATA_MNIST};
    NetrtData fashion = {.kind = NETRT_DATA_FASHION_MNIST};

    mkdir("data_test_files", 0755);
    mkdir("data_test_files/empty", 0755);
    make_mnist_dir("data_test_files/mnist", 1);
    setenv("NETC_DATA_DIR", "data_test_files", 1);
    setenv("XDG_DATA_HOME", "data_test_files/xdg", 1);

    /* $NETC_DATA_DIR/mnist, raw and .gz names mixed */
    CHECK(netrt_data_locate(&mnist, NULL, &files, &err) == 0);
    CHECK(!strcmp(files.train_images, "data_test_files/mnist/train-images-idx3-ubyte"));
    CHECK(!strcmp(files.train_labels, "data_test_files/mnist/train-labels-idx1-ubyte.gz"));
    CHECK(!strcmp(files.test_images, "data_test_files/mnist/t10k-images-idx3-ubyte.gz"));
    CHECK(!strcmp(files.test_labels, "data_test_files/mnist/t10k-labels-idx1-ubyte"));
    CHECK(!strcmp(files.where, "data_test_files/mnist"));

    /* --data-dir: only there */
    CHECK(netrt_data_locate(&mnist, "data_test_files/mnist", &files, &err) == 0);
    CHECK(netrt_data_locate(&mnist, "data_test_files/empty", &files, &err) == -1);
    CHECK_CONTAINS(err.msg, "train-images-idx3-ubyte[.gz]: not found; looked in "
                            "data_test_files/empty");
    CHECK(strstr(err.msg, "/usr/local") == NULL);
    CHECK_CONTAINS(err.hint, "./setup.sh");
    CHECK(netrt_data_locate(&fashion, "data_test_files/empty", &files, &err) == -1);
    CHECK_CONTAINS(err.hint, "sudo apt-get install dataset-fashion-mnist");

    /* the whole search path is named when nothing is found */
    setenv("NETC_DATA_DIR", "data_test_files/empty", 1);
    CHECK(netrt_data_locate(&mnist, NULL, &files, &err) == -1);
    CHECK_CONTAINS(err.msg, "looked in data_test_files/empty/mnist, "
                            "data_test_files/xdg/netc/mnist, /usr/local/share/netc/mnist");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/nohome", 1);
    CHECK(netrt_data_locate(&mnist, NULL, &files, &err) == -1);
    CHECK_CONTAINS(err.msg, "/nohome/.local/share/netc/mnist");

    /* a dataset directory lacking one file names it */
    make_mnist_dir("data_test_files/partial", 0);
    CHECK(netrt_data_locate(&mnist, "data_test_files/partial", &files, &err) == -1);
    CHECK_CONTAINS(err.msg, "data_test_files/partial/t10k-labels-idx1-ubyte: not found");

    /* IDX: relative paths go under --data-dir; no test files, no test set */
    NetrtData idx = {.kind = NETRT_DATA_IDX, .images = "a.idx", .labels = "/abs/b.idx"};
    CHECK(netrt_data_locate(&idx, "dir", &files, &err) == 0);
    CHECK(!strcmp(files.train_images, "dir/a.idx"));
    CHECK(!strcmp(files.train_labels, "/abs/b.idx"));
    CHECK(files.test_images[0] == '\0');
}

static void test_load(void)
{
    static NetrtDataset ds;
    NetrtErr err = {0};
    NetrtModel model = {
        .name = "m", .in_size = 4, .out_size = 3,
        .data = {.kind = NETRT_DATA_MNIST, .normalize = 1},
    };
    /* 1 of the 3 training samples held out; mean and std measured on the other 2 */
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 1, 1, &ds, &err) == 0);
    CHECK(ds.train.n == 2 && ds.valid.n == 1 && ds.test.n == 3);
    CHECK(ds.valid.pixels == ds.train_file.pixels + 8);
    CHECK(ds.valid.labels[0] == 2);
    CHECK(ds.stats_computed);
    CHECK_NEAR(ds.mean, (1 + 2 + 5 + 5 + 5) / 8.0 / 5, 1e-15);
    netrt_data_free(&ds);

    /* given mean and std are used as they are */
    model.data.mean = 0.25;
    model.data.std = 0.5;
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0, 1, &ds, &err) == 0);
    CHECK(!ds.stats_computed && ds.mean == 0.25 && ds.std == 0.5);
    netrt_data_free(&ds);

    CHECK(netrt_data_load(&model, "data_test_files/mnist", 3, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "holding out 3 samples for validation leaves none for training");
    CHECK(ds.train_file.pixels == NULL);

    model.in_size = 784;
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "train-images-idx3-ubyte: images are 2x2 = 4 values, but model 'm' "
                            "takes inputs of 784");

    /* a model of images takes them in its own shape, not only as many values */
    model.in_size = 4, model.in_c = 1, model.in_h = 4, model.in_w = 1;
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "train-images-idx3-ubyte: images are 2x2, but model 'm' takes 4x1 "
                            "images");
    model.in_h = 2, model.in_w = 2;
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0, 1, &ds, &err) == 0);
    netrt_data_free(&ds);

    /* a fraction that holds out no sample of the 3 is refused, not silently none */
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0.1, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "train-images-idx3-ubyte: valid = 0.1 of 3 samples is no sample at "
                            "all");
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0.2, 1, &ds, &err) == 0);
    CHECK(ds.valid.n == 1);
    netrt_data_free(&ds);

    /* label 2 is out of range for 2 classes */
    model.in_size = 4;
    model.out_size = 2;
    CHECK(netrt_data_load(&model, "data_test_files/mnist", 0, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "label 2 of sample 2 is out of range");
}

int main(void)
{
    test_batch();
    test_stats();
    test_locate();
    test_load();
    if (test_failures)
        fprintf(stderr, "test_data: %d checks failed\n", test_failures);
    return test_failures;
}
