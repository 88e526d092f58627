/* safetensors.c: tensors to and from a safetensors file, the format PyTorch users load with
 * safetensors.torch.load_file:
 *
 *   8 bytes    N, the header's length, unsigned little-endian
 *   N bytes    a JSON object: for each tensor "NAME": {"dtype": "F32", "shape": [256, 784],
 *              "data_offsets": [BEGIN, END]}, and "__metadata__": {"key": "value", …}; padded
 *              with spaces so that the data starts on a multiple of 8. netrt writes and reads
 *              the dtypes F32, F64, I64 (a counter) and I32 (a checkpoint's sample order); a
 *              scalar has "shape": [] and one value
 *   the data   each tensor's values, row-major, little-endian, at BEGIN … END after the header
 *
 * The reader takes files from anywhere, so it trusts nothing in them: every length and offset is
 * checked against the file before it is used, and the header is parsed by a small JSON reader
 * that knows exactly the shape above. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"

enum { HEADER_MAX = 100 << 20 }; /* safetensors' own limit on the header */

static const char *dtype_name(NetrtTensorType d)
{
    return d == NETRT_TENSOR_I64   ? "I64"
           : d == NETRT_TENSOR_I32 ? "I32"
           : d == NETRT_TENSOR_F64 ? "F64"
                                   : "F32";
}

static size_t dtype_size(NetrtTensorType d)
{
    return d == NETRT_TENSOR_F32 || d == NETRT_TENSOR_I32 ? 4 : 8;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* A JSON string of plain text: names and metadata are netc's own, but a quote or a backslash
 * is escaped all the same, and control bytes as \u00XX. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int netrt_safetensors_write(const char *path, const NetrtTensor *t, int n,
                            const char *const *metadata, NetrtErr *err)
{
    if (!little_endian())
        return netrt_err(err, "%s: safetensors is little-endian, this machine is not", path);
    /* the header, in memory first: its length comes before it */
    char *header = NULL;
    size_t len = 0;
    FILE *h = open_memstream(&header, &len);
    if (!h)
        return netrt_err(err, "%s: out of memory", path);
    fputc('{', h);
    if (metadata && metadata[0]) {
        fputs("\"__metadata__\":{", h);
        for (int i = 0; metadata[i] && metadata[i + 1]; i += 2) {
            fputs(i ? "," : "", h);
            json_string(h, metadata[i]);
            fputc(':', h);
            json_string(h, metadata[i + 1]);
        }
        fputs("},", h);
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        uint64_t bytes = (uint64_t)t[i].count * dtype_size(t[i].dtype);
        fputs(i ? "," : "", h);
        json_string(h, t[i].name);
        fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_name(t[i].dtype));
        for (int d = 0; d < t[i].rank; d++)
            fprintf(h, "%s%d", d ? "," : "", t[i].shape[d]);
        fprintf(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                (unsigned long long)(offset + bytes));
        offset += bytes;
    }
    fputc('}', h);
    if (fclose(h) != 0) {
        free(header);
        return netrt_err(err, "%s: out of memory", path);
    }
    size_t padded = (len + 7) / 8 * 8;

    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        free(header);
        return netrt_err(err, "%s: %s", path, strerror(errno));
    }
    unsigned char size[8];
    for (int i = 0; i < 8; i++)
        size[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(size, 1, 8, out.f);
    fwrite(header, 1, len, out.f);
    for (size_t i = len; i < padded; i++)
        fputc(' ', out.f);
    free(header);
    for (int i = 0; i < n; i++)
        fwrite(t[i].data, dtype_size(t[i].dtype), t[i].count, out.f);
    /* durable: a checkpoint is worth an fsync; a full disk shows at the latest here */
    if (netrt_out_commit(&out, true) != 0)
        return netrt_err(err, "%s: %s", path, strerror(errno));
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* One tensor of the file's header. */
typedef struct {
    char name[256];
    char dtype[8];
    int rank;
    int64_t shape[8];
    uint64_t begin, end;
} Entry;

/* The JSON of a header, read once from start to end. */
typedef struct {
    const char *p, *end;
    const char *fail; /* the first thing that was wrong, or NULL */
} Json;

static void json_space(Json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int json_char(Json *j, char c)
{
    json_space(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

/* A string into buf (cut at size - 1; \uXXXX past ASCII refused): 0, or -1 with j->fail set. */
static int json_string_read(Json *j, char *buf, size_t size)
{
    if (!json_char(j, '"')) {
        j->fail = "expected a string";
        return -1;
    }
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            if (j->p >= j->end)
                break;
            c = *j->p++;
            if (c == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4; i++, j->p++) {
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) {
                        j->fail = "a bad \\u escape";
                        return -1;
                    }
                    v = v * 16 + (unsigned)(*j->p <= '9' ? *j->p - '0' : (*j->p | 32) - 'a' + 10);
                }
                if (v == 0 || v > 0x7f) {
                    j->fail = "a \\u escape past ASCII";
                    return -1;
                }
                c = (char)v;
            } else {
                const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                const char *k = strchr(from, c);
                if (!k || !c) {
                    j->fail = "a bad escape in a string";
                    return -1;
                }
                c = to[k - from];
            }
        }
        if (n + 1 < size)
            buf[n++] = c;
    }
    if (j->p >= j->end) {
        j->fail = "a string that does not end";
        return -1;
    }
    j->p++;
    buf[n] = '\0';
    return 0;
}

