/* source.c: the .net file in memory, and the one function that prints diagnostics about it.
 *
 * The shape is GCC's and Clang's:
 *   models/m.net:4:3: error: unknown layer 'dnse'; did you mean 'dense'?
 *       4 |   dnse 512 init=he_normal
 *         |   ^~~~
 */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include "netc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { SOURCE_MAX_BYTES = 16 << 20 }; /* a model file is a page of text; refuse absurd input */

bool source_load(Source *src, const char *path)
{
    memset(src, 0, sizeof *src);
    src->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "netc: %s: %s\n", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "netc: %s: is a directory, not a .net file\n", path);
        fclose(f);
        return false;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (;;) {
        if (!text) {
            fprintf(stderr, "netc: %s: out of memory\n", path);
            fclose(f);
            return false;
        }
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        if (cap > SOURCE_MAX_BYTES) {
            fprintf(stderr, "netc: %s: file is larger than %d MiB; is it a .net file?\n", path,
                    SOURCE_MAX_BYTES >> 20);
            free(text);
            fclose(f);
            return false;
        }
        cap *= 2;
        char *bigger = realloc(text, cap);
        if (!bigger)
            free(text);
        text = bigger;
    }
    int saved = errno;
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "netc: %s: cannot read: %s\n", path, strerror(saved));
        free(text);
        return false;
    }
    text[len] = '\0';
    src->text = text;
    src->len = len;
    return true;
}

bool source_from_memory(Source *src, const char *path, const char *text, size_t len)
{
    memset(src, 0, sizeof *src);
    src->path = path;
    src->text = malloc(len + 1);
    if (!src->text)
        return false;
    memcpy(src->text, text, len);
    src->text[len] = '\0';
    src->len = len;
    return true;
}

void source_free(Source *src)
{
    source_flush(src);
    free(src->held);
    src->held = NULL;
    src->held_cap = 0;
    free(src->text);
    src->text = NULL;
}

/* Print line `line` of the source behind a gutter, and a caret line under columns [col, end].
 * A line longer than QUOTE_WIDTH is shown from QUOTE_BEFORE columns before the caret, with
 * "..." where it was cut. */
