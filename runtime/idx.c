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

int netrt_gz_error(gzFile f, const char *path, const char *where, NetrtErr *err)
{
    int code;
    const char *msg = gzerror(f, &code);
    /* zlib's message starts with the path it was opened with: keep only what follows */
    size_t len = strlen(path);
    if (!strncmp(msg, path, len) && !strncmp(msg + len, ": ", 2))
        msg += len + 2;
    switch (code) {
    case Z_OK:
    case Z_STREAM_END:
        return 0;
    case Z_ERRNO:
        return netrt_err(err, "%s: read error: %s", path, strerror(errno));
    case Z_BUF_ERROR: /* what gzread says when the compressed stream stops short */
        return netrt_err(err, "%s: truncated gzip file (zlib: %s)%s", path, msg, where);
    case Z_DATA_ERROR:
        return netrt_err(err, "%s: corrupt gzip file (zlib: %s)%s", path, msg, where);
    case Z_MEM_ERROR:
        return netrt_err(err, "%s: out of memory reading it%s", path, where);
    default:
        return netrt_err(err, "%s: read error (zlib: %s)%s", path, msg, where);
    }
}

/* After a read that returned got, fewer bytes than asked: -1 with err set when the stream is
 * damaged or unreadable, 0 when the file simply ended there. */
static int stream_failed(gzFile f, const char *path, long long got, NetrtErr *err)
{
    if (netrt_gz_error(f, path, "", err) < 0)
        return -1;
    if (got < 0)
        return netrt_err(err, "%s: read error", path);
    return 0;
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
    if (got < (long long)head_len) {
        if (stream_failed(f, path, got, err) == 0)
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

/* Read the body of f, which its header says is n bytes; what is "pixels" or "labels", shape
 * how the header puts it ("60000 images of 28x28"). The buffer grows with the bytes that
 * actually arrive, so a header that promises more than the file holds costs no more memory
 * than the file; and the file must end with the body, since bytes beyond it mean the header
 * does not describe the file. A gzip stream is read to its end, where its checksum is. */
static uint8_t *read_body(gzFile f, const char *path, size_t n, const char *what,
                          const char *shape, NetrtErr *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0, done = 0;
    while (done < n) {
        if (done == cap) {
            size_t want = cap ? 2 * cap : 1u << 20;
            if (want > n)
                want = n;
            uint8_t *grown = realloc(buf, want);
            if (!grown) {
                free(buf);
                netrt_err(err, "%s: out of memory for %zu bytes of %s", path, want, what);
                return NULL;
            }
            buf = grown;
            cap = want;
        }
        long long got = read_bytes(f, buf + done, cap - done);
        if (got <= 0) {
            if (stream_failed(f, path, got, err) == 0)
                netrt_err(err, "%s: truncated: expected %zu bytes of %s after the header (%s), "
                          "got %zu", path, n, what, shape, done);
            free(buf);
            return NULL;
        }
        done += (size_t)got;
    }
    unsigned char extra[4096];
    long long more = read_bytes(f, extra, sizeof extra), total = 0;
    while (more > 0) {
        total += more;
        more = read_bytes(f, extra, sizeof extra);
    }
    if (stream_failed(f, path, more, err) < 0) {
        free(buf);
        return NULL;
    }
    if (total > 0) {
        netrt_err(err, "%s: %lld byte%s more than the header says: %s, %zu bytes of %s", path,
                  total, total == 1 ? "" : "s", shape, n, what);
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
    /* Every size from here on comes from the file: each is bounded before it is multiplied
     * further, so that nothing wraps (n·rows·cols can pass 2^64, rows·cols an int). */
    unsigned long long size = (unsigned long long)dims[1] * dims[2]; /* < 2^64 */
    const char *bad = NULL;
    char why[96];
    if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) {
        bad = "no pixels";
    } else if (dims[0] > INT32_MAX) {
        bad = "more than 2^31 - 1 images";
    } else if (size > INT32_MAX) {
        snprintf(why, sizeof why, "an image of %llu values, more than 2^31 - 1", size);
        bad = why;
    } else if (size * dims[0] > IDX_MAX_BYTES) { /* < 2^31 · 2^31: no wrap */
        snprintf(why, sizeof why, "%llu bytes of pixels, more than 2 GiB", size * dims[0]);
        bad = why;
    }
    if (bad) {
        gzclose(f);
        return netrt_err(err, "%s: absurd dimensions %ux%ux%u in the header (%s)", path,
                         dims[0], dims[1], dims[2], bad);
    }
    char shape[80];
    snprintf(shape, sizeof shape, "%u images of %ux%u", dims[0], dims[1], dims[2]);
    out->pixels = read_body(f, path, (size_t)(size * dims[0]), "pixels", shape, err);
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
    if (n == 0 || n > INT32_MAX) {
        gzclose(f);
        return netrt_err(err, "%s: absurd number of labels %u in the header", path, n);
    }
    if (n != (uint32_t)out->n) {
        gzclose(f);
        return netrt_err(err, "%s: %u labels, but %s has %d images", path, n, images_path,
                         out->n);
    }
    char shape[40];
    snprintf(shape, sizeof shape, "%u labels", n);
    out->labels = read_body(f, path, n, "labels", shape, err);
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

int netrt_idx_read_images(const char *path, NetrtIdx *out, NetrtErr *err)
{
    memset(out, 0, sizeof *out);
    return read_images(path, out, err);
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
