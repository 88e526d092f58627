/* op.h: one kind of layer, described once.
 *
 * Every layer the language has is one OpDesc, kept with the other ops of its family:
 *   basic.c       input, flatten, dropout, softmax, log_softmax
 *   dense.c       dense
 *   image.c       conv, maxpool, avgpool
 *   activation.c  relu, leaky_relu, elu, sigmoid, tanh, gelu, silu, softplus, mish
 *   norm.c        batchnorm, layernorm
 * and ops.c lists them (losses, optimizers and schedules are described the same way: train.h).
 * A descriptor holds everything about its op: its word, its positional argument and options
 * (type, range, default: the table that also words the errors and `netc layers`), its shape rule,
 * its tensors (parameters and buffers, with their init defaults and PyTorch names), its FLOPs,
 * the arrays it keeps for the backward pass, and its emitters (the trainer's forward and
 * backward, and the inference pass of `netc export`). The checker, the IR, the frames (emit.c,
 * export.c) and `netc check`'s table walk the descriptors; no other file knows an op by name.
 *
 * Adding an op: a descriptor in its family's file (or a new file, listed in CMakeLists.txt), one
 * line in ops.c, a gradient check in tests/gradcheck/, a paragraph in docs/language.md.
 */
#ifndef OP_H
#define OP_H

#include "emit.h"

enum {
    MAX_DIM = 1 << 20,        /* largest size of one dimension                                */
    MAX_LAYER_SIZE = 1 << 24, /* largest activation per sample, in values                     */
    OP_MAX_OPTIONS = 8,
    OP_MAX_TENSORS = 8,
    OP_MAX_ARRAYS = 8,
    OP_MAX_THREADS = 16,      /* the runtime's NETRT_MAX_THREADS: per-thread scratch arrays    */
};
#define MAX_PARAMS ((double)(1 << 28)) /* 1 GiB of float parameters */
_Static_assert(sizeof ((NetLayer *)0)->opt / sizeof(double) >= OP_MAX_OPTIONS,
               "NetLayer.opt holds every option an op may have");

/* ---- what the checker offers an op's shape rule (check.c) ----------------------------------- */

typedef struct Checker Checker;

/* One layer being checked: where it was written, the layer before it, and the layer itself,
 * its options already read. */
typedef struct LayerCheck {
    Checker *c;
    Source *src;
    const Layer *at;        /* as written                                                    */
    const NetLayer *prev;   /* the layer before; NULL for the first                            */
    NetLayer *l;
    const char *word;       /* the kind as written: "swish"                                    */
    char prev_shape[64];    /* prev's shape as the messages show it: "[6,24,24]"               */
    bool options_ok;        /* every option was right                                          */
} LayerCheck;

/* A let resolved to its value, or NULL after an error. */
const Value *check_resolve(Checker *c, const Value *v);
/* A whole number in [1, max] for `what`, or -1 after an error. */
int check_size(Checker *c, const Value *raw, const char *what, int max);
/* A square kernel, K or KxK, or -1 after an error. */
int check_kernel(Checker *c, const Value *v, const char *what);
/* The first setting named key, or NULL. */
const Setting *check_find_setting(const Setting *settings, const char *key);
/* A value as it reads in a message: "'relu'", "512". */
const char *check_value_text(const Value *v, char *buf, size_t size);

/* The output is a vector of n values. */
void set_vector(NetLayer *l, int n);
/* The output has the shape of the input. */
void keep_shape(LayerCheck *lc);

/* ---- the descriptor ---------------------------------------------------------------------- */

typedef enum {
    ARG_NONE,   /* relu                                   */
    ARG_SIZE,   /* dense 512, input 784 or 1x28x28        */
    ARG_PROB,   /* dropout 0.5                            */
    ARG_KERNEL, /* maxpool 2 or 2x2                        */
} OpArg;

