/* emit.h: what emit.c (the file's frame) and emit_ops.c (one writer per IR op) share. */
#ifndef EMIT_H
#define EMIT_H

#include "netc.h"

typedef struct Emitter {
    FILE *out;
    int depth;            /* indentation, in steps of 4 spaces                     */
    bool f64;             /* double precision                                      */
    const Source *src;
    const Net *net;
    const Ir *ir;
} Emitter;

/* One line of C at the current depth. Besides printf's directives, the text may hold
 *   @R  the element type (float or double)      @f  the literal suffix ("f" or "")
 *   @G  the GEMM (cblas_sgemm or cblas_dgemm)
 * so that one template writes both precisions. */
__attribute__((format(printf, 2, 3)))
void emit(Emitter *e, const char *fmt, ...);
/* A line that opens a block: `fmt {`, then one level deeper. */
__attribute__((format(printf, 2, 3)))
void emit_open(Emitter *e, const char *fmt, ...);
/* A function's opening line, then `{` on a line of its own, then one level deeper. */
__attribute__((format(printf, 2, 3)))
void emit_function(Emitter *e, const char *fmt, ...);
/* `code` with `comment` beside it, the comments of neighbouring lines aligned. */
void emit_commented(Emitter *e, const char *code, const char *comment);
/* The shortest text that reads back as exactly x: 0.1, not 0.10000000000000001. */
const char *fmt_double(char buf[32], double x);
/* `}` one level up; `suffix` follows it (e.g. ";"), or NULL. */
void emit_close(Emitter *e, const char *suffix);
void emit_blank(Emitter *e);
/* The banner that opens a layer: its name and where the .net file declares it. */
void emit_banner(Emitter *e, const IrOp *op);

void emit_activation_helpers(Emitter *e);
/* The optimizer's state instances of struct params, as torch.optim names them; returns how many. */
int optimizer_state(const Net *net, const char *names[3]);
void emit_op_forward(Emitter *e, const IrOp *op);
void emit_op_backward(Emitter *e, const IrOp *op);
void emit_loss(Emitter *e, const IrOp *op);
void emit_update(Emitter *e);

#endif
