/* emit.h: the printer (printer.c), at the bottom of the emitter: the ops' emitters
 * (compiler/ops/) write their C through it, and the file's frame (emit.c) calls them. */
#ifndef EMIT_H
#define EMIT_H

#include "netc.h"

typedef struct Emitter {
    FILE *out;
    int depth;            /* indentation, in steps of 4 spaces                     */
    bool f64;             /* double precision                                      */
    bool inference;       /* netc export: one sample's evaluation, no gradients, no
                             runtime: @X is the C library's expf                    */
    const Source *src;
    const Net *net;
    const Ir *ir;
    Arena *scratch;       /* the text of one file, of any length: freed when it is done */
} Emitter;

/* One line of C at the current depth. Besides printf's directives, the text may hold
 *   @R  the element type (float or double)      @f  the literal suffix ("f" or "")
 *   @G  the GEMM (netrt_sgemm, which has cblas_sgemm's arguments, or cblas_dgemm)
 *   @X  e^x (netrt_expf, which vectorizes, or exp; expf in an exported file)
 * so that one template writes both precisions. */
__attribute__((format(printf, 2, 3)))
void emit(Emitter *e, const char *fmt, ...);
/* A line that opens a block: `fmt {`, then one level deeper. */
__attribute__((format(printf, 2, 3)))
void emit_open(Emitter *e, const char *fmt, ...);
/* A function's opening line, then `{` on a line of its own, then one level deeper. */
__attribute__((format(printf, 2, 3)))
void emit_function(Emitter *e, const char *fmt, ...);
/* printf into the scratch arena: text of any length, kept until the file is written. */
__attribute__((format(printf, 2, 3)))
char *emit_text(Emitter *e, const char *fmt, ...);
/* `code` with `comment` beside it, the comments of neighbouring lines aligned. */
void emit_commented(Emitter *e, const char *code, const char *comment);
/* The shortest text that reads back as exactly x: 0.1, not 0.10000000000000001. */
const char *fmt_double(char buf[32], double x);
/* `}` one level up; `suffix` follows it (e.g. ";"), or NULL. */
void emit_close(Emitter *e, const char *suffix);
/* `} else {`: closes an if's block and opens its else. */
void emit_else(Emitter *e);
void emit_blank(Emitter *e);
/* The banner that opens a layer (or the loss): its name and where the .net file declares it. */
void emit_banner(Emitter *e, const IrOp *op);
/* User text inside a C comment, which it can never end; inside a C string literal, which it
 * can never leave (bytes past ASCII escaped unless utf8). */
char *comment_text(Emitter *e, const char *text);
char *c_string(Emitter *e, const char *text, bool utf8);

/* An elementwise activation as C and as math. Where f' is a function of y alone the backward
 * expression reads y[o]; otherwise (the op's `keeps`) it reads z[o]. Fused into a dense or conv layer,
 * such an activation keeps a value k of z for its backward pass instead: z itself, or for silu
 * σ(z), whose derivative σ + z·σ(1 - σ) is then σ + y(1 - σ), with no second exponential. */
typedef struct {
    char forward[320];   /* C expression of z, giving y                          */
    char backward[320];  /* C expression of y[o], dy[o] (and z[o]), giving dz[o]  */
    char math_fwd[120];  /* the comment's formulas                                */
    char math_bwd[160];
    char keep[120];      /* fused: C expression of z kept for backward ("" none)  */
    char keep_math[16];  /* "z", "σ(z)"                                           */
    char fwd_kept[320];  /* fused forward, of z and k                             */
    char bwd_kept[320];  /* fused backward, of k[o], dy[o] (and y[o])             */
    bool bwd_kept_reads_y;
    char math_bwd_kept[160];
} Activation;

/* emit_train.c: the loss, the optimizer step and update(). */
void emit_loss(Emitter *e);
/* The optimizer's state instances of struct params, as torch.optim names them; returns how many. */
int optimizer_state(const Net *net, const char *names[3]);
void emit_update(Emitter *e);

#endif
