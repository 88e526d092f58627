/* randnet.c: one random, valid .net file for a seed.
 *
 *   randnet SEED [--smooth]    prints the file on standard output
 *
 * The same seed gives the same file. Every program it writes must pass `netc check` (exit 0,
 * nothing on stderr, or only warnings when the file says `# expect: warnings`), compile with
 * -Wall -Wextra -Werror, and pass tests/gradcheck/gradcheck.c: a program netc rejects is a bug
 * here or in netc, never an accepted outcome. So the generator follows check.c's rules itself:
 * it tracks the shape through every layer, simulates each `repeat` before keeping it, writes
 * the losses only after the outputs they need, and picks every setting inside its range.
 *
 * What it varies: 1-8 layers of every kind (repeat, nested once), widths 1-64, conv/pool
 * geometry on non-square images, every activation with its options, every loss (classification
 * and regression), optimizer, schedule, init and data source, and the spelling of values: lets
 * (of numbers, words, strings, sizes, calls; names up to the 31 characters the parser allows,
 * some named like settings), arithmetic, unary minus, pi and e, numbers as 8., .5, 1E-3,
 * boundary constants (lr = 1e-12, beta2 = 0.999999), long model names, comments, tabs, CRLF.
 *
 * --smooth leaves out what a finite difference cannot follow (see README.md): maxpool behind a
 * trainable layer, and relu, leaky_relu, elu, hinge and multi_margin with p = 1 anywhere a
 * parameter moves their input, and huber's corner (delta = 1e12). Those have kinks; a
 * perturbation of 1e-4 that crosses one makes the numeric gradient wrong, not netc's.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers: splitmix64, so a seed is the whole state -------------------------------- */

static uint64_t state;

static uint64_t next(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int rnd(int n) /* [0, n) */
{
    return (int)(next() % (uint64_t)n);
}

static int between(int lo, int hi) /* [lo, hi] */
{
    return lo + rnd(hi - lo + 1);
}

static bool chance(double p)
{
    return (double)(next() >> 11) / 9007199254740992.0 < p;
}

/* a size: mostly small, sometimes up to max */
static int small_size(int max)
{
    return chance(0.8) ? between(1, max < 8 ? max : 8) : between(1, max);
}

#define PICK(array) (array)[rnd((int)(sizeof(array) / sizeof((array)[0])))]

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t n, cap;
} Buf;

static void put(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)len + 1 > b->cap) {
        b->cap = (b->n + (size_t)len + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) {
            fprintf(stderr, "randnet: out of memory\n");
            exit(2);
        }
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

/* the space between two words: usually one, sometimes more, a tab or a line break */
static void space(Buf *b)
{
    int r = rnd(20);
    put(b, r < 15 ? " " : r < 17 ? "  " : r < 19 ? "\t" : "\n    ");
}

/* ---------------------------------------------------------------------------------------------- */

static Buf lets;
static char let_names[64][32];
static int nlets;
static bool smooth;

static bool name_taken(const char *name)
{
    for (int i = 0; i < nlets; i++)
        if (!strcmp(let_names[i], name))
            return true;
    return false;
}

/* A fresh name: a setting's key (lr = lr reads fine: 'lr =' is a key, 'lr' the let), or a
 * random one starting with 'q', which no word of the language does, up to 31 characters. */
static const char *new_let_name(void)
{
    static const char *const keys[] = {"lr",     "eps",   "beta1",  "beta2",  "gamma", "delta",
                                       "margin", "slope", "alpha",  "every",  "t_max", "max_lr",
                                       "epochs", "seed",  "kernel", "stride", "padding", "width",
                                       "depth",  "n",     "p",      "dampening", "eta_min"};
    static char name[32];
    for (;;) {
        if (chance(0.3)) {
            snprintf(name, sizeof name, "%s", PICK(keys));
        } else {
            int len = chance(0.15) ? 31 : between(1, 12);
            name[0] = 'q';
            for (int i = 1; i < len; i++)
                name[i] = "abcdefghijklmnopqrstuvwxyz_0123456789ABCXYZ"[rnd(43)];
            name[len] = '\0';
        }
        if (!name_taken(name))
            return name;
    }
}

/* let NAME = value: the value's text is written by the caller into `value` first (it may
 * define lets of its own, which then come before this one). */
static const char *define_let(const Buf *value)
{
    const char *name = new_let_name();
    snprintf(let_names[nlets], sizeof let_names[0], "%s", name);
    put(&lets, "let %s = %s\n", name, value->s);
    return let_names[nlets++];
}

static bool can_let(int depth)
{
    return nlets < 56 && depth < 3;
}

/* ---------------------------------------------------------------------------------------------- */

typedef enum { IN_VALUE, IN_POSITION } Where; /* a layer's size takes '(' expr ')' */

static void put_int(Buf *b, long long v, Where where, int depth);

static void put_real(Buf *b, double v, Where where, int depth);

/* the shortest %g that reads back as v */
static void put_shortest(Buf *b, double v, bool upper)
{
    char text[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof text, upper ? "%.*G" : "%.*g", p, v);
        if (strtod(text, NULL) == v)
            break;
    }
    /* 0.5 as .5 sometimes; the lexer reads both */
    if (!strncmp(text, "0.", 2) && chance(0.3))
        put(b, "%s", text + 1);
    else
        put(b, "%s", text);
}

static void put_int(Buf *b, long long v, Where where, int depth)
{
    const char *open = where == IN_POSITION ? "(" : "", *close = where == IN_POSITION ? ")" : "";
    int form = depth >= 3 ? 0 : rnd(v < 0 ? 2 : 14);
    if (v < 0 && form == 0) { /* a negative number is written as one only where a value goes */
        if (where == IN_POSITION)
            put(b, "(%lld)", v);
        else
            put(b, "%lld", v);
        return;
    }
    switch (form) {
    case 1: /* -(-v) */
        put(b, "%s-(", open);
        put_int(b, -v, IN_VALUE, depth + 1);
        put(b, ")%s", close);
        return;
    case 2:
    case 3:
        if (can_let(depth)) {
            Buf value = {0};
            put_int(&value, v, IN_VALUE, depth + 1);
            put(b, "%s", define_let(&value));
            free(value.s);
            return;
        }
        break;
    case 4: { /* a + b */
        long long a = between(-5, 20);
        put(b, "(");
        put_int(b, a, IN_VALUE, depth + 1);
        put(b, chance(0.5) ? " + " : "+");
        put_int(b, v - a, IN_VALUE, depth + 1);
        put(b, ")");
        return;
    }
    case 5: { /* a * b */
        for (long long d = between(2, 5); d > 1; d--)
            if (v % d == 0) {
                put(b, "(");
                put_int(b, d, IN_VALUE, depth + 1);
                put(b, " * ");
                put_int(b, v / d, IN_VALUE, depth + 1);
                put(b, ")");
                return;
            }
        break;
    }
    case 6: { /* (v k) / k */
        long long k = between(2, 7);
        put(b, "(");
        put_int(b, v * k, IN_VALUE, depth + 1);
        put(b, "/%lld)", k);
        return;
    }
    case 7: /* 2^k */
        if (v >= 2 && (v & (v - 1)) == 0) {
            int k = 0;
            while ((1LL << k) != v)
                k++;
            put(b, "(2^%d)", k);
            return;
        }
        break;
    case 8: /* 8. and 8.0 and 8e0: whole numbers all */
        put(b, "%lld%s", v, PICK(((const char *[]){".", ".0", "e0", "E+0", ".000"})));
        return;
    case 9: /* pi - pi is 0 */
        put(b, "(pi - pi + %lld)", v);
        return;
    case 10: /* 1e1 */
        if (v > 0 && v % 10 == 0) {
            put(b, "%llde1", v / 10);
            return;
        }
        break;
    default: break;
    }
    put(b, "%lld", v);
}

