/* netc.h: the types every stage of the compiler shares, one section per file.
 *
 *   source.c  Source (the .net text), Loc, diag(): the only error printer
 *   ast.c     the arena and the AST: what the user wrote, each node with its location
 *   parse     grammar/lexer.l + grammar/parser.y build the AST (parse_source)
 *   check.c   AST → Net: names resolved, defaults filled, shapes inferred, errors located
 *   ir.c      Net → Ir: ordered ops with concrete sizes and named buffers, activations fused
 *   emit*.c   Ir → one C file: printer.c writes C, emit.c the file's frame, emit_train.c
 *             loss() and update() around the loss's and the optimizer's emitters
 * Every kind of layer is one descriptor in ops/ (ops/op.h), which each stage consults; so is
 * every loss, optimizer and learning-rate schedule (ops/train.h).
 */
#ifndef NETC_H
#define NETC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define NETC_VERSION "0.1.0"

/* ---- source.c ------------------------------------------------------------------------------ */

/* A span of the source, 1-based, inclusive of the last column. The field names are Bison's, so
 * the parser's default location arithmetic works on it. */
typedef struct Loc {
    int first_line, first_column;
    int last_line, last_column;
} Loc;

/* One .net file held in memory for the whole run, so every stage can quote its lines. */
typedef struct Source {
    const char *path; /* as the user typed it */
    char *text;       /* the whole file, NUL-terminated (a NUL inside is reported by the lexer) */
    size_t len;
    int nerrors;      /* errors reported so far against this file */
    int nwarnings;
    bool keep_going;  /* past DIAG_MAX_ERRORS: count errors silently rather than exit (the
                         fuzz harness, for which exit() is a crash); netc leaves it false */
    /* -D NAME=VALUE: a value parsed from the command line has locations with first_line
     * -(k+1), k its index in defines[]; the messages about it name the -D, not the file */
    const char *const *defines;
    /* this source is the text "let " + define, parsed alone (main.c's -D values) */
    const char *define;
    const char *define_flag; /* how such values were given, for messages: "--set"; NULL: "-D" */
    struct HeldDiag *held; /* the messages not yet printed (source.c), in reporting order */
    int nheld, held_cap;
} Source;

/* The length of "let " that main.c puts before a -D's NAME=VALUE to parse it. */
enum { DEFINE_PREFIX = 4 };

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagKind;

enum { DIAG_MAX_ERRORS = 20 }; /* after this many errors netc stops */

bool source_load(Source *src, const char *path); /* false: message printed */
/* The source from a copy of `len` bytes at `text` (the fuzz harness); false: out of memory. */
bool source_from_memory(Source *src, const char *path, const char *text, size_t len);
void source_free(Source *src); /* flushes the messages held */
/* Print the messages held so far, in source order (the command line's and the whole file's
 * first, a note after the message it is about), to stderr. */
void source_flush(Source *src);
typedef struct HeldDiag HeldDiag;

/* path:line:col: kind: message, then the line and a caret under loc. Held, then printed in
 * source order by source_flush() (or source_free()). Exits after too many errors (unless
 * src->keep_going). */
__attribute__((format(printf, 4, 5)))
void diag(Source *src, Loc loc, DiagKind kind, const char *fmt, ...);
void vdiag(Source *src, Loc loc, DiagKind kind, const char *fmt, va_list ap);

/* The candidate closest to `word` by edit distance, if it is close and the only one that close;
 * else NULL. `candidates` ends with NULL. */
const char *suggest(const char *word, const char *const *candidates);
/* The same word in another spelling: case, '_', a "Loss" or "2d" ending (ReLU is relu,
 * CrossEntropyLoss cross_entropy, MaxPool2d maxpool). */
bool same_spelling(const char *a, const char *b);
/* "a, b, c" into buf */
void join_words(char *buf, size_t size, const char *const *words);

/* ---- ast.c --------------------------------------------------------------------------------- */

/* Everything the front end allocates lives in one arena, freed at once; so error recovery in
 * the parser never leaks and no node needs its own destructor. */
typedef struct Arena Arena;
Arena *arena_new(void);
void *arena_alloc(Arena *a, size_t size); /* zeroed; aborts with a message if memory runs out */
char *arena_strndup(Arena *a, const char *s, size_t n);
/* printf into the arena: text of any length, freed with the arena. */
__attribute__((format(printf, 2, 3)))
char *arena_printf(Arena *a, const char *fmt, ...);
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
void arena_free(Arena *a);

