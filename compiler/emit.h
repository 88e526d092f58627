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
    Arena *scratch;       /* the text of one file, of any length: freed when it is done */
} Emitter;

/* One line of C at the current depth. Besides printf's directives, the text may hold
 *   @R  the element type (float or double)      @f  the literal suffix ("f" or "")
 *   @G  the GEMM (netrt_sgemm, which has cblas_sgemm's arguments, or cblas_dgemm)
 *   @X  e^x (netrt_expf, which vectorizes, or exp)
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
void emit_blank(Emitter *e);
/* The banner that opens a layer: its name and where the .net file declares it. */
void emit_banner(Emitter *e, const IrOp *op);

/* An elementwise activation as C and as math. Where f' is a function of y alone the backward
 * expression reads y[o]; gelu and silu read z[o]. Fused into a dense or conv layer, gelu and
 * silu keep a value k of z for their backward pass instead: z itself for gelu, σ(z) for silu,
 * whose derivative σ + z·σ(1 - σ) is then σ + y(1 - σ), with no second exponential. */
typedef struct {
    char forward[200];   /* C expression of z, giving y                          */
    char backward[200];  /* C expression of y[o], dy[o] (and z[o]), giving dz[o]  */
    char math_fwd[120];  /* the comment's formulas                                */
    char math_bwd[160];
    char keep[120];      /* fused: C expression of z kept for backward ("" none)  */
    char keep_math[16];  /* "z", "σ(z)"                                           */
    char fwd_kept[200];  /* fused forward, of z and k                             */
    char bwd_kept[200];  /* fused backward, of k[o], dy[o] (and y[o])             */
    bool bwd_kept_reads_y;
    char math_bwd_kept[160];
} Activation;
Activation activation(const Emitter *e, const NetLayer *l);
void emit_activation_kept(Emitter *e, const IrOp *op, const char *i);
/* A backward pass with nothing to do, written when the op's input is the data: true if so. */
bool emit_no_input_gradient(Emitter *e, const IrOp *op);
void emit_activation_inputs(Emitter *e, const IrOp *op, const char *b);
void emit_activation_helpers(Emitter *e);
/* A comment "GEMM: LOOP" above a product's call: the loop it stands for. */
void emit_gemm_loop(Emitter *e, const char *loop);
/* emit_conv.c: convolution and pooling. Their passes take the samples of a batch CONV_SAMPLES
 * at a time, shared among the threads. */
enum { CONV_SAMPLES = 4 };
void emit_image_sizes(Emitter *e, const IrOp *op);
void emit_image_forward(Emitter *e, const IrOp *op);
void emit_image_backward(Emitter *e, const IrOp *op);
/* The optimizer's state instances of struct params, as torch.optim names them; returns how many. */
int optimizer_state(const Net *net, const char *names[3]);
/* The parameters of a dense or conv op, as the generated code names and shapes them. */
typedef struct {
    char w_size[160];     /* "DENSE1_OUT * DENSE1_IN", "CONV1_OC * CONV1_IC * CONV1_K * CONV1_K" */
    char b_size[48];      /* "DENSE1_OUT", "CONV1_OC"                                          */
    char w_shape[160];   /* the C initializer of the table's shape: "{DENSE1_OUT, DENSE1_IN}"  */
    char w_text[48];      /* "[32,64]", "[6,1,5,5]"                                             */
    int rank, b_count, fan_in, fan_out;
} Weights;
bool op_weights(const IrOp *op, Weights *w); /* false: the op has no parameters */
void emit_op_forward(Emitter *e, const IrOp *op);
void emit_op_backward(Emitter *e, const IrOp *op);
void emit_loss(Emitter *e, const IrOp *op);
void emit_update(Emitter *e);

#endif