/* The value the checker computes for each form below is compared with v: only a form that gives
 * v exactly is written, so a value at the edge of its range stays inside it. */
static void put_real(Buf *b, double v, Where where, int depth)
{
    const char *open = where == IN_POSITION ? "(" : "", *close = where == IN_POSITION ? ")" : "";
    if (v == floor(v) && fabs(v) < 1e9 && chance(0.3)) {
        put_int(b, (long long)v, where, depth);
        return;
    }
    int form = depth >= 3 ? 0 : rnd(12);
    switch (form) {
    case 1: /* -(-v) */
        put(b, "%s-(", open);
        put_real(b, -v, IN_VALUE, depth + 1);
        put(b, ")%s", close);
        return;
    case 2:
    case 3:
        if (can_let(depth)) {
            Buf value = {0};
            put_real(&value, v, IN_VALUE, depth + 1);
            put(b, "%s", define_let(&value));
            free(value.s);
            return;
        }
        break;
    case 4: /* (2v) / 2: exact in binary, unless 2v overflows */
        if (fabs(v) < 1e300 && fabs(v) > 1e-300) {
            put(b, "(");
            put_real(b, 2 * v, IN_VALUE, depth + 1);
            put(b, " / 2)");
            return;
        }
        break;
    case 5: /* 10^k */
        for (int k = -12; k <= 6; k++)
            if (pow(10, k) == v) {
                put(b, "%s10^%s%d%s", open, k < 0 ? "" : "", k, close);
                return;
            }
        break;
    case 6: /* 1/k */
        for (int i = 0; i < 9; i++) {
            int k = (const int[]){2, 4, 8, 10, 100, 1000, 10000, 100000, 1000000}[i];
            if (1.0 / k == v) {
                put(b, "(1/%d)", k);
                return;
            }
        }
        break;
    case 7: /* 1 - 1e-6 and the like */
        for (int k = 1; k <= 9; k++) {
            double small = strtod((char[8]){'1', 'e', '-', (char)('0' + k), 0}, NULL);
            if (1 - small == v) {
                put(b, "(1 - 1e-%d)", k);
                return;
            }
        }
        break;
    case 8:
        put(b, "%s", open);
        put_shortest(b, v, true);
        put(b, "%s", close);
        return;
    case 9: /* scientific */
        for (int p = 0; p <= 16; p++) {
            char text[40];
            snprintf(text, sizeof text, "%.*e", p, v);
            if (strtod(text, NULL) == v) {
                put(b, "%s%s%s", v < 0 ? open : "", text, v < 0 ? close : "");
                return;
            }
        }
        break;
    default: break;
    }
    if (v < 0) {
        put(b, "%s", open);
        put_shortest(b, v, false);
        put(b, "%s", close);
    } else if (v == 0 && chance(0.3)) {
        put(b, "%s", PICK(((const char *[]){"0.0", "0e0", "-0", ".0"})));
    } else {
        put_shortest(b, v, false);
    }
}

/* a word (relu, adam, true, full), as itself or through a let */
static void put_word(Buf *b, const char *word)
{
    if (can_let(0) && chance(0.15)) {
        Buf value = {0};
        put(&value, "%s", word);
        put(b, "%s", define_let(&value));
        free(value.s);
    } else {
        put(b, "%s", word);
    }
}

/* a quoted path, with the characters C strings and comments care about */
static void put_string(Buf *b)
{
    static const char *const paths[] = {
        "\"data/train.csv\"", "\"unused\"", "\"a b/c d.gz\"", "\"we\\\"ird*/x.idx\"",
        "\"back\\\\slash\\\\f.csv\"", "\"/tmp/%d %s %%n\"", "\"?\?=trigraph?\?/\"", "\"x\""};
    const char *path = PICK(paths);
    if (can_let(0) && chance(0.15)) {
        Buf value = {0};
        put(&value, "%s", path);
        put(b, "%s", define_let(&value));
        free(value.s);
    } else {
        put(b, "%s", path);
    }
}

/* `key = value` in a block, or `key=value` on a layer */
static void put_key(Buf *b, const char *key, bool layer)
{
    space(b);
    put(b, layer ? (chance(0.8) ? "%s=" : "%s = ") : (chance(0.8) ? "%s = " : "%s="), key);
}

static double pick_real(const double *values, int n)
{
    return values[rnd(n)];
}
#define PICK_REAL(...) pick_real((const double[]){__VA_ARGS__}, \
                                 (int)(sizeof((const double[]){__VA_ARGS__}) / sizeof(double)))

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    int rank, d[3]; /* [n], [h, w], [c, h, w] */
} Shape;

static int shape_size(Shape s)
{
    return s.rank == 1 ? s.d[0] : s.rank == 2 ? s.d[0] * s.d[1] : s.d[0] * s.d[1] * s.d[2];
}

typedef enum {
    L_DENSE, L_CONV, L_MAXPOOL, L_AVGPOOL, L_FLATTEN, L_DROPOUT, L_ACT, L_SOFTMAX, L_LOG_SOFTMAX,
    L_LAYERNORM, L_BATCHNORM, L_REPEAT
} Kind;

static const char *const acts[] = {"relu", "sigmoid", "tanh",    "leaky_relu", "elu",
                                   "gelu", "silu",    "swish",   "softplus",   "mish"};
enum { A_RELU, A_SIGMOID, A_TANH, A_LEAKY, A_ELU, A_GELU, A_SILU, A_SWISH, A_SOFTPLUS, A_MISH,
       NACTS };

typedef struct Layer {
    Kind kind;
    int n;            /* dense units, conv channels, repeat count                           */
    int k, s, p;      /* conv, pools: kernel, stride, padding                              */
    bool write_s, write_p, kernel_as_size;
    double prob;      /* dropout                                                           */
    int act;          /* L_ACT                                                             */
    double act_param; /* slope, alpha, softplus's beta; < 0: not written                    */
    double threshold; /* softplus; < 0: not written                                        */
    double eps;       /* layernorm, batchnorm; < 0: not written                            */
    double momentum;  /* batchnorm; < 0: not written                                       */
    int affine;       /* layernorm, batchnorm: 0 not written, 1 false, 2 true              */
    int gelu_mode;    /* 0 not written, 1 none, 2 tanh                                     */
    struct Layer *body;
    int nbody;
} Layer;

enum { MAX_BODY = 64, MAX_VALUES = 3000 };