/* A whole number in [0, 2^53]. */
static int json_uint(Json *j, uint64_t *out)
{
    json_space(j);
    uint64_t v = 0;
    const char *start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9' && v <= (1ull << 53))
        v = v * 10 + (uint64_t)(*j->p++ - '0');
    if (j->p == start || v > (1ull << 53)) {
        j->fail = "expected a whole number";
        return -1;
    }
    *out = v;
    return 0;
}

/* [a, b, …] of whole numbers, at most max of them. */
static int json_uints(Json *j, uint64_t *out, int max, int *n)
{
    *n = 0;
    if (!json_char(j, '[')) {
        j->fail = "expected a list";
        return -1;
    }
    if (json_char(j, ']'))
        return 0;
    do {
        if (*n == max) {
            j->fail = "a list too long";
            return -1;
        }
        if (json_uint(j, &out[(*n)++]) != 0)
            return -1;
    } while (json_char(j, ','));
    if (!json_char(j, ']')) {
        j->fail = "expected ',' or ']'";
        return -1;
    }
    return 0;
}

/* {"dtype": …, "shape": […], "data_offsets": [b, e]} into e */
static int json_entry(Json *j, Entry *e)
{
    int have = 0;
    if (!json_char(j, '{')) {
        j->fail = "expected '{'";
        return -1;
    }
    do {
        char key[32];
        if (json_string_read(j, key, sizeof key) != 0)
            return -1;
        if (!json_char(j, ':')) {
            j->fail = "expected ':'";
            return -1;
        }
        uint64_t v[8];
        int n;
        if (!strcmp(key, "dtype")) {
            if (json_string_read(j, e->dtype, sizeof e->dtype) != 0)
                return -1;
            have |= 1;
        } else if (!strcmp(key, "shape")) {
            if (json_uints(j, v, 8, &n) != 0)
                return -1;
            e->rank = n;
            for (int i = 0; i < n; i++)
                e->shape[i] = (int64_t)v[i];
            have |= 2;
        } else if (!strcmp(key, "data_offsets")) {
            if (json_uints(j, v, 2, &n) != 0 || n != 2 || v[0] > v[1]) {
                j->fail = "data_offsets is not [begin, end]";
                return -1;
            }
            e->begin = v[0];
            e->end = v[1];
            have |= 4;
        } else {
            j->fail = "an unknown key in a tensor";
            return -1;
        }
    } while (json_char(j, ','));
    if (!json_char(j, '}') || have != 7) {
        j->fail = "a tensor without dtype, shape and data_offsets";
        return -1;
    }
    return 0;
}

/* {"key": "value", …}: into meta (its first NETRT_META_MAX pairs, each cut to its buffers), or
 * read past it when meta is NULL. */
