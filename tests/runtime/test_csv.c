/* test_csv.c: float rows, the data of CSV files and of y = f(x). The CSV reader on good files
 * (header, CRLF, blank lines, spaces, target last, first or in the middle, gzip) read back
 * exactly, and on broken ones (a cell that is no number, nan and inf, out of range, empty cells,
 * rows of the wrong width, no rows, a target column or class out of range, a missing file, a
 * directory, a NUL byte, binary bytes, a huge line and a huge cell) refused with path:line:col;
 * a long file. The function source: linspace exact, uniform within bounds and seeded, a y that
 * is not finite. Loading: split sizes from counts and fractions, the shuffle a permutation that
 * keeps x and y together and follows the seed, data_dir. Standardization, and batches of float
 * rows in f32 and f64 for both tasks. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "netrt_internal.h"
#include "test_util.h"

#define DIR "csv_test_files"

static int write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(bytes, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* A model of in_size inputs and out_size outputs (classes, or targets) for CSV data. */
static NetrtModel csv_model(int in_size, int out_size, NetrtTask task, int target, int header)
{
    return (NetrtModel){
        .name = "m", .in_size = in_size, .out_size = out_size, .task = task,
        .data = {.kind = NETRT_DATA_CSV, .csv_target = target, .csv_header = header},
    };
}

/* Write text to DIR/name, read it with model; 0 and rows on success. */
static int read_text(const char *name, const char *text, const NetrtModel *model, NetrtRows *rows,
                     NetrtErr *err)
{
    char path[256];
    snprintf(path, sizeof path, DIR "/%s", name);
    CHECK(write_file(path, text, strlen(text)) == 0);
    return netrt_csv_read(path, model, rows, err);
}

/* Reading text must fail, with a message containing part; nothing may stay allocated. */
static void check_bad(const char *text, const NetrtModel *model, const char *part)
{
    NetrtRows rows;
    NetrtErr err = {0};
    CHECK(read_text("bad.csv", text, model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, part);
    CHECK(rows.x == NULL && rows.y == NULL && rows.n == 0);
}

static void test_good(void)
{
    NetrtRows rows;
    NetrtErr err = {0};
    /* header, CRLF, blank lines (also of spaces), spaces and tabs around cells, no final newline */
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 1);
    const char *text = "\r\na, b ,y\r\n1, 2 ,3\r\n\r\n  \r\n\t4,5.5 , -6e1\r\n+.25,1e-3,7.";
    CHECK(read_text("good.csv", text, &model, &rows, &err) == 0);
    CHECK(rows.n == 3 && rows.x_size == 2 && rows.y_size == 1);
    if (rows.n == 3) {
        const float x[6] = {1, 2, 4, 5.5f, 0.25f, 1e-3f}, y[3] = {3, -60, 7};
        CHECK(memcmp(rows.x, x, sizeof x) == 0);
        CHECK(memcmp(rows.y, y, sizeof y) == 0);
    }
    netrt_rows_free(&rows);
    CHECK(rows.x == NULL && rows.n == 0);

    /* target 0, no header, LF */
    model = csv_model(2, 1, NETRT_REGRESS, 0, 0);
    CHECK(read_text("first.csv", "3,1,2\n6,4,5\n", &model, &rows, &err) == 0);
    if (rows.n == 2) {
        const float x[4] = {1, 2, 4, 5}, y[2] = {3, 6};
        CHECK(memcmp(rows.x, x, sizeof x) == 0);
        CHECK(memcmp(rows.y, y, sizeof y) == 0);
    } else {
        CHECK(rows.n == 2);
    }
    netrt_rows_free(&rows);

    /* target in the middle, classification: the class is kept as a whole number */
    model = csv_model(2, 3, NETRT_CLASSIFY, 1, 0);
    CHECK(read_text("middle.csv", "0.5,2,9\n-1,0,8\n", &model, &rows, &err) == 0);
    if (rows.n == 2) {
        const float x[4] = {0.5f, 9, -1, 8}, y[2] = {2, 0};
        CHECK(memcmp(rows.x, x, sizeof x) == 0);
        CHECK(memcmp(rows.y, y, sizeof y) == 0);
    } else {
        CHECK(rows.n == 2);
    }
    netrt_rows_free(&rows);

    /* gzip-compressed, read as it is */
    gzFile gz = gzopen(DIR "/packed.csv.gz", "wb");
    CHECK(gz != NULL);
    if (gz) {
        gzputs(gz, "1,2,3\n4,5,6\n");
        gzclose(gz);
    }
    model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    CHECK(netrt_csv_read(DIR "/packed.csv.gz", &model, &rows, &err) == 0);
    CHECK(rows.n == 2 && rows.x[3] == 5 && rows.y[1] == 6);
    netrt_rows_free(&rows);
}