/* Is `l` valid on `in`, and without a warning unless `warn` may be set? Its output in *out. */
static bool apply(const Layer *l, Shape in, Shape *out, bool *warn)
{
    int c = in.rank == 3 ? in.d[0] : 1, h = in.rank >= 2 ? in.d[in.rank - 2] : 1,
        w = in.d[in.rank - 1];
    switch (l->kind) {
    case L_DENSE:
        if (in.rank != 1)
            return false;
        *out = (Shape){1, {l->n, 0, 0}};
        return true;
    case L_CONV:
    case L_MAXPOOL:
    case L_AVGPOOL: {
        if (in.rank == 1)
            return false;
        int K = l->k, S = l->s, P = l->kind == L_CONV ? l->p : 0;
        if (P >= K || K > h + 2 * P || K > w + 2 * P)
            return false;
        int rh = (h + 2 * P - K) % S, rw = (w + 2 * P - K) % S;
        if (rh || rw) {
            if (l->kind != L_CONV || !warn)
                return false;
            *warn = true; /* "stride does not divide evenly": valid, with a warning */
        }
        *out = (Shape){3, {l->kind == L_CONV ? l->n : c, (h + 2 * P - K) / S + 1,
                           (w + 2 * P - K) / S + 1}};
        return shape_size(*out) <= MAX_VALUES;
    }
    case L_FLATTEN:
        if (in.rank == 1) {
            if (!warn)
                return false;
            *warn = true; /* "flatten does nothing" */
        }
        *out = (Shape){1, {shape_size(in), 0, 0}};
        return true;
    case L_SOFTMAX:
    case L_LOG_SOFTMAX:
        if (in.rank != 1)
            return false;
        *out = in;
        return true;
    case L_LAYERNORM:
        if (in.rank != 1)
            return false;
        *out = in;
        return true;
    case L_BATCHNORM:
    case L_DROPOUT:
    case L_ACT: *out = in; return true;
    case L_REPEAT: {
        Shape s = in;
        for (int t = 0; t < l->n; t++)
            for (int i = 0; i < l->nbody; i++)
                if (!apply(&l->body[i], s, &s, warn))
                    return false;
        *out = s;
        return true;
    }
    }
    return false;
}

/* Trainable layers and all layers, as unrolled: the cost of a gradient check. */
static void count(const Layer *l, int *trainable, int *all)
{
    if (l->kind == L_REPEAT) {
        int t = 0, a = 0;
        for (int i = 0; i < l->nbody; i++)
            count(&l->body[i], &t, &a);
        *trainable += t * l->n;
        *all += a * l->n;
        return;
    }
    *trainable += l->kind == L_DENSE || l->kind == L_CONV || l->kind == L_LAYERNORM ||
                  l->kind == L_BATCHNORM;
    *all += 1;
}

/* Does this activation have a kink? relu and leaky_relu in the derivative, elu in it (alpha
 * other than 1) or in the second (alpha = 1: 1 on the right, e^z on the left), which the
 * five-point difference over thousands of units still sees, at every step. */
static bool kinky_act(const Layer *l)
{
    /* softplus switches to z where βz > threshold, with a jump of log(1 + e^-threshold)/β */
    return l->act == A_RELU || l->act == A_LEAKY || l->act == A_ELU ||
           (l->act == A_SOFTPLUS && l->threshold >= 0 && l->threshold < 20);
}

/* A random activation; in smooth mode one without a kink, once a parameter is upstream. */
static Layer random_act(bool upstream)
{
    Layer l;
    do {
        l = (Layer){.kind = L_ACT, .act_param = -1, .threshold = -1, .act = rnd(NACTS)};
        if (l.act == A_LEAKY && chance(0.7))
            l.act_param = PICK_REAL(0, 0.01, 0.1, 0.2, 1, 2.5);
        if (l.act == A_ELU && chance(0.7))
            l.act_param = PICK_REAL(1e-12, 0.3, 1, 1.5);
        if (l.act == A_GELU)
            l.gelu_mode = rnd(3);
        if (l.act == A_SOFTPLUS && chance(0.5))
            l.act_param = PICK_REAL(1e-3, 0.5, 1, 2, 1e3);
        if (l.act == A_SOFTPLUS && chance(0.5))
            l.threshold = PICK_REAL(1, 5, 20, 80);
    } while (smooth && upstream && kinky_act(&l));
    return l;
}

static bool params_upstream; /* a dense or conv layer comes before the one being made */

/* One layer valid on `in`, not a repeat; flatten when no conv or pool geometry fits the image. */
static Layer random_layer(Shape in, bool allow_warn)
{
    Layer l = {0};
    l.act_param = -1;
    if (in.rank == 1) {
        int r = rnd(100);
        if (r < 40) {
            l.kind = L_DENSE;
            l.n = chance(0.85) ? small_size(16) : between(1, 64);
        } else if (r < 78) {
            l = random_act(params_upstream);
        } else if (r < 84 && in.d[0] >= 2) {
            /* over one value, layernorm's output is β: the gradients through it are 0 */
            l.kind = chance(0.5) ? L_LAYERNORM : L_BATCHNORM;
            l.eps = chance(0.5) ? -1 : PICK_REAL(1e-3, 0.1, 1);
            l.momentum = chance(0.5) ? -1 : PICK_REAL(0, 0.1, 0.5, 1);
            l.affine = rnd(3);
        } else if (r < 88) {
            l.kind = L_DROPOUT;
            /* 1/(1-p) scales what is kept: at p = 0.999999 by 1e6, and the loss with it, whose
             * rounding the finite differences of the gradient check then see */
            l.prob = smooth ? PICK_REAL(0, 0.1, 0.25, 0.5) : PICK_REAL(0, 0.1, 0.5, 0.9, 1 - 1e-6);
        } else if (r < 93 && in.d[0] <= 64) { /* over 784 pixels: the same rounding */
            l.kind = L_SOFTMAX;
        } else if ((r < 98 || !allow_warn) && in.d[0] <= 64) {
            l.kind = L_LOG_SOFTMAX;
        } else if (r < 98 || !allow_warn) {
            l = random_act(params_upstream);
        } else {
            l.kind = L_FLATTEN; /* on a vector: valid, with a warning */
        }
        return l;
    }
    int h = in.d[in.rank - 2], w = in.d[in.rank - 1];
    int r = rnd(100);
    if (r < 35) {
        l.kind = L_CONV;
        l.n = between(1, 5);
        for (int tries = 0; tries < 40; tries++) {
            l.k = between(1, 5);
            l.p = chance(0.5) ? 0 : between(0, l.k - 1);
            l.s = chance(0.6) ? 1 : between(1, 3);
            l.write_s = l.s != 1 || chance(0.3);
            l.write_p = l.p != 0 || chance(0.3);
            l.kernel_as_size = chance(0.25);
            Shape out;
            bool warn = false;
            if (apply(&l, in, &out, allow_warn && chance(0.3) ? &warn : NULL))
                return l;
        }
    } else if (r < 55) {
        bool kinky = smooth && params_upstream;
        l.kind = chance(0.5) && !kinky ? L_MAXPOOL : L_AVGPOOL;
        for (int tries = 0; tries < 40; tries++) {
            l.k = between(1, h < w ? (h < 4 ? h : 4) : (w < 4 ? w : 4));
            l.write_s = chance(0.5);
            l.s = l.write_s ? between(1, l.k + 1) : l.k;
            l.kernel_as_size = chance(0.25);
            Shape out;
            if (apply(&l, in, &out, NULL))
                return l;
        }
    } else if (r < 80) {
        return random_act(params_upstream);
    } else if (r < 84) {
        l.kind = L_BATCHNORM;
        l.eps = chance(0.5) ? -1 : PICK_REAL(1e-3, 0.1, 1);
        l.momentum = chance(0.5) ? -1 : PICK_REAL(0, 0.1, 0.5, 1);
        l.affine = rnd(3);
        return l;
    } else if (r < 88) {
        l.kind = L_DROPOUT;
        l.prob = PICK_REAL(0, 0.2, 0.5);
        return l;
    }
    l = (Layer){.kind = L_FLATTEN, .act_param = -1};
    return l;
}