static int json_metadata(Json *j, NetrtMeta *meta)
{
    char key[sizeof meta->key[0]], value[sizeof meta->value[0]];
    if (!json_char(j, '{')) {
        j->fail = "__metadata__ is not an object";
        return -1;
    }
    if (json_char(j, '}'))
        return 0;
    do {
        if (json_string_read(j, key, sizeof key) != 0 || !json_char(j, ':') ||
            json_string_read(j, value, sizeof value) != 0) {
            j->fail = j->fail ? j->fail : "expected ':'";
            return -1;
        }
        if (meta && meta->n < NETRT_META_MAX) {
            memcpy(meta->key[meta->n], key, sizeof key);
            memcpy(meta->value[meta->n], value, sizeof value);
            meta->n++;
        }
    } while (json_char(j, ','));
    if (!json_char(j, '}')) {
        j->fail = "expected ',' or '}' in __metadata__";
        return -1;
    }
    return 0;
}

/* The header's tensors, at most max: their number, or -1 with j->fail set. */
static int json_header(Json *j, Entry *entries, int max, NetrtMeta *meta)
{
    int n = 0;
    if (!json_char(j, '{')) {
        j->fail = "the header is not a JSON object";
        return -1;
    }
    if (json_char(j, '}'))
        goto end;
    do {
        char name[256];
        if (json_string_read(j, name, sizeof name) != 0)
            return -1;
        if (!json_char(j, ':')) {
            j->fail = "expected ':'";
            return -1;
        }
        if (!strcmp(name, "__metadata__")) {
            if (json_metadata(j, meta) != 0)
                return -1;
            continue;
        }
        if (n == max) {
            j->fail = "more tensors than the model has";
            return -1;
        }
        memset(&entries[n], 0, sizeof entries[n]);
        snprintf(entries[n].name, sizeof entries[n].name, "%s", name);
        if (json_entry(j, &entries[n]) != 0)
            return -1;
        n++;
    } while (json_char(j, ','));
    if (!json_char(j, '}')) {
        j->fail = "expected ',' or '}'";
        return -1;
    }
end:
    json_space(j);
    if (j->p != j->end) {
        j->fail = "text after the header's object";
        return -1;
    }
    return n;
}

static const Entry *find_entry(const Entry *entries, int count, const char *name)
{
    for (int k = 0; k < count; k++)
        if (!strcmp(entries[k].name, name))
            return &entries[k];
    return NULL;
}

static void shape_text(char *buf, size_t size, int rank, const int64_t *shape)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

int netrt_safetensors_read(const char *path, NetrtTensor *t, int n, NetrtErr *err)
{
    return netrt_safetensors_load(path, t, n, 0, NULL, err);
}

const char *netrt_meta_get(const NetrtMeta *meta, const char *key)
{
    for (int i = 0; i < meta->n; i++)
        if (!strcmp(meta->key[i], key))
            return meta->value[i];
    return NULL;
}

/* A tensor that is netc's own, not the model's: a checkpoint's state ("netc.…"). */
static int is_extra(const char *name)
{
    return !strncmp(name, "netc.", 5);
}