typedef enum {
    VAL_NUMBER, /* 0.3, 512, 1e-3 (negative after unary minus)           */
    VAL_SIZE,   /* 28x28, 1x28x28                                         */
    VAL_NAME,   /* he_normal, true                                        */
    VAL_STRING, /* "data/train.idx" (escapes resolved)                    */
    VAL_CALL,   /* normal(0.01): name and arguments                       */
    VAL_LIST,   /* (2, 4, 6): the items in args                            */
    VAL_BINOP,  /* a + b: str is the operator, args the two operands       */
    VAL_NEG,    /* -a: args the operand                                    */
} ValueKind;

typedef struct Value {
    ValueKind kind;
    Loc loc;
    double num;           /* VAL_NUMBER                                            */
    int dims[3], ndims;   /* VAL_SIZE                                              */
    char *str;            /* VAL_NAME, VAL_STRING, VAL_CALL (the function's name),
                             VAL_BINOP (the operator: "+", "-", "*", "/", "^")      */
    struct Value *args;   /* VAL_CALL, VAL_LIST, VAL_BINOP, VAL_NEG: operands, by next */
    struct Value *next;
    int depth;            /* levels of the tree this node heads: 1 for a leaf          */
    bool broken;          /* stands for text already reported as wrong (12ab, 1e999, an
                             unterminated string): the checker says nothing more of it */
} Value;

/* A value node of depth 1, located at loc; the parser sets the rest. */
Value *ast_new_value(Arena *a, ValueKind kind, Loc loc);

/* The deepest expression the parser takes: a tree walk per level, never near the stack's end. */
enum { VALUE_MAX_DEPTH = 256 };

/* `key = value`, in a settings block or after a layer (init=he_normal). */
typedef struct Setting {
    char *key;
    Loc loc;              /* the key                                               */
    Value *value;         /* NULL when the parser already reported a missing '=',
                             or for a block                                          */
    bool is_block;        /* written `key { … }`, even an empty one                   */
    struct Setting *block;/* `augment { flip = horizontal }`: a nested block          */
    bool broken;          /* a syntax error took it (key "", value NULL), or its value is
                             broken: whatever the block needs may have been here, so
                             nothing is "missing"                                    */
    struct Setting *next;
} Setting;

/* One layer as written: `dense 512 init=he_normal`. */
typedef struct Layer Layer;
struct Layer {
    char *kind;           /* "dense", not yet checked                               */
    Loc loc;              /* the kind word                                          */
    Value *arg;           /* the positional argument (512, 1x28x28) or NULL          */
    Value *extra_args;    /* further positional arguments: each one is an error      */
    Setting *opts;
    Layer *body;          /* `repeat N { body }`: kind is "repeat", arg is N         */
    bool broken;          /* a syntax error took it (kind ""): the shapes after it are
                             unknown                                                 */
    Layer *next;
};

typedef enum {
    STMT_MODEL,     /* model NAME { layers }                                    */
    STMT_LOSS,      /* loss NAME                                                */
    STMT_OPTIMIZER, /* optimizer NAME { settings }                              */
    STMT_TRAIN,     /* train { settings }                                       */
    STMT_DATA,      /* data NAME { settings }                                   */
    STMT_SCHEDULE,  /* schedule NAME { settings }                               */
    STMT_LET,       /* let NAME = value: name and value                         */
    STMT_KINDS      /* how many                                                 */
} StmtKind;

/* The keyword of each kind of statement, by StmtKind, ending with NULL: "model", "loss", … */
extern const char *const statement_words[STMT_KINDS + 1];

typedef struct Stmt {
    StmtKind kind;
    Loc loc;              /* the keyword                                           */
    Value *value;         /* the name after the keyword (loss, optimizer, data,
                             schedule), or a let's value                             */
    char *name;           /* STMT_MODEL: the model's name; STMT_LET: the constant's */
    Loc name_loc;
    Layer *layers;        /* STMT_MODEL                                             */
    Setting *settings;    /* the { } block                                         */
    /* A syntax error took part of it (a layer, a setting, a layer written after the model's
     * '}'), or all of it (`lost`: only kind and loc are set). The checker checks what is
     * left, and nothing that the lost part could change. */
    bool broken, lost;
    struct Stmt *next;
} Stmt;

/* ---- parse (grammar/) ---------------------------------------------------------------------- */

/* Parse the whole file into a list of statements, reporting every syntax error it can recover
 * from. Returns NULL only when nothing could be parsed. */
Stmt *parse_source(Source *src, Arena *arena);

/* ---- check.c ------------------------------------------------------------------------------- */

/* A kind of layer, described once: compiler/ops/op.h. */
typedef struct OpDesc OpDesc;