/* A list of up to `max` layers from `in`; *out the shape after them. */
static int random_layers(Layer *list, int max, Shape in, Shape *out, int depth, bool allow_warn,
                         int *trainable, int *all)
{
    int n = 0;
    Shape s = in;
    for (int i = 0; i < max; i++) {
        Layer l;
        if (depth < 2 && chance(depth ? 0.1 : 0.2)) {
            l = (Layer){.kind = L_REPEAT, .act_param = -1};
            l.body = calloc(MAX_BODY, sizeof *l.body);
            int t = 0, a = 0;
            Shape after;
            bool saved = params_upstream;
            /* from the second copy on, the body's own parameters are upstream of its start */
            params_upstream |= smooth;
            l.nbody = random_layers(l.body, between(1, 3), s, &after, depth + 1, allow_warn, &t,
                                    &a);
            params_upstream = saved;
            /* the body must fit its own output: try fewer copies until it does */
            for (l.n = PICK(((const int[]){1, 2, 2, 3, 4})); l.n >= 1; l.n--) {
                bool warn = false;
                Shape o;
                if (apply(&l, s, &o, allow_warn ? &warn : NULL))
                    break;
            }
            if (l.n < 1 || l.nbody == 0)
                continue;
        } else {
            l = random_layer(s, allow_warn);
        }
        int t = 0, a = 0;
        count(&l, &t, &a);
        Shape o;
        bool warn = false;
        if (!apply(&l, s, &o, allow_warn ? &warn : NULL) || *trainable + t > 10 ||
            *all + a > 24)
            continue;
        *trainable += t;
        *all += a;
        params_upstream |= t > 0;
        list[n++] = l;
        s = o;
    }
    *out = s;
    return n;
}

/* ---------------------------------------------------------------------------------------------- */

static void put_init(Buf *b)
{
    static const char *const plain[] = {"zeros",      "xavier_uniform", "xavier_normal",
                                        "he_uniform", "he_normal",      "lecun_uniform",
                                        "lecun_normal"};
    Buf v = {0};
    switch (rnd(6)) {
    case 0: put(&v, "constant("); put_real(&v, PICK_REAL(0, -0.5, 0.1, 1e-7), IN_VALUE, 1);
        put(&v, ")");
        break;
    case 1:
        put(&v, "normal(");
        if (chance(0.5)) {
            put_real(&v, PICK_REAL(0, -1, 0.25), IN_VALUE, 1);
            put(&v, ", ");
        }
        put_real(&v, PICK_REAL(1e-7, 0.01, 0.5, 2), IN_VALUE, 1);
        put(&v, ")");
        break;
    case 2:
        put(&v, "uniform(");
        if (chance(0.5)) {
            put_real(&v, PICK_REAL(1e-7, 0.3, 1), IN_VALUE, 1);
        } else {
            double a = PICK_REAL(-1, -0.25, 0);
            put_real(&v, a, IN_VALUE, 1);
            put(&v, ", ");
            put_real(&v, a + PICK_REAL(1e-7, 0.5, 2), IN_VALUE, 1);
        }
        put(&v, ")");
        break;
    default: put(&v, "%s", PICK(plain)); break;
    }
    /* an init as a let: `let my_init = normal(0, 0.5)`, then `init=my_init` */
    if (can_let(0) && chance(0.15))
        put(b, "%s", define_let(&v));
    else
        put(b, "%s", v.s);
    free(v.s);
}

/* The options of a dense or conv layer, in a random order. */
static void put_trainable_options(Buf *b, const Layer *l)
{
    const char *opts[6];
    int n = 0;
    if (l->kind == L_CONV) {
        opts[n++] = "kernel";
        if (l->write_s)
            opts[n++] = "stride";
        if (l->write_p)
            opts[n++] = "padding";
    }
    if (chance(0.4))
        opts[n++] = "init";
    if (chance(0.2))
        opts[n++] = "bias";
    if (chance(0.2))
        opts[n++] = "weight_decay";
    for (int i = n - 1; i > 0; i--) {
        int j = rnd(i + 1);
        const char *t = opts[i];
        opts[i] = opts[j];
        opts[j] = t;
    }
    for (int i = 0; i < n; i++) {
        put_key(b, opts[i], true);
        if (!strcmp(opts[i], "kernel")) {
            if (l->kernel_as_size && chance(0.2) && can_let(0)) {
                Buf v = {0};
                put(&v, "%dx%d", l->k, l->k);
                put(b, "%s", define_let(&v));
                free(v.s);
            } else if (l->kernel_as_size) {
                put(b, "%dx%d", l->k, l->k);
            } else {
                put_int(b, l->k, IN_VALUE, 0);
            }
        } else if (!strcmp(opts[i], "stride")) {
            put_int(b, l->s, IN_VALUE, 0);
        } else if (!strcmp(opts[i], "padding")) {
            put_int(b, l->p, IN_VALUE, 0);
        } else if (!strcmp(opts[i], "weight_decay")) {
            put_real(b, PICK_REAL(0, 1e-7, 5e-4, 0.1, 1e6), IN_VALUE, 0);
        } else {
            put_init(b);
        }
    }
}

static void put_layers(Buf *b, const Layer *list, int n, int indent);

static void put_layer(Buf *b, const Layer *l, int indent)
{
    switch (l->kind) {
    case L_DENSE:
        put(b, "dense");
        space(b);
        put_int(b, l->n, IN_POSITION, 0);
        put_trainable_options(b, l);
        break;
    case L_CONV:
        put(b, "conv");
        space(b);
        put_int(b, l->n, IN_POSITION, 0);
        put_trainable_options(b, l);
        break;
    case L_MAXPOOL:
    case L_AVGPOOL:
        put(b, "%s ", l->kind == L_MAXPOOL ? "maxpool" : "avgpool");
        if (l->kernel_as_size)
            put(b, "%dx%d", l->k, l->k);
        else
            put_int(b, l->k, IN_POSITION, 0);
        if (l->write_s) {
            put_key(b, "stride", true);
            put_int(b, l->s, IN_VALUE, 0);
        }
        break;
    case L_FLATTEN: put(b, "flatten"); break;
    case L_DROPOUT:
        put(b, "dropout ");
        put_real(b, l->prob, IN_POSITION, 0);
        break;
    case L_ACT:
        put_word(b, acts[l->act]);
        if (l->act_param >= 0) {
            put_key(b, l->act == A_LEAKY ? "slope" : l->act == A_ELU ? "alpha" : "beta", true);
            put_real(b, l->act_param, IN_VALUE, 0);
        }
        if (l->threshold >= 0) {
            put_key(b, "threshold", true);
            put_real(b, l->threshold, IN_VALUE, 0);
        }
        if (l->act == A_GELU && l->gelu_mode) {
            put_key(b, "approximate", true);
            put_word(b, l->gelu_mode == 1 ? "none" : "tanh");
        }
        break;
    case L_SOFTMAX: put(b, "softmax"); break;
    case L_LOG_SOFTMAX: put(b, "log_softmax"); break;
    case L_LAYERNORM:
    case L_BATCHNORM:
        put(b, l->kind == L_LAYERNORM ? "layernorm" : "batchnorm");
        if (l->kind == L_BATCHNORM && l->momentum >= 0) {
            put_key(b, "momentum", true);
            put_real(b, l->momentum, IN_VALUE, 0);
        }
        if (l->eps >= 0) {
            put_key(b, "eps", true);
            put_real(b, l->eps, IN_VALUE, 0);
        }
        if (l->affine) {
            put_key(b, "affine", true);
            put_word(b, l->affine == 1 ? "false" : "true");
        }
        break;
    case L_REPEAT:
        put(b, "repeat ");
        put_int(b, l->n, IN_POSITION, 0);
        put(b, " {");
        put_layers(b, l->body, l->nbody, indent + 1);
        put(b, "\n%*s}", indent * 2, "");
        break;
    }
}

