/* st_compare A.safetensors B.safetensors TOL: every tensor of A is in B with the same dtype and
 * size, and within TOL of it: ‖a − b‖ ≤ TOL · ‖b‖, the L2 norms of the tensor
 * (F32 and F64; I64 and I32 must be equal). Prints each tensor's relative difference, and the
 * largest of one value's, max|a − b| / max|b|, for information; exit 0 when all are within TOL,
 * 1 when one is not, 2 on a file it cannot read. The MPI tests compare the weights of a run on
 * two ranks with those of a single process.
 *
 * Why the norm: in single precision, a sum taken in another order (each rank's half of the batch,
 * then the two halves) rounds differently, ~1e-7; where that puts a ReLU's input or a max's
 * winner on the other side, one value moves by a whole sample's gradient, ~1e-5 absolute, while
 * the tensor as a whole stays within ~1e-6 (measured: docs/distributed.md). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *header;       /* the JSON header, NUL-terminated */
    unsigned char *data;
    size_t data_len;
} File;

static int load(const char *path, File *f)
{
    FILE *in = fopen(path, "rb");
    unsigned char len8[8];
    if (!in || fread(len8, 1, 8, in) != 8) {
        fprintf(stderr, "st_compare: %s: cannot read\n", path);
        return -1;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | len8[i];
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    if (n > (uint64_t)size - 8) {
        fprintf(stderr, "st_compare: %s: not a safetensors file\n", path);
        return -1;
    }
    f->header = calloc(n + 1, 1);
    f->data_len = (size_t)size - 8 - n;
    f->data = malloc(f->data_len + 1);
    fseek(in, 8, SEEK_SET);
    if (!f->header || !f->data || fread(f->header, 1, n, in) != n ||
        fread(f->data, 1, f->data_len, in) != f->data_len) {
        fprintf(stderr, "st_compare: %s: cannot read\n", path);
        return -1;
    }
    fclose(in);
    return 0;
}

/* The entry of tensor `name` in header: its dtype (3 characters) and data offsets. */
static int find(const File *f, const char *name, char dtype[4], size_t *begin, size_t *end)
{
    char key[512];
    snprintf(key, sizeof key, "\"%s\":{", name);
    const char *at = strstr(f->header, key);
    if (!at)
        return -1;
    const char *d = strstr(at, "\"dtype\":\""), *o = strstr(at, "\"data_offsets\":[");
    if (!d || !o)
        return -1;
    memcpy(dtype, d + 9, 3);
    dtype[3] = '\0';
    unsigned long long b, e;
    if (sscanf(o + 16, "%llu,%llu", &b, &e) != 2 || e < b || e > f->data_len)
        return -1;
    *begin = b, *end = e;
    return 0;
}

static double value(const unsigned char *p, const char *dtype, size_t i)
{
    if (!strcmp(dtype, "F32")) {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    double v;
    memcpy(&v, p + 8 * i, 8);
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: st_compare A.safetensors B.safetensors TOL\n");
        return 2;
    }
    File a, b;
    if (load(argv[1], &a) < 0 || load(argv[2], &b) < 0)
        return 2;
    double tol = atof(argv[3]);
    int status = 0, tensors = 0;
    /* every key of A's header that opens an object with a dtype is a tensor */
    for (const char *p = strstr(a.header, "\":{\"dtype\""); p; p = strstr(p + 1, "\":{\"dtype\"")) {
        const char *q = p;
        while (q > a.header && q[-1] != '"')
            q--;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(p - q), q);
        char da[4], db[4];
        size_t a0, a1, b0, b1;
        if (find(&a, name, da, &a0, &a1) < 0 || find(&b, name, db, &b0, &b1) < 0 ||
            strcmp(da, db) || a1 - a0 != b1 - b0) {
            printf("%s: missing from %s, or another dtype or size\n", name, argv[2]);
            status = 1;
            continue;
        }
        tensors++;
        if (strcmp(da, "F32") && strcmp(da, "F64")) {
            int same = !memcmp(a.data + a0, b.data + b0, a1 - a0);
            printf("%-24s %s\n", name, same ? "equal" : "DIFFERS");
            status |= !same;
            continue;
        }
        size_t n = (a1 - a0) / (!strcmp(da, "F32") ? 4 : 8);
        double diff = 0, scale = 0, d2 = 0, b2 = 0;
        for (size_t i = 0; i < n; i++) {
            double x = value(a.data + a0, da, i), y = value(b.data + b0, db, i);
            diff = fmax(diff, fabs(x - y));
            scale = fmax(scale, fabs(y));
            d2 += (x - y) * (x - y);
            b2 += y * y;
            if (isnan(x) != isnan(y))
                d2 = INFINITY;
        }
        double rel = b2 > 0 ? sqrt(d2 / b2) : sqrt(d2);
        printf("%-24s |a-b|/|b| = %-9.3g max|a-b|/max|b| = %-9.3g%s\n", name, rel,
               scale > 0 ? diff / scale : diff, rel <= tol ? "" : "  > tolerance");
        if (!(rel <= tol))
            status = 1;
    }
    if (tensors == 0) {
        printf("no tensors compared\n");
        status = 1;
    }
    printf("%s: %d tensors, tolerance %g\n", status ? "FAIL" : "ok", tensors, tol);
    return status;
}