static void test_bad_cells(void)
{
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    check_bad("1,2,3\n4,abc,6\n", &model, DIR "/bad.csv:2:3: 'abc' is not a number");
    check_bad("1,2,3\n4,  abc  ,6\n", &model, DIR "/bad.csv:2:5: 'abc' is not a number");
    check_bad("1,2,3\r\n\r\n4,5,6 7\r\n", &model, DIR "/bad.csv:3:5: '6 7' is not a number");
    check_bad("1,2,3\n4,0x10,6\n", &model, ":2:3: '0x10' is not a number");
    check_bad("1,2,3\n4,\"5\",6\n", &model, ":2:3: '\"5\"' is not a number");
    check_bad("1,2,3\n4,5,nan\n", &model, ":2:5: 'nan' is not a finite number");
    check_bad("1,-inf,3\n", &model, ":1:3: '-inf' is not a finite number");
    check_bad("Infinity,2,3\n", &model, ":1:1: 'Infinity' is not a finite number");
    check_bad("1,2,1e999\n", &model, ":1:5: '1e999' is out of range");
    check_bad("1,2,-1e39\n", &model, ":1:5: '-1e39' is out of range: values are floats");
    check_bad("1,,3\n", &model, DIR "/bad.csv:1:3: empty cell, expected a number");
    check_bad("1, ,3\n", &model, ":1:3: empty cell");
    check_bad("1,2,3,\n", &model, ":1:7: empty cell");
    check_bad(",2,3\n", &model, ":1:1: empty cell");

    /* a cell longer than 40 bytes is quoted cut; one beyond CELL_MAX is refused as such */
    char text[1024];
    snprintf(text, sizeof text, "1,2,%s\n", "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJ");
    check_bad(text, &model, ":1:5: '1234567890abcdefghijklmnopqrstuvwxyzABCD...' is not a number");
    memset(text, '1', 600);
    memcpy(text, "1,2,", 4);
    strcpy(text + 600, "\n");
    check_bad(text, &model, ":1:5: '1111111111111111111111111111111111111111...' is not a number: "
                            "more than 256 characters");

    /* a NUL byte and other bytes that are not printable are shown escaped */
    NetrtRows rows;
    NetrtErr err = {0};
    const char nul[] = "1,2,3\n4,5\0,6\n";
    CHECK(write_file(DIR "/nul.csv", nul, sizeof nul - 1) == 0);
    CHECK(netrt_csv_read(DIR "/nul.csv", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/nul.csv:2:3: '5\\x00' is not a number");
    check_bad("1,2,\xff\x01\n", &model, ":1:5: '\\xff\\x01' is not a number");

    /* the first row naming the columns without header = true: a hint */
    check_bad("x1,x2,y\n1,2,3\n", &model, ":1:1: 'x1' is not a number");
    CHECK(read_text("head.csv", "x1,x2,y\n1,2,3\n", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.hint, "if line 1 names the columns, say so: header = true");
    CHECK(read_text("head.csv", "1,2,3\n1,x,3\n", &model, &rows, &err) == -1);
    CHECK(err.hint[0] == '\0');
}

static void test_bad_rows(void)
{
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    check_bad("1,2,3\n4,5,6,7\n", &model, DIR "/bad.csv:2:7: 4 columns, but the first row "
                                          "(line 1) has 3");
    check_bad("1,2,3\n\n4,5\n", &model, DIR "/bad.csv:3:4: 2 columns, but the first row "
                                        "(line 1) has 3");
    check_bad("\n1,2,3\r\n4,5  \r\n", &model, ":3:4: 2 columns, but the first row (line 2) has 3");
    check_bad("1,2,3,4\n", &model, ":1:7: 4 columns, but model 'm' takes 2 inputs and 1 target: "
                                   "3 columns");
    check_bad("1,2\n", &model, ":1:4: 2 columns, but model 'm' takes 2 inputs and 1 target");
    check_bad("", &model, DIR "/bad.csv: empty file: no data rows");
    check_bad("\n  \r\n\t\n", &model, "bad.csv: empty file: no data rows");
    model.data.csv_header = 1;
    check_bad("\na,b,y\n\n", &model, DIR "/bad.csv:2: the header is the only row: no data rows");
    model.data.csv_header = 0;

    /* the target column must be in the file */
    model.data.csv_target = 5;
    check_bad("1,2,3\n", &model, DIR "/bad.csv:1: target column 5 is out of range: the first row "
                                 "has 3 columns (0 to 2)");
    model.data.csv_target = 3;
    check_bad("1,2,3\n", &model, "target column 3 is out of range");

    /* classes: whole numbers below out_size */
    model = csv_model(2, 10, NETRT_CLASSIFY, -1, 0);
    check_bad("1,2,9\n1,2,10\n", &model, DIR "/bad.csv:2:5: class '10' is out of range: the "
                                         "model has 10 classes (0 to 9)");
    check_bad("1,2,-1\n", &model, ":1:5: class '-1' is out of range");
    check_bad("1,2,9\n1,2,2.5\n", &model, ":2:5: class '2.5' is not a whole number");
    model.data.csv_target = 0;
    check_bad("3,1,2\n12,1,2\n", &model, ":2:1: class '12' is out of range");
    /* a row too wide is that, whatever its cell in the target column holds */
    model = csv_model(2, 3, NETRT_CLASSIFY, -1, 0);
    check_bad("1,2,7,4\n", &model, DIR "/bad.csv:1:7: 4 columns, but model 'm' takes 2 inputs "
                                    "and 1 target: 3 columns");
    check_bad("1,2,1\n1,2,7,4\n", &model, DIR "/bad.csv:2:7: 4 columns, but the first row "
                                           "(line 1) has 3");
    check_bad("1,2,1\n1,2,7\n", &model, DIR "/bad.csv:2:5: class '7' is out of range");

    /* regression takes one target column */
    model = csv_model(2, 2, NETRT_REGRESS, -1, 0);
    check_bad("1,2,3\n", &model, DIR "/bad.csv: model 'm' has 2 outputs, but a CSV file gives one "
                                 "target column: regression on several targets is not supported");

    /* files that are not there, or not files */
    NetrtRows rows;
    NetrtErr err = {0};
    model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    CHECK(netrt_csv_read(DIR "/none.csv", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/none.csv: No such file or directory");
    CHECK(netrt_csv_read(DIR, &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR ": read error: Is a directory");
    CHECK(rows.x == NULL);
}

/* A damaged .csv.gz is named as such, not by the rows it decodes to: one cut short (at the end
 * of a line, where it used to read as a shorter file, and in a row), and one whose checksum
 * does not match (its rows all parse). */
static void test_bad_gzip(void)
{
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    char text[4000], *p = text;
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "%d,%d,%d\n", i, i % 7, i % 3);
    gzFile gz = gzopen(DIR "/whole.csv.gz", "wb");
    CHECK(gz && gzwrite(gz, text, (unsigned)(p - text)) == (int)(p - text) && gzclose(gz) == Z_OK);
    FILE *f = fopen(DIR "/whole.csv.gz", "rb");
    unsigned char packed[4000];
    size_t len = f ? fread(packed, 1, sizeof packed, f) : 0;
    CHECK(f && fclose(f) == 0 && len > 100);
    NetrtRows rows;
    NetrtErr err = {0};
    CHECK(netrt_csv_read(DIR "/whole.csv.gz", &model, &rows, &err) == 0 && rows.n == 300);
    netrt_rows_free(&rows);

    /* without the 8-byte trailer every row is there, but the stream is cut */
    CHECK(write_file(DIR "/cut.csv.gz", packed, len - 8) == 0);
    CHECK(netrt_csv_read(DIR "/cut.csv.gz", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/cut.csv.gz: truncated gzip file (zlib: unexpected end of file), "
                            "noticed at line 301");
    CHECK(rows.x == NULL);
    CHECK(write_file(DIR "/half.csv.gz", packed, len / 2) == 0);
    CHECK(netrt_csv_read(DIR "/half.csv.gz", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/half.csv.gz: truncated gzip file (zlib: unexpected end of file)");
    packed[len - 6] ^= 0x5a; /* in the CRC-32 */
    CHECK(write_file(DIR "/crc.csv.gz", packed, len) == 0);
    CHECK(netrt_csv_read(DIR "/crc.csv.gz", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/crc.csv.gz: corrupt gzip file (zlib: incorrect data check)");
    CHECK(rows.x == NULL);
}

/* Binary bytes, a huge line and a long file: refused or read, in linear time, without a crash. */
static void test_robust(void)
{
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 0);
    NetrtRows rows;
    NetrtErr err = {0};

    NetrtRng rng;
    netrt_rng_seed(&rng, 7);
    size_t len = 1 << 16;
    char *buf = malloc(len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)netrt_rng_next(&rng);
    CHECK(write_file(DIR "/garbage.csv", buf, len) == 0);
    CHECK(netrt_csv_read(DIR "/garbage.csv", &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/garbage.csv:");
    CHECK(rows.x == NULL);

    /* a second row of two million columns: counted, not stored */
    const int wide = 2000000;
    free(buf);
    buf = malloc(6 + 2 * (size_t)wide + 1);
    strcpy(buf, "1,2,3\n");
    for (int i = 0; i < wide; i++)
        memcpy(buf + 6 + 2 * i, "1,", 2);
    buf[6 + 2 * wide - 1] = '\n';
    buf[6 + 2 * wide] = '\0';
    CHECK(read_text("wide.csv", buf, &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, ":2:7: 2000000 columns, but the first row (line 1) has 3");

    /* a one-cell line of ten million digits */
    free(buf);
    len = 10000000;
    buf = malloc(len + 1);
    memset(buf, '7', len);
    buf[len] = '\0';
    CHECK(read_text("long_cell.csv", buf, &model, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, ":1:1: '7777777777777777777777777777777777777777...' is not a number: "
                            "more than 256 characters");

    /* 300000 rows, read back to the last one */
    free(buf);
    const int n = 300000;
    buf = malloc((size_t)n * 32);
    char *p = buf;
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%d,%d.5,%d\n", i, i % 1000, -i);
    CHECK(write_file(DIR "/long.csv", buf, (size_t)(p - buf)) == 0);
    free(buf);
    CHECK(netrt_csv_read(DIR "/long.csv", &model, &rows, &err) == 0);
    CHECK(rows.n == n);
    if (rows.n == n) {
        CHECK(rows.x[2 * (n - 1)] == n - 1 && rows.x[2 * (n - 1) + 1] == 999.5f);
        CHECK(rows.y[n - 1] == -(n - 1) && rows.y[12345] == -12345);
    }
    netrt_rows_free(&rows);
}

static double square(double x) { return x * x; }
static double log_x(double x) { return log(x); }
static double sqrt_x(double x) { return sqrt(x); }
static double exp_x(double x) { return exp(x); }
static double one(double x) { return x * 0 + 1; }

static void test_function(void)
{
    NetrtRows rows, again;
    NetrtErr err = {0};
    NetrtRng rng;

    /* linspace: lo + (hi - lo)·i/(n - 1), both ends included */
    NetrtFunction fn = {.f = square, .linspace = 1, .lo = -1, .hi = 1, .n = 5};
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == 0);
    CHECK(rows.n == 5 && rows.x_size == 1 && rows.y_size == 1);
    const float x[5] = {-1, -0.5f, 0, 0.5f, 1}, y[5] = {1, 0.25f, 0, 0.25f, 1};
    CHECK(rows.n == 5 && memcmp(rows.x, x, sizeof x) == 0 && memcmp(rows.y, y, sizeof y) == 0);
    netrt_rows_free(&rows);
    fn = (NetrtFunction){.f = square, .linspace = 1, .lo = 1, .hi = 16, .n = 2000};
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == 0);
    CHECK(rows.x[0] == 1 && rows.x[1999] == 16 && rows.x[1000] == (float)(1 + 15 * 1000 / 1999.0));
    netrt_rows_free(&rows);

    /* uniform: within [lo, hi), y = f of the float x, spread over the interval; the seed decides */
    fn = (NetrtFunction){.f = square, .lo = 1, .hi = 16, .n = 1000};
    netrt_rng_seed(&rng, 42);
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == 0);
    double lo = 99, hi = 0;
    int in = 1, exact = 1;
    for (int i = 0; i < rows.n; i++) {
        in &= rows.x[i] >= 1 && rows.x[i] <= 16;
        exact &= rows.y[i] == (float)square(rows.x[i]);
        lo = rows.x[i] < lo ? rows.x[i] : lo;
        hi = rows.x[i] > hi ? rows.x[i] : hi;
    }
    CHECK(in && exact);
    CHECK(lo < 1.2 && hi > 15.8); /* 1000 points: the ends are near */
    netrt_rng_seed(&rng, 42);
    CHECK(netrt_function_rows(&fn, &rng, &again, &err) == 0);
    CHECK(memcmp(rows.x, again.x, 1000 * sizeof(float)) == 0);
    netrt_rows_free(&again);
    netrt_rng_seed(&rng, 43);
    CHECK(netrt_function_rows(&fn, &rng, &again, &err) == 0);
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += rows.x[i] == again.x[i];
    CHECK(same < 10);
    netrt_rows_free(&again);
    netrt_rows_free(&rows);

    /* a y that is not finite names its x */
    fn = (NetrtFunction){.f = log_x, .linspace = 1, .lo = -1, .hi = 1, .n = 3};
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "function: y = f(x) is nan at x = -1 (point 1 of 3)");
    CHECK_CONTAINS(err.hint, "narrow the interval of x");
    CHECK(rows.x == NULL && rows.y == NULL);
    fn.lo = 0;
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "y = f(x) is -inf at x = 0 (point 1 of 3)");
    fn = (NetrtFunction){.f = sqrt_x, .linspace = 1, .lo = -2, .hi = 2, .n = 5};
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "is nan at x = -2 (point 1 of 5)");
    fn = (NetrtFunction){.f = exp_x, .linspace = 1, .lo = 0, .hi = 100, .n = 3};
    CHECK(netrt_function_rows(&fn, NULL, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "at x = 100 (point 3 of 3) is out of the range of a float");
    fn = (NetrtFunction){.f = square, .lo = 2, .hi = 1, .n = 3};
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "the interval [2, 1] of x needs finite lo < hi");
    fn = (NetrtFunction){.f = square, .lo = 0, .hi = 1, .n = 0};
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "n = 0 points");
    /* x is a float: an interval beyond its range made x = inf, and one within a float's
     * rounding made n copies of one point */
    fn = (NetrtFunction){.f = one, .lo = -1e300, .hi = 1e300, .n = 3};
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "function: the interval [-1e+300, 1e+300] of x is beyond the range of "
                            "a float");
    fn = (NetrtFunction){.f = one, .linspace = 1, .lo = 0, .hi = 1e39, .n = 3};
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "beyond the range of a float");
    fn = (NetrtFunction){.f = one, .linspace = 1, .lo = 1, .hi = 1.00000001, .n = 100};
    CHECK(netrt_function_rows(&fn, &rng, &rows, &err) == -1);
    CHECK_CONTAINS(err.msg, "function: the interval [1, 1.00000001] of x is a single value as a "
                            "float (1)");
    CHECK(rows.x == NULL);
}

/* Every sample of split: x = (k, 10k) and y = -k for a k in [0, n), none seen before. */
static void check_split(const NetrtSplit *split, char *seen, int n)
{
    for (int i = 0; i < split->n; i++) {
        float k = -split->y[i];
        CHECK(k >= 0 && k < n && k == floorf(k));
        if (!(k >= 0 && k < n))
            continue;
        CHECK(!seen[(int)k]);
        seen[(int)k] = 1;
        CHECK(split->x[2 * i] == k && split->x[2 * i + 1] == 10 * k);
    }
}

static void test_load(void)
{
    static NetrtDataset ds, ds2;
    NetrtErr err = {0};
    /* 20 rows: x = (k, 10k), y = -k; relative to the data directory */
    char text[1024], *p = text;
    p += sprintf(p, "a,b,y\n");
    for (int k = 0; k < 20; k++)
        p += sprintf(p, "%d,%d,%d\n", k, 10 * k, -k);
    CHECK(write_file(DIR "/split.csv", text, (size_t)(p - text)) == 0);
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 1);
    model.data.csv = "split.csv";
    model.data.test = 3;
    CHECK(netrt_data_load(&model, DIR, 5, 1, &ds, &err) == 0);
    CHECK(!strcmp(ds.name, "csv") && !strcmp(ds.files.where, DIR "/split.csv"));
    CHECK(ds.train.n == 12 && ds.valid.n == 5 && ds.test.n == 3);
    CHECK(ds.train.x && ds.train.size == 2 && ds.train.y_size == 1 && ds.train.pixels == NULL);
    CHECK(ds.x_mean == NULL && ds.x_std == NULL);
    char seen[20] = {0};
    check_split(&ds.train, seen, 20);
    check_split(&ds.valid, seen, 20);
    check_split(&ds.test, seen, 20);
    CHECK(memchr(seen, 0, 20) == NULL); /* every sample, in exactly one split */
    /* shuffled: not in file order; the same seed gives the same order, another seed another */
    int in_order = 1;
    for (int i = 0; i < 20; i++)
        in_order &= ds.rows.y[i] == -i;
    CHECK(!in_order);
    CHECK(netrt_data_load(&model, DIR, 5, 1, &ds2, &err) == 0);
    CHECK(memcmp(ds.rows.y, ds2.rows.y, 20 * sizeof(float)) == 0);
    netrt_data_free(&ds2);
    CHECK(netrt_data_load(&model, DIR, 5, 2, &ds2, &err) == 0);
    CHECK(memcmp(ds.rows.y, ds2.rows.y, 20 * sizeof(float)) != 0);
    netrt_data_free(&ds2);
    netrt_data_free(&ds);
    CHECK(ds.rows.x == NULL);

    /* fractions of all samples, rounded to nearest: 0.15·20 = 3, 0.125·20 = 2.5 → 3 */
    model.data.test = 0.125;
    CHECK(netrt_data_load(&model, DIR, 0.15, 1, &ds, &err) == 0);
    CHECK(ds.train.n == 14 && ds.valid.n == 3 && ds.test.n == 3);
    netrt_data_free(&ds);
    /* none held out */
    model.data.test = 0;
    CHECK(netrt_data_load(&model, DIR, 0, 1, &ds, &err) == 0);
    CHECK(ds.train.n == 20 && ds.valid.n == 0 && ds.test.n == 0);
    netrt_data_free(&ds);
    /* nothing left to train on */
    model.data.test = 0.5;
    CHECK(netrt_data_load(&model, DIR, 10, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/split.csv: holding out 10 samples for validation and 10 for "
                            "test leaves none for training: there are 20");
    CHECK(ds.rows.x == NULL);
    model.data.test = 0;
    CHECK(netrt_data_load(&model, DIR, 25, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "holding out 20 samples for validation");
    /* without data_dir the path is taken as it is; read errors pass through */
    CHECK(netrt_data_load(&model, NULL, 0, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "split.csv: No such file or directory");
    model.in_size = 3;
    CHECK(netrt_data_load(&model, DIR, 0, 1, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/split.csv:2:6: 3 columns, but model 'm' takes 3 inputs");

    /* E4: 2000 points of y = f(x), split 0.8/0.1/0.1 */
    NetrtModel fmodel = {
        .name = "f", .in_size = 1, .out_size = 1, .task = NETRT_REGRESS,
        .data = {.kind = NETRT_DATA_FUNCTION, .test = 0.1,
                 .function = {.f = square, .lo = 1, .hi = 16, .n = 2000}},
    };
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 42, &ds, &err) == 0);
    CHECK(!strcmp(ds.name, "function") && !strcmp(ds.files.where, "uniform(1, 16)"));
    CHECK(ds.train.n == 1600 && ds.valid.n == 200 && ds.test.n == 200);
    CHECK(ds.test.x == ds.rows.x + 1800 && ds.test.y == ds.rows.y + 1800);
    int pairs = 1;
    for (int i = 0; i < 2000; i++)
        pairs &= ds.rows.y[i] == (float)square(ds.rows.x[i]);
    CHECK(pairs);
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 42, &ds2, &err) == 0);
    CHECK(memcmp(ds.rows.x, ds2.rows.x, 2000 * sizeof(float)) == 0);
    netrt_data_free(&ds2);
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 7, &ds2, &err) == 0);
    CHECK(memcmp(ds.rows.x, ds2.rows.x, 2000 * sizeof(float)) != 0);
    netrt_data_free(&ds2);
    netrt_data_free(&ds);
    /* linspace points come shuffled: all of them, in no set order */
    fmodel.data.function.linspace = 1;
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 42, &ds, &err) == 0);
    CHECK(!strcmp(ds.files.where, "linspace(1, 16)"));
    float sorted[2000];
    memcpy(sorted, ds.rows.x, sizeof sorted);
    int moved = 0;
    for (int i = 0; i < 2000; i++)
        moved += sorted[i] != (float)(1 + 15 * (i / 1999.0));
    CHECK(moved > 1900);
    double sum = 0;
    for (int i = 0; i < 2000; i++)
        sum += sorted[i];
    CHECK_NEAR(sum, 2000 * 8.5, 1e-2);
    netrt_data_free(&ds);
    /* the function's x must be the model's one input, its y the one output */
    fmodel.in_size = 2;
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 42, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "function: y = f(x) is regression of 1 input on 1 target, but model "
                            "'f' takes 2 inputs and 1 output");
    fmodel.in_size = 1;
    fmodel.data.function.f = log_x;
    fmodel.data.function.lo = -1;
    CHECK(netrt_data_load(&fmodel, NULL, 0.1, 42, &ds, &err) == -1);
    CHECK_CONTAINS(err.msg, "function: y = f(x) is nan at x = -1 (point 1 of 2000)");
}

