/* idx.c: reading IDX files (the MNIST format), raw or gzip-compressed alike through zlib.
 *
 * An IDX file is a 4-byte magic number 0x000008DD (0x08: unsigned bytes, DD: number of
 * dimensions), then each dimension as a big-endian uint32, then the bytes. Images files have
 * three dimensions (n, rows, cols), labels files one (n). The data stays as bytes in memory:
 * batches are converted to float a few rows at a time (data.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "netrt_internal.h"

#define IDX_LABELS_MAGIC 0x00000801u
#define IDX_IMAGES_MAGIC 0x00000803u
/* No dataset this runtime is meant for comes near this; a larger size is a corrupt header. */
#define IDX_MAX_BYTES (1ull << 31)

/* Read up to n bytes, looping because gzread takes an int-sized count.
 * Returns the number of bytes read (fewer than n at end of file), or -1 on a read error. */
static long long read_bytes(gzFile f, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < (1u << 24) ? n - done : (1u << 24);
        int got = gzread(f, (char *)buf + done, (unsigned)chunk);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        done += (size_t)got;
    }
    return (long long)done;
}

static int read_error(gzFile f, const char *path, NetrtErr *err)
{
    int code;
    const char *msg = gzerror(f, &code);
    return netrt_err(err, "%s: read error: %s", path, code == Z_ERRNO ? strerror(errno) : msg);
}

/* Open path and read its header: the magic must be `magic`, and its ndim dimensions go to dims.
 * Returns the open file, or NULL with err set. */
static gzFile open_idx(const char *path, uint32_t magic, uint32_t *dims, NetrtErr *err)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        netrt_err(err, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    int ndim = (int)(magic & 0xff);
    unsigned char head[4 + 4 * 3];
    size_t head_len = 4 + 4 * (size_t)ndim;
    long long got = read_bytes(f, head, 4);
    if (got == 4) {
        uint32_t found = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
                         (uint32_t)head[2] << 8 | head[3];
        if (found != magic) {
            netrt_err(err, "%s: not an IDX %s file: magic number 0x%08x, expected 0x%08x", path,
                      magic == IDX_IMAGES_MAGIC ? "images" : "labels", found, magic);
            gzclose(f);
            return NULL;
        }
        got = read_bytes(f, head + 4, head_len - 4);
        if (got >= 0)
            got += 4;
    }
    if (got < 0) {
        read_error(f, path, err);
        gzclose(f);
        return NULL;
    }
    if ((size_t)got < head_len) {
        netrt_err(err, "%s: truncated: expected a %zu-byte header, got %lld bytes", path,
                  head_len, got);
        gzclose(f);
        return NULL;
    }
    for (int d = 0; d < ndim; d++) {
        const unsigned char *p = head + 4 + 4 * d;
        dims[d] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    return f;
}

/* Read the body of f into a new buffer of n bytes; what is one of "pixels" or "labels". */
static uint8_t *read_body(gzFile f, const char *path, size_t n, const char *what, NetrtErr *err)
{
    uint8_t *buf = malloc(n);
    if (!buf) {
        netrt_err(err, "%s: out of memory for %zu bytes of %s", path, n, what);
        return NULL;
    }
    long long got = read_bytes(f, buf, n);
    if (got < 0 || (size_t)got < n) {
        if (got < 0)
            read_error(f, path, err);
        else
            netrt_err(err, "%s: truncated: expected %zu bytes of %s after the header, got %lld",
                      path, n, what, got);
        free(buf);
        return NULL;
    }
    return buf;
}

static int read_images(const char *path, NetrtIdx *out, NetrtErr *err)
{
    uint32_t dims[3];
    gzFile f = open_idx(path, IDX_IMAGES_MAGIC, dims, err);
    if (!f)
        return -1;
    unsigned long long bytes = (unsigned long long)dims[0] * dims[1] * dims[2];
    if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || bytes > IDX_MAX_BYTES) {
        gzclose(f);
        return netrt_err(err, "%s: absurd dimensions %ux%ux%u in the header (%s)", path,
                         dims[0], dims[1], dims[2],
                         bytes ? "more than 2 GiB of pixels" : "no pixels");
    }
    out->pixels = read_body(f, path, (size_t)bytes, "pixels", err);
    gzclose(f);
    if (!out->pixels)
        return -1;
    out->n = (int)dims[0];
    out->rows = (int)dims[1];
    out->cols = (int)dims[2];
    return 0;
}

/* Read the labels matching the images already in out, which came from images_path. */
static int read_labels(const char *path, const char *images_path, int n_classes, NetrtIdx *out,
                       NetrtErr *err)
{
    uint32_t n;
    gzFile f = open_idx(path, IDX_LABELS_MAGIC, &n, err);
    if (!f)
        return -1;
    if (n == 0 || n > IDX_MAX_BYTES) {
        gzclose(f);
        return netrt_err(err, "%s: absurd number of labels %u in the header", path, n);
    }
    if ((int)n != out->n) {
        gzclose(f);
        return netrt_err(err, "%s: %u labels, but %s has %d images", path, n, images_path,
                         out->n);
    }
    out->labels = read_body(f, path, n, "labels", err);
    gzclose(f);
    if (!out->labels)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (out->labels[i] >= n_classes)
            return netrt_err(err, "%s: label %d of sample %u is out of range: the model has %d "
                             "classes (0 to %d)", path, out->labels[i], i, n_classes,
                             n_classes - 1);
    return 0;
}

int netrt_idx_read(const char *images_path, const char *labels_path, int n_classes, NetrtIdx *out,
                   NetrtErr *err)
{
    memset(out, 0, sizeof *out);
    if (read_images(images_path, out, err) < 0 ||
        read_labels(labels_path, images_path, n_classes, out, err) < 0) {
        netrt_idx_free(out);
        return -1;
    }
    return 0;
}

void netrt_idx_free(NetrtIdx *idx)
{
    free(idx->pixels);
    free(idx->labels);
    memset(idx, 0, sizeof *idx);
}