typedef enum {
    OPT_NUMBER,       /* a number in [min, max], in NetLayer.opt[i]                          */
    OPT_WHOLE,        /* a whole number in [min, max], in NetLayer.opt[i]                    */
    OPT_KERNEL,       /* K or KxK, in NetLayer.opt[i]                                         */
    OPT_CHOICE,       /* one of `choices`: its index, in NetLayer.opt[i]                      */
    OPT_INIT,         /* an initializer, in NetLayer.init[slot]                               */
    OPT_WEIGHT_DECAY, /* the layer's own L2 coefficient, in NetLayer.weight_decay             */
} OptionType;

typedef struct {
    const char *key;
    OptionType type;
    double min, max;              /* OPT_NUMBER, OPT_WHOLE                                   */
    double def;                   /* OPT_NUMBER, OPT_WHOLE, OPT_CHOICE: the value unless set  */
    const char *const *choices;   /* OPT_CHOICE, ending with NULL                             */
    int slot;                     /* OPT_INIT: 0 the weights', 1 the bias'                   */
    const char *default_text;     /* the default in words, where it is not `def`            */
} OptionSpec;

/* One tensor a layer owns: a parameter (trained) or a buffer (kept, saved, not trained). */
typedef struct {
    char field[48];               /* its field of struct params or struct buffers: "dense1_W"  */
    const char *torch;            /* its name in the module's state_dict: "weight"           */
    int rank, shape[4];           /* rank 0: a scalar                                         */
    char size[160];               /* its size as C: "DENSE1_OUT * DENSE1_IN"                  */
    char shape_c[160];            /* its shape as a C initializer: "{DENSE1_OUT, DENSE1_IN}"   */
    Init init;                    /* how a parameter starts                                   */
    int fan_in, fan_out;
    bool buffer;                  /* not trained: no gradient, no optimizer state             */
    bool count;                   /* a buffer that is an int64 counter                        */
    double buffer_init;           /* a buffer's starting value                                */
} OpTensor;

/* One array an op declares beside its output and its output's gradient. */
typedef struct {
    const char *what;             /* for messages: "kept masks"                               */
    char decl[320];               /* the C declaration, after "static ": "@R x[BATCH_MAX * N]" */
    const char *comment;
    double count, row;            /* values in all, and in the longest row an int indexes     */
} OpArray;

/* What an op's outputs are, where a loss must know. */
typedef enum { YIELDS_VALUES, YIELDS_PROBABILITIES, YIELDS_LOG_PROBABILITIES } OpYields;

typedef struct OpDesc OpDesc;
struct OpDesc {
    const char *word;             /* "dense"                                                  */
    const char *alias;            /* another word for it ("swish"), or NULL                   */
    const char *torch;            /* what it computes, as torch.nn names it: "Linear"        */
    OpArg arg;
    const char *arg_what;         /* the positional argument, for "needs …": "a size"       */
    const char *example;          /* "dense 128"                                              */
    OptionSpec options[OP_MAX_OPTIONS]; /* up to the first with key NULL                       */

    bool is_input;                /* the first layer, and only the first                      */
    bool is_free;                 /* no code: the same memory read another way (flatten)      */
    bool fuses_activation;        /* an activation right after it becomes part of its op      */
    bool uses_training;           /* its forward pass differs while training                  */
    bool uses_rng;                /* it draws from the model's random numbers                  */
    const char *layout;           /* its weights' layout, for the comment on struct params     */
    const char *eval_note;        /* how its forward pass differs when evaluating, for the
                                     comment on forward(): "turns dropout off"                  */
    const char *keeps;            /* an activation whose derivative needs z, not only y: what a
                                     layer it is fused into keeps of z, named: "z", "sigma"      */
    OpYields yields;              /* what its outputs are, for the losses' checks               */
    bool images;                  /* it works on images [C,H,W] (NCHW), CONV_SAMPLES at a time */

    /* Check: the output shape, from lc->prev. NULL: the shape of the input, as elementwise
     * ops keep it. Returns false after an error. */
    bool (*shape)(LayerCheck *lc);
    /* The activation's formulas, for an elementwise activation; NULL for every other op. */
    Activation (*activation)(const Emitter *e, const NetLayer *l);
    /* The layer in `netc check`'s one-line description: "dense1 256". NULL: its name. */
    void (*describe)(const NetLayer *l, char *buf, size_t size);
    /* Its tensors, parameters first, at most OP_MAX_TENSORS; returns how many. NULL: none. */
    int (*tensors)(const NetLayer *l, OpTensor *out);
    /* FLOPs per sample of its forward products (2 per multiply-add), or NULL: none counted.
     * The backward pass costs twice as much, once when the input is the data. */
    long long (*flops)(const NetLayer *l);

