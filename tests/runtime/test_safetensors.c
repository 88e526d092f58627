/* test_safetensors.c: tensors through a safetensors file and back, the file's bytes as the
 * format says, and files of another network or of no network refused with the first tensor
 * that differs, before a value is read; the same for an int64 scalar (a buffer's counter). */
#include <stdlib.h>
#include <sys/stat.h>

#include "netrt_internal.h"
#include "test_util.h"

#define DIR "safetensors_test_files"

static float w[6] = {1, -2, 3.5f, 0, 1e-8f, -1e8f}, b[3] = {0.25f, 0.5f, 0.75f};
static double d[2] = {3.141592653589793, -2.718281828459045};

static void model(NetrtTensor t[3], float *w_to, float *b_to, double *d_to)
{
    t[0] = (NetrtTensor){"0.weight", NETRT_TENSOR_F32, 2, {3, 2}, 6, w_to ? (void *)w_to : w};
    t[1] = (NetrtTensor){"0.bias", NETRT_TENSOR_F32, 1, {3}, 3, b_to ? (void *)b_to : b};
    t[2] = (NetrtTensor){"2.running_mean", NETRT_TENSOR_F64, 1, {2}, 2, d_to ? (void *)d_to : d};
}

static long file_bytes(const char *path, unsigned char *buf, long size)
{
    FILE *f = fopen(path, "rb");
    long n = f ? (long)fread(buf, 1, (size_t)size, f) : -1;
    if (f)
        fclose(f);
    return n;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void test_round_trip(void)
{
    NetrtTensor t[3], back[3];
    NetrtErr err = {0};
    const char *meta[] = {"model", "m\"x", "epoch", "3", NULL};
    model(t, NULL, NULL, NULL);
    CHECK(netrt_safetensors_write(DIR "/m.safetensors", t, 3, meta, &err) == 0);

    /* the bytes: length, JSON, padding to 8, then the values in order */
    static unsigned char bytes[4096];
    long n = file_bytes(DIR "/m.safetensors", bytes, sizeof bytes);
    const char *json = "{\"__metadata__\":{\"model\":\"m\\\"x\",\"epoch\":\"3\"},"
                       "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]},"
                       "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]},"
                       "\"2.running_mean\":{\"dtype\":\"F64\",\"shape\":[2],"
                       "\"data_offsets\":[36,52]}}";
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    uint64_t header = 0;
    for (int i = 0; i < 8; i++)
        header |= (uint64_t)bytes[i] << (8 * i);
    CHECK(header == padded);
    CHECK(n == (long)(8 + padded + 52));
    CHECK(memcmp(bytes + 8, json, len) == 0);
    for (size_t i = len; i < padded; i++)
        CHECK(bytes[8 + i] == ' ');
    CHECK(memcmp(bytes + 8 + padded, w, 24) == 0);
    CHECK(memcmp(bytes + 8 + padded + 36, d, 16) == 0);

    float w2[6] = {0}, b2[3] = {0};
    double d2[2] = {0};
    model(back, w2, b2, d2);
    CHECK(netrt_safetensors_read(DIR "/m.safetensors", back, 3, &err) == 0);
    CHECK(memcmp(w2, w, sizeof w) == 0 && memcmp(b2, b, sizeof b) == 0 &&
          memcmp(d2, d, sizeof d) == 0);
    /* the file's tensors in another order, as PyTorch may write them: found by name */
    NetrtTensor swapped[3] = {back[2], back[0], back[1]};
    memset(w2, 0, sizeof w2);
    CHECK(netrt_safetensors_read(DIR "/m.safetensors", swapped, 3, &err) == 0);
    CHECK(memcmp(w2, w, sizeof w) == 0);
}

/* Each file must be refused with a message holding `why`, and no value read. */
static void refused(const char *what, const void *data, size_t n, const char *why)
{
    NetrtTensor t[3];
    NetrtErr err = {0};
    float w2[6] = {0}, b2[3] = {0};
    double d2[2] = {0};
    model(t, w2, b2, d2);
    write_bytes(DIR "/bad.safetensors", data, n);
    int status = netrt_safetensors_read(DIR "/bad.safetensors", t, 3, &err);
    CHECK(status == -1);
    if (status == -1 && !strstr(err.msg, why))
        fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", what, err.msg, why);
    CHECK(status == -1 && strstr(err.msg, why));
    CHECK(w2[0] == 0 && b2[0] == 0 && d2[0] == 0);
}

/* A file of a header (padded to 8 by the caller or not) and `data` bytes of zeros. */
static void refused_header(const char *what, const char *json, size_t data, const char *why)
{
    size_t len = strlen(json);
    unsigned char *buf = calloc(1, 8 + len + data);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(buf + 8, json, len);
    refused(what, buf, 8 + len + data, why);
    free(buf);
}

static void test_refusals(void)
{
    refused("empty", "", 0, "not a safetensors file");
    refused("length past the file", "\xff\xff\x00\x00\x00\x00\x00\x00{}", 10,
            "a header of 65535 bytes in a file of 10");
    const char *w_ = "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}";
    const char *b_ = "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]}";
    const char *d_ = "\"2.running_mean\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[36,52]}";
    char json[1024];
    snprintf(json, sizeof json, "{%s,%s}", w_, b_);
    refused_header("a tensor missing", json, 36, "no tensor '2.running_mean'");
    snprintf(json, sizeof json, "{%s,%s,%s,%s}", w_, b_, d_,
             "\"3.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[52,56]}");
    refused_header("a tensor too many", json, 56, "more tensors than the model has");
    snprintf(json, sizeof json, "{%s,%s,%s}",
             "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", b_, d_);
    refused_header("a transposed weight", json, 52,
                   "tensor '0.weight' is F32 [2, 3], the model's is F32 [3, 2]");
    snprintf(json, sizeof json, "{%s,%s,%s}", w_,
             "\"0.bias\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[24,48]}", d_);
    refused_header("another dtype", json, 64, "tensor '0.bias' is F64 [3], the model's is F32 [3]");
    snprintf(json, sizeof json, "{%s,%s,%s}", w_, b_,
             "\"2.running_mean\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[36,5200]}");
    refused_header("offsets past the data", json, 52, "data_offsets [36, 5200]");
    snprintf(json, sizeof json, "{%s,%s,%s}", w_, b_, d_);
    refused_header("data cut short", json, 40, "not 16 bytes within the 40 of data");
    snprintf(json, sizeof json, "{%s,%s,%s,%s}", w_, b_, d_,
             "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}");
    refused_header("a foreign tensor", json, 52, "more tensors than the model has");
    /* malformed JSON, each at a place of its own */
    refused_header("not JSON", "[1, 2]", 0, "the header is not a JSON object");
    refused_header("unterminated", "{\"0.weight", 0, "a string that does not end");
    refused_header("no colon", "{\"0.weight\" {}}", 0, "expected ':'");
    refused_header("unknown key", "{\"0.weight\":{\"dtype\":\"F32\",\"x\":1}}", 0,
                   "an unknown key in a tensor");
    refused_header("negative size", "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[-3,2],"
                   "\"data_offsets\":[0,24]}}", 24, "expected a whole number");
    refused_header("huge size", "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                   "\"data_offsets\":[0,24]}}", 24, "expected a whole number");
    refused_header("offsets backwards", "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,2],"
                   "\"data_offsets\":[24,0]}}", 24, "data_offsets is not [begin, end]");
    refused_header("trailing text", "{} x", 0, "text after the header's object");
    refused_header("bad escape", "{\"a\\q\":1}", 0, "a bad escape in a string");
    refused_header("escape past ASCII", "{\"a\\u00e9\":1}", 0, "a \\u escape past ASCII");
}

/* A batchnorm's buffers: a running variance and its int64 counter, a scalar (rank 0), as
 * torch's state_dict has num_batches_tracked. The count is past 2^32, so that all 8 bytes count. */
static float var[2] = {1, 1.5f};
static const int64_t count = (1ll << 40) + 87;

static int buffers(NetrtTensor t[2], float *var_to, int64_t *count_to)
{
    t[0] = (NetrtTensor){"1.running_var", NETRT_TENSOR_F32, 1, {2}, 2, var_to ? var_to : var};
    t[1] = (NetrtTensor){"1.num_batches_tracked", NETRT_TENSOR_I64, 0, {0}, 1,
                         count_to ? count_to : (void *)&count};
    return 2;
}

/* A file of the header json and `data` bytes of zeros must be refused by buffers() with `why`. */
static void buffers_refused(const char *what, const char *json, size_t data, const char *why)
{
    size_t len = strlen(json);
    unsigned char *buf = calloc(1, 8 + len + data);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(buf + 8, json, len);
    write_bytes(DIR "/bad.safetensors", buf, 8 + len + data);
    free(buf);
    NetrtTensor t[2];
    float var2[2] = {0};
    int64_t count2 = 0;
    NetrtErr err = {0};
    int status = netrt_safetensors_read(DIR "/bad.safetensors", t, buffers(t, var2, &count2), &err);
    CHECK(status == -1);
    if (status == -1 && !strstr(err.msg, why))
        fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", what, err.msg, why);
    CHECK(status == -1 && strstr(err.msg, why));
    CHECK(var2[0] == 0 && count2 == 0);
}

static void test_count_scalar(void)
{
    NetrtTensor t[2];
    NetrtErr err = {0};
    CHECK(netrt_safetensors_write(DIR "/buffers.safetensors", t, buffers(t, NULL, NULL), NULL,
                                  &err) == 0);
    static unsigned char bytes[1024];
    long n = file_bytes(DIR "/buffers.safetensors", bytes, sizeof bytes);
    const char *json = "{\"1.running_var\":{\"dtype\":\"F32\",\"shape\":[2],"
                       "\"data_offsets\":[0,8]},\"1.num_batches_tracked\":{\"dtype\":\"I64\","
                       "\"shape\":[],\"data_offsets\":[8,16]}}";
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    CHECK(n == (long)(8 + padded + 16));
    CHECK(memcmp(bytes + 8, json, len) == 0);
    int64_t stored = 0; /* little-endian, whatever this machine is */
    for (int i = 0; i < 8 && n == (long)(8 + padded + 16); i++)
        stored |= (int64_t)bytes[8 + padded + 8 + i] << (8 * i);
    CHECK(stored == count);

    float var2[2] = {0};
    int64_t count2 = 0;
    CHECK(netrt_safetensors_read(DIR "/buffers.safetensors", t, buffers(t, var2, &count2),
                                 &err) == 0);
    CHECK(var2[0] == var[0] && var2[1] == var[1] && count2 == count);

    const char *v = "\"1.running_var\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char bad[512];
    snprintf(bad, sizeof bad, "{%s,%s}", v,
             "\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}");
    buffers_refused("a scalar of rank 1", bad, 16,
                    "tensor '1.num_batches_tracked' is I64 [1], the model's is I64 []");
    snprintf(bad, sizeof bad, "{%s,%s}", v,
             "\"1.num_batches_tracked\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}");
    buffers_refused("a float count", bad, 12,
                    "tensor '1.num_batches_tracked' is F32 [], the model's is I64 []");
    snprintf(bad, sizeof bad, "{%s,%s}", v,
             "\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,12]}");
    buffers_refused("a count of 4 bytes", bad, 12, "data_offsets [8, 12], not 8 bytes");
    snprintf(bad, sizeof bad, "{%s,%s}", v,
             "\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}");
    buffers_refused("a count past the data", bad, 12, "not 8 bytes within the 12 of data");
    snprintf(bad, sizeof bad, "{%s}", v);
    buffers_refused("no count", bad, 8, "no tensor '1.num_batches_tracked'");
}

/* The model of a file: fills t, returns how many tensors. */
typedef int (*ModelOf)(NetrtTensor *t);

static int weights_model(NetrtTensor *t)
{
    static float w2[6], b2[3];
    static double d2[2];
    model(t, w2, b2, d2);
    return 3;
}

static int buffers_model(NetrtTensor *t)
{
    static float var2[2];
    static int64_t count2;
    return buffers(t, var2, &count2);
}

/* Every byte of a good file changed to each of a few telling values, one at a time: the reader
 * answers 0 or -1 and never reads out of bounds (the suite runs this under ASan too); a change
 * inside the values only is read back as it is. */
static void test_every_byte(const char *path, ModelOf model_of)
{
    static unsigned char good[4096], bad[4096];
    long n = file_bytes(path, good, sizeof good);
    CHECK(n > 8);
    const unsigned char values[] = {0, 0xff, '"', '\\', '{', '}', '[', ']', ':', ',', '9', '-', ' '};
    int refusals = 0, reads = 0;
    for (long i = 0; i < n; i++)
        for (size_t v = 0; v < sizeof values; v++) {
            if (good[i] == values[v])
                continue;
            memcpy(bad, good, (size_t)n);
            bad[i] = values[v];
            write_bytes(DIR "/bad.safetensors", bad, (size_t)n);
            NetrtTensor t[3];
            int n_tensors = model_of(t);
            NetrtErr err = {0};
            int status = netrt_safetensors_read(DIR "/bad.safetensors", t, n_tensors, &err);
            CHECK(status == 0 || status == -1);
            refusals += status == -1;
            reads += status == 0;
        }
    CHECK(refusals > 0 && reads > 0); /* the data bytes read back; most header bytes refused */
}

/* A checkpoint: the model's tensors and netc's own ("netc.…"). NETRT_LOAD_SKIP_EXTRAS reads the
 * model's and passes netc's over, but no other stranger; NETRT_LOAD_HEADER gives the metadata
 * alone; an I32 tensor goes through as 4-byte values. */
static void test_extras(void)
{
    NetrtTensor t[5];
    NetrtErr err = {0};
    int32_t order[3] = {2, 0, 1}, order2[3] = {0};
    model(t, NULL, NULL, NULL);
    t[3] = (NetrtTensor){"netc.order", NETRT_TENSOR_I32, 1, {3}, 3, order};
    t[4] = (NetrtTensor){"other", NETRT_TENSOR_I32, 1, {3}, 3, order};
    const char *meta[] = {"format", "netc checkpoint", "epoch", "7", NULL};
    CHECK(netrt_safetensors_write(DIR "/ck.safetensors", t, 4, meta, &err) == 0);
    CHECK(netrt_safetensors_write(DIR "/stranger.safetensors", t, 5, meta, &err) == 0);

    NetrtTensor back[4];
    float w2[6] = {0}, b2[3] = {0};
    double d2[2] = {0};
    model(back, w2, b2, d2);
    NetrtMeta m;
    CHECK(netrt_safetensors_load(DIR "/ck.safetensors", back, 3, NETRT_LOAD_SKIP_EXTRAS, &m,
                                 &err) == 0);
    CHECK(memcmp(w2, w, sizeof w) == 0);
    CHECK(m.n == 2 && !strcmp(netrt_meta_get(&m, "format"), "netc checkpoint") &&
          !strcmp(netrt_meta_get(&m, "epoch"), "7") && !netrt_meta_get(&m, "step"));
    /* without the flag, a checkpoint's own tensor is a stranger, as before */
    CHECK(netrt_safetensors_load(DIR "/ck.safetensors", back, 3, 0, NULL, &err) < 0);
    CHECK_CONTAINS(err.msg, "more tensors than the model has");
    CHECK(netrt_safetensors_load(DIR "/stranger.safetensors", back, 3, NETRT_LOAD_SKIP_EXTRAS,
                                 NULL, &err) < 0);
    CHECK_CONTAINS(err.msg, "tensor 'other' is not one of the model's");
    /* all four, the I32 among them */
    back[3] = (NetrtTensor){"netc.order", NETRT_TENSOR_I32, 1, {3}, 3, order2};
    CHECK(netrt_safetensors_load(DIR "/ck.safetensors", back, 4, 0, NULL, &err) == 0);
    CHECK(memcmp(order2, order, sizeof order) == 0);
    memset(&m, 0, sizeof m);
    CHECK(netrt_safetensors_load(DIR "/ck.safetensors", NULL, 0, NETRT_LOAD_HEADER, &m, &err) == 0);
    CHECK(m.n == 2 && !strcmp(netrt_meta_get(&m, "epoch"), "7"));
}

int main(void)
{
    if (system("rm -rf " DIR) != 0 || mkdir(DIR, 0777) != 0) {
        fprintf(stderr, "test_safetensors: cannot create %s\n", DIR);
        return 1;
    }
    test_round_trip();
    test_refusals();
    test_count_scalar();
    test_extras();
    test_every_byte(DIR "/m.safetensors", weights_model);
    test_every_byte(DIR "/buffers.safetensors", buffers_model);
    if (test_failures)
        fprintf(stderr, "test_safetensors: %d checks failed\n", test_failures);
    return test_failures;
}
