/* csv.c: a CSV file of numbers, one sample a row, read into float rows.
 *
 * Strict on purpose: every cell must be a finite decimal number, every row must have as many
 * columns as the first, and anything else stops the run with the place (path:line:col) and the
 * cell, rather than training on data that was silently misread.
 *
 * The file is streamed a byte at a time through a fixed buffer; only the current cell (up to
 * CELL_MAX bytes) and the current row (in_size + 1 values) are kept besides the rows stored, and
 * those grow by doubling. So a huge line, binary bytes or a NUL cost no more memory than a short
 * line, and reading is linear in the file's size. Cells beyond the expected number of columns
 * are counted, not kept. gzopen reads a plain file as it is, so file.csv.gz works too. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "netrt_internal.h"

#define CELL_MAX 256  /* longest cell read as a number: far more than any number needs */
#define QUOTE_MAX 40  /* bytes of a bad cell shown in a message */

/* The file being read, and the position of the byte last returned by next_byte(). */
typedef struct {
    gzFile f;
    const char *path;
    int len, pos;         /* bytes in buf, and the next one to return */
    long line, col;       /* where the next byte is: 1-based */
    long at_line, at_col; /* where the byte last returned was (the end of the file: past it) */
    int failed;           /* gzread failed; reading stops as at the end of the file */
    unsigned char buf[1 << 15]; /* last: everything before it is cleared at the start */
} Reader;

/* One cell: the bytes between two commas or a comma and the end of the line, without the spaces,
 * tabs and CRs around them (CR: so CRLF line ends need nothing else). */
typedef struct {
    char text[CELL_MAX + 1]; /* its first CELL_MAX bytes, NUL-terminated (it may hold a NUL) */
    long len;                /* its length, possibly more than CELL_MAX */
    long col;                /* the column of its first byte; for an empty cell, where it starts */
    int end;                 /* what ended it: ',', '\n' or EOF */
} Cell;

