/* ast.c: the arena every front-end node is allocated from, and the value nodes' constructor.
 *
 * A .net file is small, so the front end never frees a node on its own: parsing, checking and
 * lowering allocate here and everything goes at once with arena_free(). That also makes Bison's
 * error recovery leak-free without a %destructor per symbol. */
#include "netc.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

typedef struct Chunk {
    struct Chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} Chunk;

struct Arena {
    Chunk *head;
};

Arena *arena_new(void)
{
    Arena *a = calloc(1, sizeof *a);
    if (!a) {
        fputs("netc: out of memory\n", stderr);
        exit(1);
    }
    return a;
}

void *arena_alloc(Arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    Chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = calloc(1, sizeof *c + cap);
        if (!c) {
            fputs("netc: out of memory\n", stderr);
            exit(1);
        }
        c->size = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_vprintf(Arena *a, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = arena_alloc(a, (size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(text, (size_t)(n > 0 ? n : 0) + 1, fmt, again);
    va_end(again);
    return text;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return text;
}

Value *ast_new_value(Arena *a, ValueKind kind, Loc loc)
{
    Value *v = arena_alloc(a, sizeof *v);
    v->kind = kind;
    v->loc = loc;
    v->depth = 1;
    return v;
}

void arena_free(Arena *a)
{
    if (!a)
        return;
    for (Chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

const char *const statement_words[STMT_KINDS + 1] = {
    [STMT_MODEL] = "model", [STMT_LOSS] = "loss",         [STMT_OPTIMIZER] = "optimizer",
    [STMT_TRAIN] = "train", [STMT_DATA] = "data",         [STMT_SCHEDULE] = "schedule",
    [STMT_LET] = "let",     [STMT_KINDS] = NULL,
};