    /* Lowering: the names of its size constants (I_name, O_name, U, pre). NULL: NAME_SIZE. */
    void (*lower)(IrOp *op);
    /* The arrays it keeps, for batches of up to batch_max, at most OP_MAX_ARRAYS; returns how
     * many. NULL: none. */
    int (*arrays)(const IrOp *op, int batch_max, OpArray *out);

    /* Emitters. sizes: its constants in the size enum (NULL: NAME_SIZE = I). helpers: functions
     * the file needs once, before the layers, given every op of the file. forward and
     * backward: NAME_forward(int B[, int training]) and NAME_backward(int B). */
    void (*sizes)(Emitter *e, const IrOp *op);
    void (*helpers)(Emitter *e, const Ir *ir);
    void (*forward)(Emitter *e, const IrOp *op);
    void (*backward)(Emitter *e, const IrOp *op);
    /* `netc export` (export.c): the evaluation pass for one sample in plain loops,
     * static void NAME_forward(const float *x, float *y), x the op's input (I values) and y its
     * output (O); the weights are const arrays named as struct params' fields: dense1_W. */
    void (*infer)(Emitter *e, const IrOp *op);
};

/* ---- ops.c ---------------------------------------------------------------------------------- */

/* Every op, in the order the docs and `netc check` list them; ends with NULL. */
extern const OpDesc *const op_list[];
/* The op a word names (its word or its alias), or NULL. */
const OpDesc *op_find(const char *word);
/* Its index in op_list: what the checker numbers the layers of each kind by. */
int op_index(const OpDesc *op);
/* Every layer word, "repeat" last, ending with NULL: for suggestions and the parser. */
const char *const *op_words(void);
/* The tensors of an op's layer (0 when it has none). */
int op_tensors(const NetLayer *l, OpTensor *out);

/* `netc layers`: every layer with its argument, options, ranges and defaults. */
void op_print_reference(FILE *out);
/* The number of values in its parameters (not its buffers). */
long long op_param_count(const NetLayer *l);

/* Helpers the descriptors share. */
/* NAME in capitals, with a suffix: "DENSE1_OUT". */
void op_upper(char *dst, size_t size, const char *name, const char *suffix);
/* A floating literal in the generated code's precision: 0.01f, 1.0f. */
const char *lit(const Emitter *e, char buf[40], double x);
/* A tensor's field, size and shape for a layer, of the given rank and dimensions: each
 * dimension a C constant (`names`) and its value. */
void op_tensor(OpTensor *t, const NetLayer *l, const char *suffix, const char *torch,
               int rank, const char *const *names, const int *dims);

/* The image ops' passes take the samples of a batch CONV_SAMPLES at a time, on the threads. */
enum { CONV_SAMPLES = 4 };

/* Emitters the ops share (activation.c, dense.c). */
/* The activation of a layer: its formulas. */
Activation activation(const Emitter *e, const NetLayer *l);
/* Fused, in the pass over z: y = f(z) into out[i], keeping k in ks[i] if the activation needs it. */
void emit_activation_kept(Emitter *e, const IrOp *op, const char *i);
/* The backward pass's pointers into sample `b`'s rows: the kept k (and y if read), or y; dy. */
void emit_activation_inputs(Emitter *e, const IrOp *op, const char *b);
/* A backward pass with nothing to do, written when the op's input is the data: true if so. */
bool emit_no_input_gradient(Emitter *e, const IrOp *op);
/* A comment "GEMM: LOOP" above a product's call: the loop it stands for. */
void emit_gemm_loop(Emitter *e, const char *loop);
/* Export: y[i] = f(z) of the activation fused into op, for the z already declared. */
void emit_infer_activation(Emitter *e, const IrOp *op, const char *i);

#endif