/* The runtime's NetrtInitKind, in the same order, and one more: torch's default. */
typedef enum {
    INIT_ZEROS,
    INIT_CONSTANT,       /* a                                                                  */
    INIT_NORMAL,         /* N(a, b²)                                                           */
    INIT_UNIFORM,        /* U(a, b)                                                            */
    INIT_XAVIER_UNIFORM, /* U(±√(6/(fan_in+fan_out)))                                          */
    INIT_XAVIER_NORMAL,  /* N(0, 2/(fan_in+fan_out))                                           */
    INIT_HE_UNIFORM,     /* U(±√(6/fan_in))                                                    */
    INIT_HE_NORMAL,      /* N(0, 2/fan_in)                                                     */
    INIT_LECUN_UNIFORM,  /* U(±√(3/fan_in))                                                    */
    INIT_LECUN_NORMAL,   /* N(0, 1/fan_in)                                                     */
    INIT_TORCH,          /* torch.nn.Linear's default: U(±1/√fan_in) for W and b              */
} InitKind;

typedef struct {
    InitKind kind;
    double a, b;
} Init;

/* A checked layer: kind known, shape inferred. */
typedef struct NetLayer {
    const OpDesc *op;     /* its kind                                                 */
    char name[32];        /* dense1, relu1: kind + ordinal among layers of that kind  */
    const char *word;     /* its kind as written: "dense", "swish"                   */
    const Layer *src;     /* where it was written                                    */
    int out_shape[3], out_rank; /* the shape of its output, batch dimension left out   */
    int out_size;         /* product of out_shape                                    */
    int in_size;          /* product of its input's shape                            */
    double opt[8];        /* its options' values, in the order of op->options        */
    double arg;           /* a positional number that is not a size: dropout's p     */
    Init init[2];         /* of its weights and of its bias, where it has them       */
    double weight_decay;  /* its own L2 coefficient, or < 0: the optimizer's          */
    int kernel, stride, padding; /* conv, pools: square kernel K×K                      */
    int in_c, in_h, in_w; /* conv, pools, batchnorm: the input image ([C] for a vector)*/
} NetLayer;

/* A loss, an optimizer, a learning-rate schedule, each described once: compiler/ops/train.h. */
typedef struct LossDesc LossDesc;
typedef struct OptimDesc OptimDesc;
typedef struct ScheduleDesc ScheduleDesc;

typedef enum {
    DATA_FASHION_MNIST, DATA_MNIST, DATA_IDX, DATA_CSV, DATA_FUNCTION,
    DATA_KINDS /* how many */
} DataKind;

/* The whole checked program: the model and every setting with its default filled in. */
typedef struct Net {
    const char *name;     /* the model's name                                        */
    NetLayer *layers;     /* layers[0] is the input                                  */
    int nlayers;
    bool regression;      /* targets are values (function, csv without classes)      */
    /* loss */
    const LossDesc *loss;
    Loc loss_loc;
    const char *loss_name; /* as written: "hinge", "multi_margin", …                 */
    double margin, delta; /* multi_margin, huber                                     */
    bool loss_sum;        /* reduction = sum: summed over the outputs (classes), the mean
                             over the batch kept, as the course's frameworks; else torch's mean */
    int margin_p;         /* multi_margin: 1 or 2                                    */
    /* optimizer */
    const OptimDesc *optimizer; /* its word names it: "sgd", "momentum", "nesterov", … */
    double lr, momentum, dampening, weight_decay;
    bool nesterov;
    double beta1, beta2, eps, alpha, lr_decay, initial_accumulator; /* adam, rmsprop, adagrad */
    bool centered;        /* rmsprop                                                 */
    double clip_value, clip_norm; /* 0: no clipping                                  */
    /* schedule */
    const ScheduleDesc *schedule;
    bool schedule_per_step;
    int every;
    double gamma, t_max, eta_min, max_lr, pct_start, div_factor, final_div_factor;
    bool cycle_momentum;  /* one_cycle: momentum max → base → max, as torch's default  */
    double base_momentum, max_momentum;
    int milestones[16], nmilestones;
    /* train */
    int epochs, batch;    /* epochs 0: no limit, max_steps bounds the run; batch 0: the
                             whole training set                                        */
    long long seed;
    long long max_steps;
    double loss_below;
    int patience;
    bool monitor_acc, keep_best;
    const char *plot;     /* the trainer's --plot by default (NULL: none)               */
    /* data */
    DataKind data;
    const char *images, *labels, *test_images, *test_labels; /* DATA_IDX */
    const char *csv;      /* DATA_CSV                                                */
    int csv_target;       /* -1: last                                                */
    bool csv_header;
    const Value *function; /* DATA_FUNCTION: y = …, lets resolved, x its one variable */
    bool linspace;
    double x_lo, x_hi;
    int n;
    double valid, test;   /* held out: a count, or a fraction below 1                */
    bool normalize;
    double mean, std;     /* std == 0: computed by the runtime from the training set */
    bool flip;
    double rotate, shift; /* augmentation                                            */
    int classes;          /* 10 for the built-in datasets, 0 when unknown            */
} Net;