static void quote_line(FILE *out, const Source *src, int line, int col, int end)
{
    enum { QUOTE_WIDTH = 160, QUOTE_BEFORE = 60 };
    const char *p = src->text, *limit = src->text + src->len;
    for (int l = 1; l < line && p < limit; p++)
        if (*p == '\n')
            l++;
    const char *eol = p;
    while (eol < limit && *eol != '\n')
        eol++;
    if (p >= limit && line > 1 && col > 1)
        return; /* a location past the end of the text: nothing to quote */
    int n = (int)(eol - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    int from = 0;
    if (n > QUOTE_WIDTH) {
        from = col - 1 > QUOTE_BEFORE ? col - 1 - QUOTE_BEFORE : 0;
        n = from + QUOTE_WIDTH < n ? from + QUOTE_WIDTH : n;
    }
    bool cut_end = p + n < eol && p[n] != '\r';
    fprintf(out, "%5d | %s", line, from ? "..." : "");
    for (int i = from; i < n; i++) /* control bytes would garble the terminal: show them as '?' */
        fputc((unsigned char)p[i] < 0x20 && p[i] != '\t' ? '?' : p[i], out);
    fprintf(out, "%s\n      | %s", cut_end ? "..." : "", from ? "   " : "");
    /* the caret line copies the prefix's tabs so that it lines up at any tab width */
    /* columns count bytes; a character of several UTF-8 bytes takes one column on screen */
    for (int i = from; i < col - 1 && i < n; i++)
        if (((unsigned char)p[i] & 0xc0) != 0x80)
            fputc(p[i] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    for (int i = col; i < end && i < n; i++)
        if (((unsigned char)p[i] & 0xc0) != 0x80)
            fputc('~', out);
    fputc('\n', out);
}

/* The messages are held until source_flush() and printed in source order: the parser's and the
 * checker's, whatever order the checker takes the statements in. A note stays with the error or
 * warning before it; messages about the command line (-D) and the whole file come first. */
struct HeldDiag {
    int line, col;   /* where it sorts */
    int seq;         /* ties keep the order of reporting */
    char *text;
    size_t len;
};

static void hold(Source *src, DiagKind kind, Loc loc, char *text, size_t len)
{
    if (kind == DIAG_NOTE && src->nheld > 0) { /* with the message it is about */
        HeldDiag *h = &src->held[src->nheld - 1];
        char *joined = realloc(h->text, h->len + len + 1);
        if (!joined) {
            fprintf(stderr, "netc: out of memory\n");
            exit(2);
        }
        memcpy(joined + h->len, text, len + 1);
        h->text = joined;
        h->len += len;
        free(text);
        return;
    }
    if (src->nheld == src->held_cap) {
        int cap = src->held_cap ? 2 * src->held_cap : 16;
        HeldDiag *bigger = realloc(src->held, (size_t)cap * sizeof *bigger);
        if (!bigger) {
            fprintf(stderr, "netc: out of memory\n");
            exit(2);
        }
        src->held = bigger;
        src->held_cap = cap;
    }
    bool first = loc.first_line <= 0 || src->define; /* the command line, the whole file */
    src->held[src->nheld] = (HeldDiag){first ? 0 : loc.first_line, first ? 0 : loc.first_column,
                                       src->nheld, text, len};
    src->nheld++;
}

static int held_order(const void *a, const void *b)
{
    const HeldDiag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void source_flush(Source *src)
{
    if (src->nheld == 0)
        return; /* (qsort of no array at all is undefined) */
    qsort(src->held, (size_t)src->nheld, sizeof *src->held, held_order);
    for (int i = 0; i < src->nheld; i++) {
        fwrite(src->held[i].text, 1, src->held[i].len, stderr);
        free(src->held[i].text);
    }
    src->nheld = 0;
    fflush(stderr);
}

void vdiag(Source *src, Loc loc, DiagKind kind, const char *fmt, va_list ap)
{
    static const char *const names[] = {"error", "warning", "note"};
    if (src->keep_going && src->nerrors >= DIAG_MAX_ERRORS) /* past the limit: not printed */
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        fprintf(stderr, "netc: out of memory\n");
        exit(2);
    }
    /* a -D value: "netc: -D NAME=VALUE: error: …", the -D quoted with a caret under the fault */
    const char *define = loc.first_line < 0 && src->defines ? src->defines[-loc.first_line - 1]
                                                            : src->define;
    if (define) {
        int shift = src->define ? DEFINE_PREFIX : 0; /* the -D parsed alone: after "let " */
        int col = loc.first_column - shift, end = loc.last_column - shift;
        int len = (int)strlen(define);
        col = col < 1 ? 1 : col > len ? len : col;
        end = end < col ? col : end > len ? len : end;
        const char *flag = src->define_flag ? src->define_flag : "-D";
        fprintf(out, "netc: %s %s: %s: ", flag, define, names[kind]);
        vfprintf(out, fmt, ap);
        fputc('\n', out);
        if (kind != DIAG_NOTE) { /* a note is about the value just quoted */
            fprintf(out, "      | %s %s\n      |    %*s^", flag, define, col - 1 + (int)strlen(flag) - 2, "");
            for (int i = col; i < end; i++)
                fputc('~', out);
            fputc('\n', out);
        }
    } else if (loc.first_line == 0) { /* about the whole file: placed at its start, nothing quoted */
        fprintf(out, "%s:1:1: %s: ", src->path, names[kind]);
        vfprintf(out, fmt, ap);
        fputc('\n', out);
    } else {
        fprintf(out, "%s:%d:%d: %s: ", src->path, loc.first_line, loc.first_column,
                names[kind]);
        vfprintf(out, fmt, ap);
        fputc('\n', out);
        /* a note about the very place just quoted does not quote it again */
        static Loc last_quoted;
        bool same = kind == DIAG_NOTE && !memcmp(&loc, &last_quoted, sizeof loc);
        int end = loc.last_line == loc.first_line ? loc.last_column : loc.first_column;
        if (!same)
            quote_line(out, src, loc.first_line, loc.first_column,
                       end < loc.first_column ? loc.first_column : end);
        last_quoted = loc;
    }
    if (fclose(out) != 0 || !text) {
        fprintf(stderr, "netc: out of memory\n");
        exit(2);
    }
    hold(src, kind, loc, text, len);
    if (kind == DIAG_WARNING)
        src->nwarnings++;
    if (kind == DIAG_ERROR && ++src->nerrors >= DIAG_MAX_ERRORS) {
        source_flush(src);
        fprintf(stderr, "netc: too many errors in %s, stopping\n", src->path);
        if (!src->keep_going)
            exit(1);
    }
}

void diag(Source *src, Loc loc, DiagKind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(src, loc, kind, fmt, ap);
    va_end(ap);
}

/* Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each cost 1, letters compared across case (Softmx is near softmax).
 * Words here are short identifiers. */
static int edit_distance(const char *a, const char *b)
{
    enum { MAXW = 40 };
    int n = (int)strlen(a), m = (int)strlen(b);
    if (n >= MAXW || m >= MAXW)
        return MAXW;
    int d[MAXW + 1][MAXW + 1];
    for (int i = 0; i <= n; i++)
        d[i][0] = i;
    for (int j = 0; j <= m; j++)
        d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* A word as PyTorch or Keras might spell it, brought to netc's spelling: lower case, no '_',
 * no "Loss" or "2d" at the end: CrossEntropyLoss → crossentropy (cross_entropy), LeakyReLU →
 * leakyrelu, MaxPool2d → maxpool. */
static void plain_spelling(char *dst, size_t size, const char *word)
{
    size_t n = 0;
    for (const char *p = word; *p && n + 1 < size; p++)
        if (*p != '_')
            dst[n++] = (char)tolower((unsigned char)*p);
    dst[n] = '\0';
    if (n > 4 && !strcmp(dst + n - 4, "loss"))
        dst[n -= 4] = '\0';
    if (n > 2 && !strcmp(dst + n - 2, "2d"))
        dst[n - 2] = '\0';
}

bool same_spelling(const char *a, const char *b)
{
    char pa[64], pb[64];
    plain_spelling(pa, sizeof pa, a);
    plain_spelling(pb, sizeof pb, b);
    return !strcmp(pa, pb);
}

const char *suggest(const char *word, const char *const *candidates)
{
    /* the same word in another spelling (ReLU, SGD, CrossEntropyLoss) is the answer */
    char plain[64], other[64];
    plain_spelling(plain, sizeof plain, word);
    for (const char *const *c = candidates; *c; c++) {
        plain_spelling(other, sizeof other, *c);
        if (!strcmp(plain, other))
            return *c;
    }
    int len = (int)strlen(word);
    int limit = len / 3 > 1 ? len / 3 : 1;
    const char *best = NULL;
    int best_d = limit + 1, ties = 0;
    for (const char *const *c = candidates; *c; c++) {
        int d = edit_distance(word, *c);
        if (d < best_d) {
            best = *c;
            best_d = d;
            ties = 0;
        } else if (d == best_d) {
            ties++;
        }
    }
    return best && ties == 0 ? best : NULL;
}

void join_words(char *buf, size_t size, const char *const *words)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *w = words; *w && used < size; w++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", w == words ? "" : ", ", *w);
}