static void test_standardize(void)
{
    /* column 0: 1 2 3 4 on the training rows, mean 2.5, std √1.25; column 1: 5 throughout,
     * only centred; the fifth row (not training) is scaled by the same numbers */
    float x[10] = {1, 5, 2, 5, 3, 5, 4, 5, 100, 7}, y[5] = {0};
    NetrtRows rows = {x, y, 5, 2, 1};
    double mean[2], std[2];
    netrt_rows_standardize(&rows, 4, mean, std);
    CHECK(mean[0] == 2.5 && mean[1] == 5 && std[1] == 0);
    CHECK_NEAR(std[0], sqrt(1.25), 1e-15);
    const double want0[5] = {-1.5, -0.5, 0.5, 1.5, 97.5};
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(x[2 * i], want0[i] / sqrt(1.25), 1e-5); /* 87.2 in a float: ulp 8e-6 */
    CHECK(x[1] == 0 && x[7] == 0 && x[9] == 2);

    /* a constant column of a value no float holds exactly: std exactly 0, every value 0 */
    static float c[3000], cy[3000];
    for (int i = 0; i < 3000; i++)
        c[i] = 0.1f;
    NetrtRows crows = {c, cy, 3000, 1, 1};
    netrt_rows_standardize(&crows, 3000, mean, std);
    CHECK(std[0] == 0 && mean[0] == (double)0.1f);
    int zero = 1;
    for (int i = 0; i < 3000; i++)
        zero &= c[i] == 0;
    CHECK(zero);

    /* through netrt_data_load: the training split has mean 0 and std 1, what was measured kept */
    static NetrtDataset ds;
    NetrtErr err = {0};
    NetrtModel model = csv_model(2, 1, NETRT_REGRESS, -1, 1);
    model.data.csv = DIR "/split.csv";
    model.data.normalize = 1;
    CHECK(netrt_data_load(&model, NULL, 4, 3, &ds, &err) == 0);
    CHECK(ds.x_mean && ds.x_std);
    if (ds.x_mean && ds.x_std) {
        double raw_sum = 0;
        for (int j = 0; j < 2; j++) {
            double s = 0, sq = 0;
            for (int i = 0; i < ds.train.n; i++) {
                s += ds.train.x[2 * i + j];
                sq += ds.train.x[2 * i + j] * ds.train.x[2 * i + j];
            }
            CHECK_NEAR(s / ds.train.n, 0, 1e-6);
            CHECK_NEAR(sq / ds.train.n, 1, 1e-5);
        }
        /* the inputs were k and 10k: the second column's numbers are ten times the first's */
        CHECK_NEAR(ds.x_mean[1], 10 * ds.x_mean[0], 1e-9);
        CHECK_NEAR(ds.x_std[1], 10 * ds.x_std[0], 1e-9);
        /* valid rows use the training numbers: x = (k - mean)/std recovers k = -y */
        for (int i = 0; i < ds.valid.n; i++)
            raw_sum += fabs(ds.valid.x[2 * i] * ds.x_std[0] + ds.x_mean[0] + ds.valid.y[i]);
        CHECK_NEAR(raw_sum, 0, 1e-4);
    }
    netrt_data_free(&ds);
    CHECK(ds.x_mean == NULL);
}