/* A layer's output shape as the messages and tables show it: "[784]", "[1,28,28]". */
void net_shape_text(const NetLayer *l, char *buf, size_t size);

/* Is `word` a kind of layer? (The parser asks, to word an error.) */
bool check_is_layer(const char *word);
/* The word that names a data source: "fashion_mnist". */
const char *check_data_word(DataKind kind);
/* Every word the language accepts, one "KIND word" a line (statement, layer, option, loss,
 * optimizer, schedule, data, init, setting, value, function), from the checker's tables and
 * the descriptors, duplicates included: `netc words`, for the docs' and editors' tests. */
void check_print_words(FILE *f);
/* Is `name` a function an expression may call (sin, log2, sqrt, …)? */
bool check_is_math_function(const char *name);

/* `netc -D NAME=value`: replaces the value of `let NAME` in the file. */
typedef struct {
    const char *name;
    const Value *value;
} Define;

/* Check the statements; on success fill *net (allocated in arena) and return true. */
bool check_program(Source *src, Arena *arena, const Stmt *prog, const Define *defines,
                   int ndefines, Net *net);

/* ---- ir.c ---------------------------------------------------------------------------------- */

/* One op of the trainer: a layer (and the activation fused into it), or the loss. */
typedef struct IrOp {
    const OpDesc *op;           /* the layer's kind; NULL for the loss                      */
    const NetLayer *layer;      /* the layer it comes from                                 */
    const NetLayer *act;        /* the activation fused into it (dense, conv), or NULL      */
    char name[32];              /* prefix of its functions: dense1, relu2, loss             */
    char in[40], out[40];       /* buffers read and written: "input", "relu1_out"            */
    char pre[40];               /* dense, conv: ∂L/∂(the product + bias), before any
                                   activation: d_<layer>_out, which is d_<out> without one    */
    char z[40];                 /* with a fused activation whose derivative needs z: what it
                                   keeps of z (z itself, or silu's σ(z))                      */
    bool in_is_data;            /* the input is the data: no gradient flows into it         */
    int I, O;                   /* sizes per sample: inputs, outputs                        */
    char I_name[40], O_name[40];/* the enum constants naming them                           */
    char U[32];                 /* image ops: prefix of its size constants: CONV1           */
} IrOp;

typedef struct Ir {
    IrOp *ops;                  /* the layers' ops, in order                                */
    int nops;
    IrOp loss;                  /* the loss on the last output, and its gradient            */
    const char *out;            /* the network's output buffer                              */
    int out_size;
    long long nparams;
    long long flops_forward;    /* per sample: 2 per multiply-add of the products            */
    long long flops_train;      /* per sample: forward + backward products                   */
} Ir;

Ir ir_lower(const Net *net, Arena *arena);
/* Whether the trainer's static buffers fit (each array indexable by an int, all of them under
 * 1 GiB) for batches of up to batch_max; errors are reported against the layer at fault. */
bool ir_check_storage(Source *src, const Ir *ir, int batch_max, int value_bytes);
/* The network in one line: "input 784 → dense1 256 → relu1 → dense2 10 → cross_entropy" */
char *ir_describe(const Net *net, Arena *arena);

/* ---- emit.c -------------------------------------------------------------------------------- */

typedef struct {
    bool f64;                   /* double precision (for gradient checks)                     */
    int batch_max;              /* 0: max(train batch, 1024)                                  */
    const char *command;        /* the command line, for the header comment                   */
    bool mpi;                   /* main() calls netrt_main_mpi: a rank under mpirun (--mpi)   */
} EmitOptions;

/* The rows of every buffer: the largest batch the trainer takes, in training or evaluation. */
int emit_batch_max(const Net *net, const EmitOptions *opt);
/* "1,215,488": a count with thousands separators, for people */
const char *fmt_count(char buf[32], long long n);

/* Write the C file for a checked net; false (with a message) on a write error. */
bool emit_c(FILE *out, const Source *src, const Net *net, const Ir *ir, const EmitOptions *opt);

#endif
