/* err.c: the runtime's error record. Failing functions fill a NetrtErr instead of printing, so
 * the caller decides where the text goes (stderr in the trainer, a string compare in the tests),
 * and every message reaches the user in one shape: "netrt: path: message" then "netrt: hint: …". */
#include <stdarg.h>
#include <stdio.h>

#include "netrt_internal.h"

int netrt_err(NetrtErr *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->hint[0] = '\0';
    return -1;
}

void netrt_err_hint(NetrtErr *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

static int err_rank = -1;

void netrt_err_set_rank(int rank)
{
    err_rank = rank;
}

void netrt_err_print(const NetrtErr *err)
{
    char who[32] = "netrt";
    if (err_rank >= 0)
        snprintf(who, sizeof who, "netrt[rank %d]", err_rank);
    fprintf(stderr, "%s: %s\n", who, err->msg);
    if (err->hint[0])
        fprintf(stderr, "%s: hint: %s\n", who, err->hint);
}