static int next_byte(Reader *r)
{
    if (r->pos == r->len) {
        int got = r->failed ? -1 : gzread(r->f, r->buf, sizeof r->buf);
        if (got <= 0) {
            r->failed |= got < 0;
            r->at_line = r->line;
            r->at_col = r->col;
            return EOF;
        }
        r->len = got;
        r->pos = 0;
    }
    int c = r->buf[r->pos++];
    r->at_line = r->line;
    r->at_col = r->col;
    if (c == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    return c;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void read_cell(Reader *r, Cell *cell)
{
    long start = r->col;
    int c;
    do
        c = next_byte(r);
    while (is_space(c));
    cell->col = c == ',' || c == '\n' || c == EOF ? start : r->at_col;
    long n = 0;  /* bytes since the first that is not a space */
    cell->len = 0; /* … up to the last that is not a space */
    for (; c != ',' && c != '\n' && c != EOF; c = next_byte(r)) {
        if (n < CELL_MAX)
            cell->text[n] = (char)c;
        n++;
        if (!is_space(c))
            cell->len = n;
    }
    cell->text[cell->len < CELL_MAX ? cell->len : CELL_MAX] = '\0';
    cell->end = c;
}

/* The cell as a message shows it: at most QUOTE_MAX bytes, printable ASCII as it is and any other
 * byte as \xNN (a NUL or binary bytes must not cut or garble the message), "..." when cut. */
static const char *quote(const Cell *cell, char out[4 * QUOTE_MAX + 4])
{
    long shown = cell->len < QUOTE_MAX ? cell->len : QUOTE_MAX;
    char *o = out;
    for (long i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)cell->text[i];
        if (c >= 0x20 && c < 0x7f)
            *o++ = (char)c;
        else
            o += sprintf(o, "\\x%02x", c);
    }
    strcpy(o, cell->len > shown ? "..." : "");
    return out;
}

/* Only decimal notation is a number here: strtod would also take hex, "nan" and "inf". */
static int is_decimal(const Cell *cell)
{
    return (long)strspn(cell->text, "0123456789+-.eE") == cell->len;
}

/* The value of cell, or -1 with err set to path:line:col and what is wrong with it. */
static int cell_value(const Reader *r, long line, const Cell *cell, double *value, NetrtErr *err)
{
    char q[4 * QUOTE_MAX + 4];
    const char *path = r->path;
    if (cell->len == 0)
        return netrt_err(err, "%s:%ld:%ld: empty cell, expected a number", path, line, cell->col);
    if (cell->len > CELL_MAX)
        return netrt_err(err, "%s:%ld:%ld: '%s' is not a number: more than %d characters", path,
                         line, cell->col, quote(cell, q), CELL_MAX);
    char *end;
    errno = 0;
    double v = strtod(cell->text, &end);
    int out_of_range = errno == ERANGE && fabs(v) > 1; /* overflow; underflow to 0 is fine */
    if (end != cell->text + cell->len || (!is_decimal(cell) && isfinite(v)))
        return netrt_err(err, "%s:%ld:%ld: '%s' is not a number", path, line, cell->col,
                         quote(cell, q));
    if (!is_decimal(cell))
        return netrt_err(err, "%s:%ld:%ld: '%s' is not a finite number: nan and inf are not "
                         "accepted", path, line, cell->col, quote(cell, q));
    if (out_of_range || fabs(v) > FLT_MAX)
        return netrt_err(err, "%s:%ld:%ld: '%s' is out of range: values are floats, at most "
                         "%g in magnitude", path, line, cell->col, quote(cell, q), FLT_MAX);
    *value = v;
    return 0;
}

/* A class must be a whole number below the number of classes. */
static int check_class(const Reader *r, long line, const Cell *cell, double v, int n_classes,
                       NetrtErr *err)
{
    char q[4 * QUOTE_MAX + 4];
    if (v != floor(v))
        return netrt_err(err, "%s:%ld:%ld: class '%s' is not a whole number", r->path, line,
                         cell->col, quote(cell, q));
    if (v < 0 || v >= n_classes)
        return netrt_err(err, "%s:%ld:%ld: class '%s' is out of range: the model has %d classes "
                         "(0 to %d)", r->path, line, cell->col, quote(cell, q), n_classes,
                         n_classes - 1);
    return 0;
}

/* Room for one more row in out (cap rows now), doubling the capacity when it is full. */
static int reserve_row(NetrtRows *out, size_t *cap, const char *path, NetrtErr *err)
{
    if ((size_t)out->n < *cap)
        return 0;
    if (out->n == INT32_MAX) /* rows are numbered by int32 indices (netrt_shuffle, batches) */
        return netrt_err(err, "%s: more than %d rows", path, INT32_MAX);
    size_t want = *cap ? 2 * *cap : 256;
    if (want > INT32_MAX)
        want = INT32_MAX;
    if (want > SIZE_MAX / sizeof(float) / (size_t)out->x_size)
        return netrt_err(err, "%s: out of memory after %d rows", path, out->n);
    float *x = realloc(out->x, want * (size_t)out->x_size * sizeof *x);
    if (x)
        out->x = x;
    float *y = x ? realloc(out->y, want * (size_t)out->y_size * sizeof *y) : NULL;
    if (!y)
        return netrt_err(err, "%s: out of memory after %d rows", path, out->n);
    out->y = y;
    *cap = want;
    return 0;
}

/* Every row of r into out; vals has room for the in_size + 1 cells of one row. */
static int read_rows(Reader *r, const NetrtModel *model, double *vals, NetrtRows *out,
                     NetrtErr *err)
{
    const int width = model->in_size + 1; /* columns of every row */
    const int given = model->data.csv_target, target = given < 0 ? width - 1 : given;
    const int classify = model->task == NETRT_CLASSIFY;
    int header = model->data.csv_header;
    long header_line = 0, first_line = 0; /* 0: none yet */
    size_t cap = 0;
    Cell cell, target_cell;
    for (;;) {
        long line = r->line;
        read_cell(r, &cell);
        if (r->failed)
            return -2;
        if (cell.len == 0 && cell.end != ',') { /* nothing on the line but spaces */
            if (cell.end == EOF)
                break;
            continue;
        }
        if (header) { /* the first line that is not blank names the columns: skip it */
            int c = cell.end;
            while (c != '\n' && c != EOF)
                c = next_byte(r);
            header = 0;
            header_line = line;
            continue;
        }
        /* The row's cells: the first `width` kept in vals, any more only counted (long: a huge
         * line may have more than INT_MAX), except that an empty one is named as such. */
        long count = 0, extra_col = 0, end_col;
        for (;;) {
            if (count < width) {
                if (cell_value(r, line, &cell, &vals[count], err) < 0) {
                    if (!first_line && !header_line && isalpha((unsigned char)cell.text[0]))
                        netrt_err_hint(err, "if line %ld names the columns, say so: header = "
                                       "true", line);
                    return -1;
                }
                if (count == target)
                    target_cell = cell; /* its class is checked once the row's width is */
            } else if (cell.len == 0) { /* "1,2,3,": the comma at the end is the mistake */
                return cell_value(r, line, &cell, &vals[0], err);
            } else if (count == width) {
                extra_col = cell.col;
            }
            count++;
            end_col = cell.col + cell.len;
            if (cell.end != ',')
                break;
            read_cell(r, &cell);
            if (r->failed)
                return -2;
        }
        if (!first_line) {
            first_line = line;
            if (given >= count)
                return netrt_err(err, "%s:%ld: target column %d is out of range: the first row "
                                 "has %ld columns (0 to %ld)", r->path, line, given, count,
                                 count - 1);
            if (count != width)
                return netrt_err(err, "%s:%ld:%ld: %ld columns, but model '%s' takes %d "
                                 "input%s and 1 target: %d columns", r->path, line,
                                 count > width ? extra_col : end_col, count, model->name,
                                 model->in_size, model->in_size == 1 ? "" : "s", width);
        } else if (count != width) {
            return netrt_err(err, "%s:%ld:%ld: %ld columns, but the first row (line %ld) has %d",
                             r->path, line, count > width ? extra_col : end_col, count,
                             first_line, width);
        }
        if (classify && check_class(r, line, &target_cell, vals[target], model->out_size, err) < 0)
            return -1;
        if (reserve_row(out, &cap, r->path, err) < 0)
            return -1;
        float *x = out->x + (size_t)out->n * (size_t)out->x_size;
        for (int j = 0; j < width; j++)
            if (j != target)
                *x++ = (float)vals[j];
        out->y[out->n++] = (float)vals[target];
        if (cell.end == EOF)
            break;
    }
    if (out->n == 0 && header_line)
        return netrt_err(err, "%s:%ld: the header is the only row: no data rows", r->path,
                         header_line);
    if (out->n == 0)
        return netrt_err(err, "%s: empty file: no data rows", r->path);
    return 0;
}

int netrt_csv_read(const char *path, const NetrtModel *model, NetrtRows *out, NetrtErr *err)
{
    memset(out, 0, sizeof *out);
    if (model->task == NETRT_REGRESS && model->out_size != 1)
        return netrt_err(err, "%s: model '%s' has %d outputs, but a CSV file gives one target "
                         "column: regression on several targets is not supported", path,
                         model->name, model->out_size);
    if (model->in_size < 1 || model->in_size >= INT32_MAX || model->out_size < 1)
        return netrt_err(err, "%s: model '%s' takes %d inputs and has %d outputs: nothing a CSV "
                         "row can give", path, model->name, model->in_size, model->out_size);
    out->x_size = model->in_size;
    out->y_size = 1;
    Reader *r = malloc(sizeof *r);
    double *vals = malloc(((size_t)model->in_size + 1) * sizeof *vals);
    if (!r || !vals) {
        free(r);
        free(vals);
        return netrt_err(err, "%s: out of memory", path);
    }
    memset(r, 0, offsetof(Reader, buf));
    r->path = path;
    r->line = r->col = 1;
    errno = 0;
    r->f = gzopen(path, "rb");
    int status;
    if (!r->f) {
        status = netrt_err(err, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    } else {
        status = read_rows(r, model, vals, out, err);
        /* A damaged gzip stream decodes to plausible text up to where zlib notices, maybe only
         * at the checksum at its end, and a truncated one ends as if the file did: a bad row
         * may be the damage, and fewer rows no error at all. So after a bad row the rest is
         * read too, and zlib's verdict on the stream comes before anything about the rows. */
        if (status == -1)
            while (next_byte(r) != EOF)
                continue;
        char where[48];
        snprintf(where, sizeof where, ", noticed at line %ld", r->line);
        NetrtErr gz_err;
        if (netrt_gz_error(r->f, path, where, &gz_err) < 0) {
            *err = gz_err;
            status = -1;
        } else if (status == -2) {
            status = netrt_err(err, "%s:%ld: read error", path, r->line);
        }
        gzclose(r->f);
    }
    free(r);
    free(vals);
    if (status < 0)
        netrt_rows_free(out);
    return status;
}

void netrt_rows_free(NetrtRows *rows)
{
    free(rows->x);
    free(rows->y);
    memset(rows, 0, sizeof *rows);
}
