/* printer.c: writing C text, at the bottom of the emitter: indentation, the @R/@f/@G/@X
 * templates that write both precisions from one line, numbers, comments and strings that user
 * text can never break out of, and the banner that opens each layer. */
#include "emit.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *emit_text(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vprintf(e->scratch, fmt, ap);
    va_end(ap);
    return text;
}

/* `text` with @R, @f, @X and @G (emit.h) expanded. */
static char *expand(Emitter *e, const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '@' ? 16 : 1;
    char *out = arena_alloc(e->scratch, n + 1), *o = out;
    for (const char *p = text; *p; p++) {
        const char *word = NULL;
        if (p[0] == '@' && p[1] == 'R')
            word = e->f64 ? "double" : "float";
        else if (p[0] == '@' && p[1] == 'f')
            word = e->f64 ? "" : "f";
        else if (p[0] == '@' && p[1] == 'X')
            word = e->f64 ? "exp" : e->inference ? "expf" : "netrt_expf";
        else if (p[0] == '@' && p[1] == 'G')
            word = e->f64 ? "cblas_dgemm" : "netrt_sgemm";
        else if (p[0] == '@' && p[1] == 'T')
            word = e->f64 ? "netrt_dgemm_then" : "netrt_sgemm_then";
        if (word) {
            o += sprintf(o, "%s", word);
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static void vemit(Emitter *e, const char *fmt, va_list ap)
{
    const char *line = expand(e, arena_vprintf(e->scratch, fmt, ap));
    if (line[0] != '\0')
        for (int i = 0; i < e->depth; i++)
            fputs("    ", e->out);
    fputs(line, e->out);
}

void emit(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputc('\n', e->out);
}

void emit_open(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputs(" {\n", e->out);
    e->depth++;
}

void emit_function(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputs("\n{\n", e->out);
    e->depth++;
}

void emit_commented(Emitter *e, const char *code, const char *comment)
{
    emit(e, "%-52s /* %s */", expand(e, code), comment);
}

const char *fmt_double(char buf[32], double x)
{
    for (int digits = 6; digits < 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return buf;
    }
    snprintf(buf, 32, "%.17g", x);
    return buf;
}

void emit_else(Emitter *e)
{
    e->depth--;
    emit_open(e, "} else");
}

void emit_close(Emitter *e, const char *suffix)
{
    e->depth--;
    emit(e, "}%s", suffix ? suffix : "");
}

void emit_blank(Emitter *e)
{
    fputc('\n', e->out);
}

const char *fmt_count(char buf[32], long long n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* User text inside a C comment. It must not end the comment: "*" then "/" gets a space between
 * them, and so do "/" then "*" (which -Wcomment reports) and "??", which C11 may read as a
 * trigraph ("??/" is a backslash, which at the end of a line would join the next one to it).
 * Control bytes become '?'. */
char *comment_text(Emitter *e, const char *text)
{
    char *dst = arena_alloc(e->scratch, 2 * strlen(text) + 1), *o = dst;
    for (const char *p = text; *p; p++) {
        *o++ = (unsigned char)*p < 0x20 ? '?' : *p;
        if ((p[0] == '*' && p[1] == '/') || (p[0] == '/' && p[1] == '*') ||
            (p[0] == '?' && p[1] == '?'))
            *o++ = ' ';
    }
    *o = '\0';
    return dst;
}

/* User text inside a C string literal, which it can never leave: '"' and '\\' are escaped, and
 * so is every '?' ("\\?"), since "??/" is a trigraph for '\\' in C11; control bytes and, unless
 * `utf8` (netc's own text), bytes past ASCII become octal escapes. */
char *c_string(Emitter *e, const char *text, bool utf8)
{
    char *dst = arena_alloc(e->scratch, 4 * strlen(text) + 1), *o = dst;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            o += sprintf(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f || (*p > 0x7f && !utf8))
            o += sprintf(o, "\\%03o", *p);
        else
            *o++ = (char)*p;
    }
    *o = '\0';
    return dst;
}

void emit_banner(Emitter *e, const IrOp *op)
{
    const char *where = comment_text(e, e->src->path), *title;
    if (!op->op) { /* the loss */
        title = emit_text(e, "/* ---- loss (%s:%d) ", where, e->net->loss_loc.first_line);
    } else {
        const Layer *first = op->layer->src, *last = op->act ? op->act->src : first;
        char lines[32];
        if (last->loc.first_line != first->loc.first_line)
            snprintf(lines, sizeof lines, "%d-%d", first->loc.first_line, last->loc.first_line);
        else
            snprintf(lines, sizeof lines, "%d", first->loc.first_line);
        title = emit_text(e, "/* ---- %s%s%s (%s:%s) ", op->layer->name, op->act ? " + " : "",
                          op->act ? op->act->name : "", where, lines);
    }
    /* pad the banner to 100 columns, counting characters, not bytes */
    int width = 0;
    for (const char *p = title; *p; p++)
        width += ((unsigned char)*p & 0xc0) != 0x80;
    char rule[128] = "";
    for (int i = width; i < 97 && i - width < (int)sizeof rule - 1; i++)
        strcat(rule, "-");
    emit(e, "%s%s */", title, rule);
}