int netrt_safetensors_load(const char *path, NetrtTensor *t, int n, int flags, NetrtMeta *meta,
                           NetrtErr *err)
{
    if (!little_endian())
        return netrt_err(err, "%s: safetensors is little-endian, this machine is not", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return netrt_err(err, "%s: %s", path, strerror(errno));
    int status = -1;
    char *header = NULL;
    Entry *entries = NULL;
    unsigned char size[8];
    uint64_t len = 0;
    long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint64_t file_size = end > 0 ? (uint64_t)end : 0;
    if (end < 8 || fseek(f, 0, SEEK_SET) != 0 || fread(size, 1, 8, f) != 8) {
        netrt_err(err, "%s: not a safetensors file (shorter than its 8-byte header length)", path);
        goto done;
    }
    for (int i = 0; i < 8; i++)
        len |= (uint64_t)size[i] << (8 * i);
    if (len > HEADER_MAX || len > file_size - 8) {
        netrt_err(err, "%s: not a safetensors file (a header of %llu bytes in a file of %llu)",
                  path, (unsigned long long)len, (unsigned long long)file_size);
        goto done;
    }
    /* room for every tensor a header of len bytes can name (each takes over 40 of them) */
    int max = (int)(len / 40) + 1;
    if (!(flags & (NETRT_LOAD_HEADER | NETRT_LOAD_SKIP_EXTRAS)) && max > n)
        max = n; /* one more is "more tensors than the model has" */
    header = malloc(len + 1);
    entries = calloc((size_t)max + 1, sizeof *entries);
    if (!header || !entries) {
        netrt_err(err, "%s: out of memory for its header", path);
        goto done;
    }
    if (fread(header, 1, len, f) != len) {
        netrt_err(err, "%s: cannot read its header: %s", path, strerror(errno));
        goto done;
    }
    Json j = {header, header + len, NULL};
    if (meta)
        meta->n = 0;
    int count = json_header(&j, entries, max, meta);
    if (count < 0) {
        netrt_err(err, "%s: a bad safetensors header: %s at byte %ld of it", path, j.fail,
                  (long)(j.p - header));
        goto done;
    }
    if (flags & NETRT_LOAD_HEADER) {
        status = 0;
        goto done;
    }
    uint64_t data_size = file_size - 8 - len;
    /* every tensor of the model, by name, with its dtype and shape; nothing else in the file */
    for (int i = 0; i < n; i++) {
        const Entry *e = find_entry(entries, count, t[i].name);
        if (!e) {
            netrt_err(err, "%s: no tensor '%s' (%s, of the model's %d); is it this network's "
                      "file?", path, t[i].name, i ? "a later one" : "the first", n);
            goto done;
        }
        /* zeroed: the loop below reads only the first rank, which GCC 12 for aarch64 cannot
         * prove (-Wmaybe-uninitialized) */
        int64_t want[8] = {0};
        for (int d = 0; d < t[i].rank; d++)
            want[d] = t[i].shape[d];
        int same_shape = e->rank == t[i].rank;
        for (int d = 0; d < e->rank && same_shape; d++)
            same_shape = e->shape[d] == want[d];
        if (strcmp(e->dtype, dtype_name(t[i].dtype)) || !same_shape) {
            char got[96], expected[96];
            shape_text(got, sizeof got, e->rank, e->shape);
            shape_text(expected, sizeof expected, t[i].rank, want);
            netrt_err(err, "%s: tensor '%s' is %s %s, the model's is %s %s", path, t[i].name,
                      e->dtype, got, dtype_name(t[i].dtype), expected);
            goto done;
        }
        uint64_t bytes = (uint64_t)t[i].count * dtype_size(t[i].dtype);
        if (e->end - e->begin != bytes || e->end > data_size) {
            netrt_err(err, "%s: tensor '%s' has data_offsets [%llu, %llu], not %llu bytes within "
                      "the %llu of data", path, t[i].name, (unsigned long long)e->begin,
                      (unsigned long long)e->end, (unsigned long long)bytes,
                      (unsigned long long)data_size);
            goto done;
        }
    }
    int extras = 0;
    for (int k = 0; k < count && (flags & NETRT_LOAD_SKIP_EXTRAS); k++)
        extras += is_extra(entries[k].name);
    if (count - extras != n) {
        for (int k = 0; k < count; k++) {
            int known = (flags & NETRT_LOAD_SKIP_EXTRAS) && is_extra(entries[k].name);
            for (int i = 0; i < n && !known; i++)
                known = !strcmp(entries[k].name, t[i].name);
            if (!known) {
                netrt_err(err, "%s: tensor '%s' is not one of the model's; is it this network's "
                          "file?", path, entries[k].name);
                goto done;
            }
        }
        netrt_err(err, "%s: a tensor appears twice", path);
        goto done;
    }
    /* all checked: now the values */
    for (int i = 0; i < n; i++) {
        const Entry *e = find_entry(entries, count, t[i].name);
        if (fseek(f, (long)(8 + len + e->begin), SEEK_SET) != 0 ||
            fread(t[i].data, dtype_size(t[i].dtype), t[i].count, f) != t[i].count) {
            netrt_err(err, "%s: cannot read tensor '%s'", path, t[i].name);
            goto done;
        }
    }
    status = 0;
done:
    free(header);
    free(entries);
    fclose(f);
    return status;
}