static void put_layers(Buf *b, const Layer *list, int n, int indent)
{
    bool comment = false; /* the line ends in a comment */
    for (int i = 0; i < n; i++) {
        /* an activation after a dense or conv layer often shares its line, as people write it */
        bool same_line = i > 0 && !comment && list[i].kind == L_ACT &&
                         (list[i - 1].kind == L_DENSE || list[i - 1].kind == L_CONV) && chance(0.6);
        if (same_line)
            put(b, chance(0.7) ? "  " : " ");
        else
            put(b, "\n%*s", indent * 2, "");
        put_layer(b, &list[i], indent);
        comment = chance(0.05);
        if (comment)
            put(b, "  # %s", PICK(((const char *[]){"a comment", "{ not a block }", "dense 5",
                                                    "\"quoted\"", "*/ /*", "let x = 1"})));
    }
}

/* ---------------------------------------------------------------------------------------------- */

typedef enum { D_FASHION, D_MNIST, D_IDX, D_CSV_CLASSES, D_CSV_REGRESS, D_FUNCTION } DataKind;
typedef enum {
    LO_CE, LO_NLL, LO_MSE, LO_BCE, LO_HINGE, LO_MULTI_MARGIN, LO_HUBER, LO_KL_DIV
} LossKind;
static const char *const loss_words[] = {"cross_entropy", "nll",   "mse",  "binary_cross_entropy",
                                         "hinge",         "multi_margin", "huber", "kl_div"};

/* y = f(x) for `data function`: a small tree, finite wherever the checker looks */
typedef struct Node {
    int op; /* 'x', 'n' number, 'p' pi, 'e' e, '+', '-', '*', '/', '^', 'u' unary minus, 'f' call */
    double num;
    const char *fn;
    struct Node *a, *b;
} Node;

static const char *const math_fns[] = {"sin", "cos", "tan", "exp", "log", "log2", "log10",
                                       "sqrt", "abs", "tanh"};

static Node *random_node(int depth)
{
    Node *n = calloc(1, sizeof *n);
    int r = depth >= 3 ? rnd(4) : rnd(11);
    if (r == 0 || r == 1) {
        n->op = 'x';
    } else if (r == 2) {
        n->op = 'n';
        n->num = PICK_REAL(0.5, 2, 3, -1, 1e-7, 10);
    } else if (r == 3) {
        n->op = chance(0.5) ? 'p' : 'e';
    } else if (r <= 7) {
        n->op = "+-*/^"[rnd(5)];
        n->a = random_node(depth + 1);
        n->b = n->op == '^' ? calloc(1, sizeof *n->b) : random_node(depth + 1);
        if (n->op == '^') { /* small whole powers: defined for a negative base */
            n->b->op = 'n';
            n->b->num = PICK_REAL(2, 3, -1, 0.5);
        }
    } else if (r == 8) {
        n->op = 'u';
        n->a = random_node(depth + 1);
    } else {
        n->op = 'f';
        n->fn = PICK(math_fns);
        n->a = random_node(depth + 1);
    }
    return n;
}

/* as check.c's eval_at; false if this node or one below is not finite at x */
static bool eval(const Node *n, double x, double *out)
{
    double a = 0, b = 0;
    if (n->a && !eval(n->a, x, &a))
        return false;
    if (n->b && !eval(n->b, x, &b))
        return false;
    double r;
    switch (n->op) {
    case 'x': r = x; break;
    case 'n': r = n->num; break;
    case 'p': r = 3.14159265358979323846; break;
    case 'e': r = 2.71828182845904523536; break;
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': r = a / b; break;
    case '^': r = pow(a, b); break;
    case 'u': r = -a; break;
    default: {
        const char *f = n->fn;
        r = !strcmp(f, "sin")     ? sin(a)
            : !strcmp(f, "cos")   ? cos(a)
            : !strcmp(f, "tan")   ? tan(a)
            : !strcmp(f, "exp")   ? exp(a)
            : !strcmp(f, "log")   ? log(a)
            : !strcmp(f, "log2")  ? log2(a)
            : !strcmp(f, "log10") ? log10(a)
            : !strcmp(f, "sqrt")  ? sqrt(a)
            : !strcmp(f, "abs")   ? fabs(a)
                                  : tanh(a);
    }
    }
    *out = r;
    return isfinite(r);
}

static void put_node(Buf *b, const Node *n)
{
    switch (n->op) {
    case 'x': put(b, "x"); break;
    case 'n': put_real(b, n->num, IN_VALUE, 2); break;
    case 'p': put(b, "pi"); break;
    case 'e': put(b, "e"); break;
    case 'u':
        put(b, chance(0.5) ? "-(" : "- (");
        put_node(b, n->a);
        put(b, ")");
        break;
    case 'f':
        put(b, "%s(", n->fn);
        put_node(b, n->a);
        put(b, ")");
        break;
    default:
        /* the base of ^ in parentheses: -0.5 ^ 2 is -(0.5 ^ 2) */
        put(b, n->op == '^' ? "((" : "(");
        put_node(b, n->a);
        put(b, n->op == '^' ? ")" : "");
        put(b, chance(0.5) ? " %c " : "%c", n->op);
        /* the exponent of ^ binds tighter than unary minus: 2 ^ -1 */
        if (n->op == '^' && n->b->num < 0 && chance(0.5))
            put(b, "-%g", -n->b->num);
        else
            put_node(b, n->b);
        put(b, ")");
    }
}

static const char *opt_words[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                                  "adamw"};
enum { O_SGD, O_MOMENTUM, O_NESTEROV, O_ADAGRAD, O_RMSPROP, O_ADAM, O_ADAMW };

static void put_bool(Buf *b, bool v)
{
    put_word(b, v ? "true" : "false");
}