static void test_batch(void)
{
    /* three samples of two inputs and one target (or class) */
    const float x[6] = {1.5f, -2, 0.25f, 4, 1e-3f, 8}, y[3] = {2, 0, 1};
    NetrtSplit split = {.x = x, .y = y, .n = 3, .size = 2, .y_size = 1};
    const int32_t idx[2] = {2, 0};
    float in32[6] = {0}, t32[3] = {0};
    double in64[6] = {0}, t64[3] = {0};
    int32_t labels[3] = {-1, -1, -1};
    NetrtModel model = {.dtype = NETRT_F32, .task = NETRT_REGRESS, .in_size = 2, .out_size = 1,
                        .input = in32, .targets = t32, .labels = labels};
    t32[2] = 42;
    in32[4] = 42;
    netrt_batch_fill(&model, NULL, &split, idx, 2, NULL);
    CHECK(in32[0] == 1e-3f && in32[1] == 8 && in32[2] == 1.5f && in32[3] == -2);
    CHECK(t32[0] == 1 && t32[1] == 2);
    CHECK(t32[2] == 42 && in32[4] == 42); /* nothing past row B */
    CHECK(labels[0] == -1);               /* regression leaves the labels alone */

    model.dtype = NETRT_F64;
    model.input = in64;
    model.targets = t64;
    netrt_batch_fill(&model, NULL, &split, idx, 2, NULL);
    CHECK(in64[0] == (double)1e-3f && in64[1] == 8 && in64[2] == 1.5 && in64[3] == -2);
    CHECK(t64[0] == 1 && t64[1] == 2 && t64[2] == 0);

    /* classification: the class as int32, the targets left alone */
    model.task = NETRT_CLASSIFY;
    model.out_size = 3;
    t64[0] = -7;
    const int32_t idx3[3] = {1, 2, 0};
    netrt_batch_fill(&model, NULL, &split, idx3, 3, NULL);
    CHECK(labels[0] == 0 && labels[1] == 1 && labels[2] == 2);
    CHECK(in64[0] == 0.25 && in64[5] == -2);
    CHECK(t64[0] == -7);
    model.dtype = NETRT_F32;
    model.input = in32;
    labels[0] = labels[1] = labels[2] = -1;
    netrt_batch_fill(&model, NULL, &split, idx3, 1, NULL);
    CHECK(labels[0] == 0 && labels[1] == -1);
    CHECK(in32[0] == 0.25f && in32[1] == 4);
}

int main(void)
{
    mkdir(DIR, 0755);
    test_good();
    test_bad_cells();
    test_bad_rows();
    test_bad_gzip();
    test_robust();
    test_function();
    test_load();
    test_standardize();
    test_batch();
    if (test_failures)
        fprintf(stderr, "test_csv: %d checks failed\n", test_failures);
    return test_failures;
}