static void put_optimizer(Buf *b, int opt)
{
    put(b, "optimizer ");
    put_word(b, opt_words[opt]);
    put(b, " {");
    bool sgd = opt <= O_NESTEROV;
    if (sgd || chance(0.7)) {
        put_key(b, "lr", false);
        put_real(b, PICK_REAL(1e-12, 1e-7, 1e-3, 0.01, 0.1, 0.5, 1, 3, 1e6), IN_VALUE, 0);
    }
    if (sgd) {
        /* nesterov needs momentum > 0 and no dampening; 'nesterov' is on by default */
        bool nesterov = opt == O_NESTEROV;
        if (chance(0.3)) {
            nesterov = chance(0.5);
            put_key(b, "nesterov", false);
            put_bool(b, nesterov);
        }
        double momentum = opt == O_SGD ? 0 : 0.9;
        if (chance(0.4) || (nesterov && momentum == 0)) {
            momentum = nesterov ? PICK_REAL(0.5, 0.9, 1 - 1e-6) : PICK_REAL(0, 0.5, 0.9, 1 - 1e-6);
            put_key(b, "momentum", false);
            put_real(b, momentum, IN_VALUE, 0);
        }
        if (chance(0.3)) {
            put_key(b, "dampening", false);
            put_real(b, nesterov ? 0 : PICK_REAL(0, 0.1, 1), IN_VALUE, 0);
        }
    }
    if (opt == O_ADAGRAD) {
        if (chance(0.5)) {
            put_key(b, "lr_decay", false);
            put_real(b, PICK_REAL(0, 1e-7, 0.01, 1e6), IN_VALUE, 0);
        }
        if (chance(0.5)) {
            put_key(b, "initial_accumulator_value", false);
            put_real(b, PICK_REAL(0, 0.1, 1e6), IN_VALUE, 0);
        }
    }
    if (opt == O_RMSPROP) {
        if (chance(0.5)) {
            put_key(b, "alpha", false);
            put_real(b, PICK_REAL(0, 0.9, 0.99, 1 - 1e-6), IN_VALUE, 0);
        }
        if (chance(0.5)) {
            put_key(b, "momentum", false);
            put_real(b, PICK_REAL(0, 0.9, 1 - 1e-6), IN_VALUE, 0);
        }
        if (chance(0.5)) {
            put_key(b, "centered", false);
            put_bool(b, chance(0.5));
        }
    }
    if (opt >= O_ADAM && chance(0.5)) {
        put_key(b, "beta1", false);
        put_real(b, PICK_REAL(0, 0.5, 0.9, 1 - 1e-6), IN_VALUE, 0);
    }
    if (opt >= O_ADAM && chance(0.5)) {
        put_key(b, "beta2", false);
        put_real(b, PICK_REAL(0, 0.999, 1 - 1e-6), IN_VALUE, 0);
    }
    if (opt >= O_ADAGRAD && chance(0.5)) {
        put_key(b, "eps", false);
        put_real(b, PICK_REAL(1e-30, 1e-10, 1e-8, 1e-7, 0.5, 1), IN_VALUE, 0); /* [1e-30, 1] */
    }
    if (chance(0.4)) {
        put_key(b, "weight_decay", false);
        put_real(b, PICK_REAL(0, 1e-7, 1e-4, 0.01, 0.5, 1e6), IN_VALUE, 0);
    }
    if (chance(0.3)) {
        put_key(b, chance(0.5) ? "clip_value" : "clip_norm", false);
        put_real(b, PICK_REAL(1e-12, 1e-3, 0.5, 1, 5, 1e12), IN_VALUE, 0);
    }
    put(b, " }");
}

static void put_schedule(Buf *b, int opt)
{
    static const char *const words[] = {"constant", "step", "multistep", "exponential", "cosine",
                                        "one_cycle"};
    int k = rnd(6);
    put(b, "schedule ");
    put_word(b, words[k]);
    if (k == 0) {
        if (chance(0.5))
            put(b, " {}");
        return;
    }
    put(b, " {");
    switch (k) {
    case 1:
        put_key(b, "every", false);
        put_int(b, PICK(((const int[]){1, 2, 30, 1000000000})), IN_VALUE, 0);
        break;
    case 2: {
        put_key(b, "milestones", false);
        int n = chance(0.2) ? 1 : between(2, 16), m = 0;
        if (n == 1 && chance(0.5)) {
            put_int(b, between(1, 50), IN_VALUE, 0);
            break;
        }
        put(b, "(");
        for (int i = 0; i < n; i++) {
            m += between(1, 20);
            put(b, i ? ", " : "");
            put_int(b, m, IN_VALUE, 1);
        }
        put(b, ")");
        break;
    }
    case 3:
        put_key(b, "gamma", false);
        put_real(b, PICK_REAL(1e-12, 0.5, 0.95, 1, 1e6), IN_VALUE, 0);
        break;
    case 4:
        put_key(b, "t_max", false);
        put_real(b, PICK_REAL(1, 10, 2.5, 1e12), IN_VALUE, 0);
        if (chance(0.5)) {
            put_key(b, "eta_min", false);
            put_real(b, PICK_REAL(0, 1e-7, 0.01, 1e6), IN_VALUE, 0);
        }
        break;
    case 5: {
        put_key(b, "max_lr", false);
        put_real(b, PICK_REAL(1e-12, 0.1, 1, 1e6), IN_VALUE, 0);
        if (chance(0.5)) {
            put_key(b, "pct_start", false);
            put_real(b, PICK_REAL(0, 0.3, 1 - 1e-6), IN_VALUE, 0);
        }
        if (chance(0.4)) {
            put_key(b, "div_factor", false);
            put_real(b, PICK_REAL(1e-12, 25, 1e12), IN_VALUE, 0);
        }
        if (chance(0.4)) {
            put_key(b, "final_div_factor", false);
            put_real(b, PICK_REAL(1e-12, 1e4, 1e12), IN_VALUE, 0);
        }
        /* Adam's beta1 is not cycled: cycle_momentum = true would warn */
        bool cycle = opt >= O_ADAM ? false : chance(0.7);
        bool write_cycle = opt >= O_ADAM || chance(0.5);
        if (!write_cycle)
            cycle = true; /* the default */
        if (write_cycle) {
            put_key(b, "cycle_momentum", false);
            put_bool(b, cycle);
        }
        double base = 0.85, max = 0.95;
        if (chance(0.5)) {
            base = PICK_REAL(0, 0.5, 0.85, 0.9);
            put_key(b, "base_momentum", false);
            put_real(b, base, IN_VALUE, 0);
        }
        if (chance(0.5)) {
            bool sgd_like = opt <= O_NESTEROV || opt == O_RMSPROP;
            max = cycle && sgd_like ? base + (1 - 1e-6 - base) * PICK_REAL(0.5, 1)
                                    : PICK_REAL(0, 0.95, 1 - 1e-6);
            put_key(b, "max_momentum", false);
            put_real(b, max, IN_VALUE, 0);
        }
        break;
    }
    }
    if ((k == 1 || k == 2) && chance(0.3)) {
        put_key(b, "gamma", false);
        put_real(b, PICK_REAL(1e-12, 0.1, 0.5, 1e6), IN_VALUE, 0);
    }
    if (k >= 1 && k <= 4 && chance(0.4)) {
        put_key(b, "per", false);
        put_word(b, chance(0.5) ? "epoch" : "step");
    }
    put(b, " }");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: randnet SEED [--smooth]\n");
        return 2;
    }
    char *end;
    unsigned long long seed = strtoull(argv[1], &end, 10);
    if (*end) {
        fprintf(stderr, "randnet: the seed is a whole number, got '%s'\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++)
        smooth |= !strcmp(argv[i], "--smooth");
    state = seed;
    next();

    bool warned = false; /* a construct that netc accepts with a warning */
    Buf model = {0}, loss = {0}, opt = {0}, sched = {0}, train = {0}, data = {0};

    /* the data decides the task: classes (how many) or one value */
    int dk = PICK(((const int[]){D_FASHION, D_MNIST, D_IDX, D_IDX, D_IDX, D_CSV_CLASSES,
                                 D_CSV_CLASSES, D_CSV_REGRESS, D_FUNCTION, D_FUNCTION}));
    bool regression = dk == D_CSV_REGRESS || dk == D_FUNCTION;
    int classes = dk <= D_MNIST ? 10 : dk == D_IDX ? (chance(0.8) ? between(2, 12) : between(2, 64))
                                                   : between(2, 12);
    int outputs = regression ? 1 : classes;

    /* the input */
    Shape in;
    if (dk <= D_MNIST) {
        int r = rnd(3);
        in = r == 0 ? (Shape){1, {784, 0, 0}} : r == 1 ? (Shape){2, {28, 28, 0}}
                                                         : (Shape){3, {1, 28, 28}};
    } else if (dk == D_FUNCTION) {
        int r = rnd(10);
        in = r < 8 ? (Shape){1, {1, 0, 0}} : r == 8 ? (Shape){2, {1, 1, 0}}
                                                    : (Shape){3, {1, 1, 1}};
    } else {
        int r = rnd(3);
        in = r == 0 ? (Shape){1, {chance(0.8) ? small_size(16) : between(1, 64), 0, 0}}
             : r == 1 ? (Shape){2, {between(1, 9), between(1, 9), 0}}
                      : (Shape){3, {between(1, 3), between(1, 9), between(1, 9)}};
    }

    /* the loss, and the ending it needs */
    int lk = regression ? (chance(0.5) ? LO_MSE : LO_HUBER) : rnd(8);
    int margin_p = 1 + (lk == LO_HINGE || lk == LO_MULTI_MARGIN ? rnd(2) : 0);
    if (smooth && (lk == LO_HINGE || lk == LO_MULTI_MARGIN))
        margin_p = 2;

    /* the layers */
    bool allow_warn = chance(0.15);
    Layer *layers = calloc(MAX_BODY, sizeof *layers);
    int trainable = 0, all = 0;
    Shape s;
    params_upstream = false;
    int n = random_layers(layers, between(0, 7), in, &s, 0, allow_warn, &trainable, &all);
    if (s.rank != 1)
        layers[n++] = (Layer){.kind = L_FLATTEN, .act_param = -1};
    s = (Shape){1, {shape_size(s), 0, 0}};
    bool needs_ending = lk == LO_NLL || lk == LO_KL_DIV;
    bool free_ending = lk != LO_CE && lk != LO_BCE && !needs_ending;
    bool ends_softmax = n > 0 && (layers[n - 1].kind == L_SOFTMAX ||
                                  layers[n - 1].kind == L_LOG_SOFTMAX);
    if (s.d[0] != outputs || trainable == 0 || (ends_softmax && !free_ending && !needs_ending) ||
        chance(0.7)) {
        layers[n++] = (Layer){.kind = L_DENSE, .n = outputs, .act_param = -1};
        params_upstream = true;
        if (!needs_ending && chance(0.3)) /* an activation on the scores */
            layers[n++] = random_act(true);
    }
    if (lk == LO_NLL)
        layers[n++] = (Layer){.kind = chance(0.5) ? L_SOFTMAX : L_LOG_SOFTMAX, .act_param = -1};
    else if (lk == LO_KL_DIV)
        layers[n++] = (Layer){.kind = L_LOG_SOFTMAX, .act_param = -1};
    else if (free_ending && chance(0.15))
        layers[n++] = (Layer){.kind = chance(0.5) ? L_SOFTMAX : L_LOG_SOFTMAX, .act_param = -1};
    else if (!needs_ending && chance(0.1))
        layers[n++] = (Layer){.kind = L_DROPOUT, .prob = 0.5, .act_param = -1};
    {
        Shape t = in;
        for (int i = 0; i < n; i++)
            if (!apply(&layers[i], t, &t, &warned)) {
                fprintf(stderr, "randnet: seed %llu: internal error: layer %d does not fit\n",
                        seed, i);
                return 2;
            }
    }

    /* model NAME { input …  layers } */
    {
        int len = PICK(((const int[]){1, 5, 8, 12, 31, 32, 63, 255, 1000, 3000}));
        char *name = malloc((size_t)len + 16);
        name[0] = "mABZ_"[rnd(5)];
        for (int i = 1; i < len; i++)
            name[i] = "abcdefghijklmnopqrstuvwxyz_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rnd(63)];
        name[len] = '\0';
        if (chance(0.05)) /* any name will do, even a word of the language */
            snprintf(name, (size_t)len + 16, "%s",
                     PICK(((const char *[]){"relu", "dense", "x", "pi", "adam", "mse"})));
        put(&model, "model %s {\n  input ", name);
        free(name);
        char size[64];
        if (in.rank == 1)
            snprintf(size, sizeof size, "%d", in.d[0]);
        else if (in.rank == 2)
            snprintf(size, sizeof size, "%dx%d", in.d[0], in.d[1]);
        else
            snprintf(size, sizeof size, "%dx%dx%d", in.d[0], in.d[1], in.d[2]);
        if (in.rank == 1) {
            put_int(&model, in.d[0], IN_POSITION, 0);
        } else if (can_let(0) && chance(0.2)) {
            Buf v = {0};
            put(&v, "%s", size);
            put(&model, "%s", define_let(&v));
            free(v.s);
        } else {
            put(&model, "%s", size);
        }
        put_layers(&model, layers, n, 1);
        put(&model, "\n}");
    }

    /* loss */
    put(&loss, "loss ");
    put_word(&loss, loss_words[lk]);
    if (lk == LO_HINGE || lk == LO_MULTI_MARGIN) {
        bool margin = chance(0.5), p = margin_p == 2 || chance(0.3);
        if (margin || p)
            put(&loss, " {");
        if (margin) {
            put_key(&loss, "margin", false);
            put_real(&loss, PICK_REAL(0, 0.5, 1, 2), IN_VALUE, 0);
        }
        if (p) {
            put_key(&loss, "p", false);
            put_int(&loss, margin_p, IN_VALUE, 0);
        }
        if (margin || p)
            put(&loss, " }");
    } else if (lk == LO_HUBER && (smooth || chance(0.6))) {
        /* huber's second derivative jumps where |d| = delta: smooth keeps it quadratic */
        put(&loss, " {");
        put_key(&loss, "delta", false);
        put_real(&loss, smooth ? 1e12 : PICK_REAL(1e-12, 0.2, 1, 5, 1e12), IN_VALUE, 0);
        put(&loss, " }");
    } else if (chance(0.1)) {
        put(&loss, " {}");
    }

    /* optimizer, schedule */
    int ok = rnd(7);
    put_optimizer(&opt, ok);
    if (chance(0.6))
        put_schedule(&sched, ok);

    /* data */
    bool has_valid = false;
    static const char *const data_words[] = {"fashion_mnist", "mnist", "idx", "csv", "csv",
                                             "function"};
    put(&data, "data ");
    put_word(&data, data_words[dk]);
    put(&data, " {");
    if (dk == D_IDX) {
        put_key(&data, "images", false);
        put_string(&data);
        put_key(&data, "labels", false);
        put_string(&data);
        if (chance(0.3)) {
            put_key(&data, "test_images", false);
            put_string(&data);
            put_key(&data, "test_labels", false);
            put_string(&data);
        }
    }
    if (dk <= D_IDX) {
        if (chance(0.5)) {
            has_valid = chance(0.8);
            put_key(&data, "valid", false);
            put_real(&data, has_valid ? PICK_REAL(1, 0.1, 5000, 59999, 1 - 1e-6) : 0, IN_VALUE, 0);
        }
        if (chance(0.5)) {
            bool normalize = chance(0.6);
            put_key(&data, "normalize", false);
            put_bool(&data, normalize);
            if (normalize && chance(0.5)) {
                put_key(&data, "mean", false);
                put_real(&data, PICK_REAL(-1e6, -0.5, 0, 0.2860, 1e6), IN_VALUE, 0);
            }
            if (normalize && chance(0.5)) {
                put_key(&data, "std", false);
                put_real(&data, PICK_REAL(1e-12, 0.353, 1, 1e6), IN_VALUE, 0);
            }
        }
        if (in.rank > 1 && chance(0.3)) { /* augmentation moves pixels: images only */
            space(&data);
            put(&data, "augment {");
            if (chance(0.6)) {
                put_key(&data, "flip", false);
                put_word(&data, chance(0.7) ? "horizontal" : "none");
            }
            if (chance(0.6)) {
                put_key(&data, "rotate", false);
                put_real(&data, PICK_REAL(0, 10, 180), IN_VALUE, 0);
            }
            if (chance(0.6)) {
                put_key(&data, "shift", false);
                put_real(&data, PICK_REAL(0, 0.1, 1 - 1e-6), IN_VALUE, 0);
            }
            put(&data, " }");
        }
    }
    int npoints = 0;
    if (dk == D_CSV_CLASSES || dk == D_CSV_REGRESS) {
        put_key(&data, "file", false);
        put_string(&data);
        if (chance(0.5)) {
            put_key(&data, "target", false);
            if (chance(0.5))
                put_word(&data, "last");
            else
                put_int(&data, between(0, 9), IN_VALUE, 0);
        }
        if (chance(0.5)) {
            put_key(&data, "header", false);
            put_bool(&data, chance(0.5));
        }
        if (dk == D_CSV_CLASSES) {
            put_key(&data, "classes", false);
            put_int(&data, classes, IN_VALUE, 0);
        }
    }
    if (dk == D_FUNCTION) {
        double lo, hi;
        Node *y;
        for (;;) { /* an interval of floats (the trainer's x), a function with a value at
                    * every point the checker tries */
            lo = PICK_REAL(-3, -1, 0, 0.5, 1, -1e-7);
            hi = lo + PICK_REAL(1e-7, 0.5, 1, 2, 10);
            y = random_node(0);
            bool finite = true;
            for (int i = 0; i <= 1000 && finite; i++) {
                double v;
                finite = eval(y, lo + (hi - lo) * i / 1000, &v);
            }
            if (finite && (float)lo < (float)hi)
                break;
        }
        put_key(&data, "y", false);
        put_node(&data, y);
        put_key(&data, "x", false);
        put(&data, "%s(", chance(0.5) ? "uniform" : "linspace");
        put_real(&data, lo, IN_VALUE, 1);
        put(&data, ", ");
        put_real(&data, hi, IN_VALUE, 1);
        put(&data, ")");
        npoints = PICK(((const int[]){2, 10, 100, 1000, 100000000}));
        put_key(&data, "n", false);
        put_int(&data, npoints, IN_VALUE, 0);
    }
    if (dk >= D_CSV_CLASSES) {
        int r = rnd(4);
        if (r == 1 && (dk != D_FUNCTION || npoints >= 10)) { /* valid and test, a count or a part */
            has_valid = true;
            put_key(&data, "valid", false);
            put_real(&data, PICK_REAL(0.1, 0.25, 1), IN_VALUE, 0);
            if (chance(0.5)) {
                put_key(&data, "test", false);
                put_real(&data, PICK_REAL(0, 0.2, 1), IN_VALUE, 0);
            }
        } else if (r == 2) { /* split: fractions adding up to 1, or counts adding up to n */
            put_key(&data, "split", false);
            if (dk == D_FUNCTION && npoints >= 10 && chance(0.5)) { /* counts: each >= 1 */
                int a = npoints / 2, v = npoints / 4;
                has_valid = v > 0;
                put(&data, "%d/%d/%d", a, v, npoints - a - v);
            } else {
                static const char *const splits[] = {"0.8/0.1/0.1", "0.5/0.5/0",
                                                     "1/0/0", "0.6 / 0.2 / 0.2"};
                const char *sp = PICK(splits);
                has_valid = strcmp(sp, "1/0/0") != 0;
                put(&data, "%s", sp);
            }
        }
        if (chance(0.4)) {
            put_key(&data, "normalize", false);
            put_bool(&data, chance(0.5));
        }
    }
    put(&data, " }");

    /* train */
    if (chance(0.7)) {
        put(&train, "train {");
        if (chance(0.5)) {
            put_key(&train, "epochs", false);
            put_int(&train, PICK(((const int[]){1, 3, 10, 10000000})), IN_VALUE, 0);
        }
        if (chance(0.6)) {
            put_key(&train, "batch", false);
            /* the largest batch only with small layers: every buffer has that many rows */
            int r = rnd(10);
            /* `batch = full` on `data function` gives every static buffer n rows, and netc
             * refuses buffers over 1 GiB: full only with up to 1000 points */
            if (r == 0 && dk == D_FUNCTION && npoints > 1000)
                r = 2;
            if (r == 0)
                put_word(&train, "full");
            else if (r == 1 && all < 8 && dk > D_MNIST && shape_size(in) <= 64)
                put_int(&train, 65536, IN_VALUE, 0);
            else
                put_int(&train, PICK(((const int[]){1, 7, 37, 64, 256, 1000})), IN_VALUE, 0);
        }
        if (chance(0.4)) {
            put_key(&train, "seed", false);
            put(&train, "%s", PICK(((const char *[]){"0", "42", "9007199254740992", "1e3"})));
        }
        if (chance(0.3)) {
            put_key(&train, "max_steps", false);
            put_real(&train, PICK_REAL(1, 100, 1e12), IN_VALUE, 0);
        }
        if (chance(0.3)) {
            put_key(&train, "stop_when_loss_below", false);
            put_real(&train, PICK_REAL(0, 1e-7, 0.5, 1e6), IN_VALUE, 0);
        }
        if (has_valid && chance(0.4)) {
            put_key(&train, "early_stop", false);
            put_int(&train, PICK(((const int[]){1, 3, 1000000})), IN_VALUE, 0);
        }
        if (chance(0.3)) {
            put_key(&train, "monitor", false);
            put_word(&train, regression || chance(0.5) ? "valid_loss" : "valid_acc");
        }
        if (chance(0.3)) {
            put_key(&train, "keep_best", false);
            put_bool(&train, has_valid && chance(0.7));
        }
        put(&train, " }");
    }

    /* print: the lets first (each before its use), then the statements in any order */
    Buf out = {0};
    put(&out, "# randnet %llu%s\n", seed, smooth ? " --smooth" : "");
    if (warned)
        put(&out, "# expect: warnings\n");
    if (lets.n)
        put(&out, "%s", lets.s);
    Buf *stmts[] = {&model, &loss, &opt, &sched, &train, &data};
    int order[6] = {0, 1, 2, 3, 4, 5};
    if (chance(0.5))
        for (int i = 5; i > 0; i--) {
            int j = rnd(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    for (int i = 0; i < 6; i++) {
        Buf *st = stmts[order[i]];
        if (st->n == 0)
            continue;
        put(&out, "%s\n", st->s);
        if (chance(0.1))
            put(&out, "# %s\n", PICK(((const char *[]){"comment", "", "model x { }", "}"})));
    }
    /* line ends: sometimes CRLF, as an editor on Windows writes them */
    bool crlf = chance(0.1);
    for (size_t i = 0; i < out.n; i++) {
        if (crlf && out.s[i] == '\n')
            putchar('\r');
        putchar(out.s[i]);
    }
    return 0;
}
