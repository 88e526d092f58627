/* check.c: from what the user wrote (AST) to what it means (Net).
 *
 * Every rule the grammar cannot express lives here, each one opening with the rule it enforces:
 * names of statements, layers, settings and values; their types and ranges; defaults; shapes
 * from the input to the loss. Errors point at the word at fault and the checker keeps going, so
 * one run reports every mistake it can; a bad layer stops shape inference only after it.
 */
#include "netc.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

enum {
    MAX_DIM = 1 << 20,            /* largest size of one dimension                      */
    MAX_LAYER_SIZE = 1 << 24,     /* largest activation per sample, in values           */
    MAX_BATCH = 1 << 16,
};
static const double MAX_PARAMS = 1 << 28; /* 1 GiB of float parameters */

typedef struct {
    Source *src;
    Arena *arena;
    Net *net;
} Checker;

#define error(c, loc, ...) diag((c)->src, (loc), DIAG_ERROR, __VA_ARGS__)
#define note(c, loc, ...) diag((c)->src, (loc), DIAG_NOTE, __VA_ARGS__)
#define warning(c, loc, ...) diag((c)->src, (loc), DIAG_WARNING, __VA_ARGS__)

/* "unknown WHAT 'word'WHERE; did you mean 'x'?" or, when nothing is close, the valid words:
 * WHAT is "layer" or "setting", WHERE "" or " in 'sgd'". */
static void error_unknown(Checker *c, Loc loc, const char *what, const char *word,
                          const char *where, const char *const *valid)
{
    const char *guess = suggest(word, valid);
    if (guess) {
        error(c, loc, "unknown %s '%s'%s; did you mean '%s'?", what, word, where, guess);
    } else {
        char list[512];
        join_words(list, sizeof list, valid);
        error(c, loc, "unknown %s '%s'%s", what, word, where);
        note(c, loc, "expected one of: %s", list);
    }
}

/* ---- settings: `key = value` in a block, described by a table ------------------------------ */

typedef enum { SET_INT, SET_NUMBER, SET_BOOL, SET_STRING } SettingType;

typedef struct {
    const char *key;
    SettingType type;
    double min, max;      /* SET_INT, SET_NUMBER: the allowed range                  */
    bool max_open;        /* the range excludes max: [min, max)                        */
    size_t offset;        /* where in Net the value goes                               */
} SettingSpec;

#define NET_FIELD(f) offsetof(Net, f)

static const SettingSpec sgd_settings[] = {
    {"lr", SET_NUMBER, 0, 1e6, false, NET_FIELD(lr)},
    {"momentum", SET_NUMBER, 0, 1, true, NET_FIELD(momentum)},
    {"weight_decay", SET_NUMBER, 0, 1e6, false, NET_FIELD(weight_decay)},
    {NULL, 0, 0, 0, false, 0},
};

static const SettingSpec train_settings[] = {
    {"epochs", SET_INT, 1, 1e6, false, NET_FIELD(epochs)},
    {"batch", SET_INT, 1, MAX_BATCH, false, NET_FIELD(batch)},
    {"seed", SET_INT, 0, 9007199254740992.0, false, NET_FIELD(seed)},
    {NULL, 0, 0, 0, false, 0},
};

static const SettingSpec dataset_settings[] = {
    {"valid", SET_INT, 0, 1e9, false, NET_FIELD(valid)},
    {"normalize", SET_BOOL, 0, 0, false, NET_FIELD(normalize)},
    {"mean", SET_NUMBER, -1e6, 1e6, false, NET_FIELD(mean)},
    {"std", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(std)},
    {NULL, 0, 0, 0, false, 0},
};

static const SettingSpec idx_settings[] = {
    {"images", SET_STRING, 0, 0, false, NET_FIELD(images)},
    {"labels", SET_STRING, 0, 0, false, NET_FIELD(labels)},
    {"test_images", SET_STRING, 0, 0, false, NET_FIELD(test_images)},
    {"test_labels", SET_STRING, 0, 0, false, NET_FIELD(test_labels)},
    {"valid", SET_INT, 0, 1e9, false, NET_FIELD(valid)},
    {"normalize", SET_BOOL, 0, 0, false, NET_FIELD(normalize)},
    {"mean", SET_NUMBER, -1e6, 1e6, false, NET_FIELD(mean)},
    {"std", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(std)},
    {NULL, 0, 0, 0, false, 0},
};

static const char *value_text(const Value *v, char *buf, size_t size)
{
    switch (v->kind) {
    case VAL_NUMBER: snprintf(buf, size, "%.16g", v->num); break;
    case VAL_SIZE:
        snprintf(buf, size, v->ndims == 2 ? "%dx%d" : "%dx%dx%d", v->dims[0], v->dims[1],
                 v->dims[2]);
        break;
    case VAL_STRING: snprintf(buf, size, "\"%s\"", v->str); break;
    case VAL_NAME:
    case VAL_CALL: snprintf(buf, size, "%s%s", v->str, v->kind == VAL_CALL ? "(…)" : ""); break;
    }
    return buf;
}

/* One `key = value` against its spec: type, then range; store it in the Net. */
static void apply_setting(Checker *c, const SettingSpec *spec, const Setting *s)
{
    char *field = (char *)c->net + spec->offset;
    const Value *v = s->value;
    char text[64];
    switch (spec->type) {
    case SET_INT:
    case SET_NUMBER:
        if (v->kind != VAL_NUMBER) {
            error(c, v->loc, "'%s' takes a number, got '%s'", spec->key,
                  value_text(v, text, sizeof text));
            return;
        }
        if (spec->type == SET_INT && v->num != floor(v->num)) {
            error(c, v->loc, "'%s' takes a whole number, got %.16g", spec->key, v->num);
            return;
        }
        if (v->num < spec->min || v->num > spec->max || (spec->max_open && v->num == spec->max)) {
            error(c, v->loc, "'%s' must be in [%.16g, %.16g%c, got %.16g", spec->key, spec->min, spec->max,
                  spec->max_open ? ')' : ']', v->num);
            return;
        }
        if (spec->type == SET_NUMBER)
            *(double *)field = v->num;
        else if (spec->offset == NET_FIELD(seed))
            *(long long *)field = (long long)v->num;
        else
            *(int *)field = (int)v->num;
        return;
    case SET_BOOL:
        if (v->kind == VAL_NAME && (!strcmp(v->str, "true") || !strcmp(v->str, "false"))) {
            *(bool *)field = !strcmp(v->str, "true");
            return;
        }
        error(c, v->loc, "'%s' takes true or false, got '%s'", spec->key,
              value_text(v, text, sizeof text));
        return;
    case SET_STRING:
        if (v->kind != VAL_STRING) {
            error(c, v->loc, "'%s' takes a quoted path, e.g. \"data/train-images.gz\"", spec->key);
            return;
        }
        if (v->str[0] == '\0') {
            error(c, v->loc, "'%s' is empty", spec->key);
            return;
        }
        *(const char **)field = v->str;
        return;
    }
}

/* settings: each key known to this block, each given once */
static void apply_settings(Checker *c, const char *block, const SettingSpec *specs,
                           const Setting *settings)
{
    const char *keys[16];
    int nkeys = 0;
    for (const SettingSpec *s = specs; s->key; s++)
        keys[nkeys++] = s->key;
    keys[nkeys] = NULL;

    for (const Setting *s = settings; s; s = s->next) {
        const SettingSpec *spec = NULL;
        for (const SettingSpec *t = specs; t->key; t++)
            if (!strcmp(t->key, s->key))
                spec = t;
        if (!spec) {
            char where[64];
            snprintf(where, sizeof where, " in '%s'", block);
            error_unknown(c, s->loc, "setting", s->key, where, keys);
            continue;
        }
        const Setting *first = settings;
        while (first != s && strcmp(first->key, s->key))
            first = first->next;
        if (first != s) {
            error(c, s->loc, "'%s' is set twice", s->key);
            note(c, first->loc, "first set here");
            continue;
        }
        if (s->value)
            apply_setting(c, spec, s);
    }
}

/* Is `key` among the settings? (for required ones) */
static bool has_setting(const Setting *settings, const char *key)
{
    for (const Setting *s = settings; s; s = s->next)
        if (!strcmp(s->key, key))
            return true;
    return false;
}

/* ---- layers -------------------------------------------------------------------------------- */

typedef struct {
    const char *word;
    LayerKind kind;
    bool takes_size;      /* `dense 512`, `input 784`                                 */
    bool is_activation;
} LayerSpec;

static const LayerSpec layer_specs[] = {
    {"input", LAYER_INPUT, true, false},   {"dense", LAYER_DENSE, true, false},
    {"flatten", LAYER_FLATTEN, false, false}, {"relu", LAYER_RELU, false, true},
    {"sigmoid", LAYER_SIGMOID, false, true}, {"tanh", LAYER_TANH, false, true},
    {"softmax", LAYER_SOFTMAX, false, true},
};
enum { NLAYER_SPECS = sizeof layer_specs / sizeof layer_specs[0] };
static const char *const layer_words[] = {"input", "dense",   "flatten", "relu",
                                          "sigmoid", "tanh", "softmax", NULL};

static const LayerSpec *find_layer(const char *word)
{
    for (int i = 0; i < NLAYER_SPECS; i++)
        if (!strcmp(layer_specs[i].word, word))
            return &layer_specs[i];
    return NULL;
}

bool check_is_layer(const char *word)
{
    return find_layer(word) != NULL;
}

static const struct {
    const char *word;
    InitKind kind;
    int min_args, max_args;
    const char *usage; /* for messages */
} init_specs[] = {
    {"zeros", INIT_ZEROS, 0, 0, "zeros"},
    {"constant", INIT_CONSTANT, 1, 1, "constant(0.1)"},
    {"normal", INIT_NORMAL, 1, 2, "normal(std) or normal(mean, std)"},
    {"uniform", INIT_UNIFORM, 1, 2, "uniform(a) for U(-a, a), or uniform(a, b)"},
    {"xavier_uniform", INIT_XAVIER_UNIFORM, 0, 0, "xavier_uniform"},
    {"xavier_normal", INIT_XAVIER_NORMAL, 0, 0, "xavier_normal"},
    {"he_uniform", INIT_HE_UNIFORM, 0, 0, "he_uniform"},
    {"he_normal", INIT_HE_NORMAL, 0, 0, "he_normal"},
    {"lecun_uniform", INIT_LECUN_UNIFORM, 0, 0, "lecun_uniform"},
    {"lecun_normal", INIT_LECUN_NORMAL, 0, 0, "lecun_normal"},
};
static const char *const init_words[] = {"zeros",      "constant",     "normal",
                                         "uniform",    "xavier_uniform", "xavier_normal",
                                         "he_uniform", "he_normal",    "lecun_uniform",
                                         "lecun_normal", NULL};

/* init = zeros | constant(c) | normal([mean,] std) | uniform(a [, b]) | xavier_* | he_* | lecun_* */
static bool check_init(Checker *c, const char *key, const Value *v, Init *init)
{
    if (v->kind != VAL_NAME && v->kind != VAL_CALL) {
        char text[64];
        error(c, v->loc, "'%s' takes an initializer such as he_normal, got '%s'", key,
              value_text(v, text, sizeof text));
        return false;
    }
    for (size_t i = 0; i < sizeof init_specs / sizeof init_specs[0]; i++) {
        if (strcmp(init_specs[i].word, v->str))
            continue;
        double arg[2];
        Loc last = v->loc; /* of the last argument */
        int n = 0;
        for (const Value *a = v->args; a; a = a->next, n++) {
            if (a->kind != VAL_NUMBER || n >= init_specs[i].max_args) {
                n = -1;
                break;
            }
            arg[n] = a->num;
            last = a->loc;
        }
        if (n < init_specs[i].min_args) {
            if (init_specs[i].max_args == 0)
                error(c, v->loc, "'%s' takes no argument", v->str);
            else
                error(c, v->loc, "'%s' takes %s number%s: %s", v->str,
                      init_specs[i].min_args == init_specs[i].max_args ? "one" : "one or two",
                      init_specs[i].max_args > 1 ? "s" : "", init_specs[i].usage);
            return false;
        }
        init->kind = init_specs[i].kind;
        init->a = n > 0 ? arg[0] : 0;
        init->b = n > 1 ? arg[1] : 0;
        if (init->kind == INIT_NORMAL && n == 1) /* normal(std) */
            init->a = 0, init->b = arg[0];
        if (init->kind == INIT_UNIFORM && n == 1) /* uniform(a): U(-a, a) */
            init->a = -arg[0], init->b = arg[0];
        if (init->kind == INIT_NORMAL && !(init->b > 0)) {
            error(c, last, "the standard deviation of 'normal' must be positive, got %.16g",
                  init->b);
            return false;
        }
        if (init->kind == INIT_UNIFORM && n == 1 && !(arg[0] > 0)) {
            error(c, last, "the bound of 'uniform' must be positive, got %.16g", arg[0]);
            return false;
        }
        if (init->kind == INIT_UNIFORM && !(init->a < init->b)) {
            error(c, last, "'uniform(a, b)' needs a < b, got U(%.16g, %.16g)", init->a, init->b);
            return false;
        }
        return true;
    }
    error_unknown(c, v->loc, "initializer", v->str, "", init_words);
    return false;
}

void net_shape_text(const NetLayer *l, char *buf, size_t size)
{
    if (l->out_rank == 1)
        snprintf(buf, size, "[%d]", l->out_shape[0]);
    else if (l->out_rank == 2)
        snprintf(buf, size, "[%d,%d]", l->out_shape[0], l->out_shape[1]);
    else
        snprintf(buf, size, "[%d,%d,%d]", l->out_shape[0], l->out_shape[1], l->out_shape[2]);
}

static void set_vector(NetLayer *l, int n)
{
    l->out_rank = 1;
    l->out_shape[0] = n;
    l->out_size = n;
}

/* One layer after `prev` (NULL for the first): its kind, argument, options, output shape.
 * Returns false when the layer is wrong, so that no shape error cascades from it. */
static bool check_layer(Checker *c, const Layer *src, const NetLayer *prev, NetLayer *l,
                        int *ordinal)
{
    const LayerSpec *spec = find_layer(src->kind);
    if (!spec) {
        error_unknown(c, src->loc, "layer", src->kind, "", layer_words);
        return false;
    }
    l->kind = spec->kind;
    l->src = src;
    l->init = l->bias_init = (Init){INIT_TORCH, 0, 0};
    snprintf(l->name, sizeof l->name, "%s%d", spec->word, ++ordinal[spec->kind]);
    if (spec->kind == LAYER_INPUT)
        snprintf(l->name, sizeof l->name, "input");

    bool ok = true;
    /* positional: `input N | HxW | CxHxW`, `dense N`; other layers take none */
    if (src->extra_args) {
        error(c, src->extra_args->loc, "'%s' takes one size, got more", src->kind);
        ok = false;
    }
    if (!spec->takes_size && src->arg) {
        error(c, src->arg->loc, "'%s' takes no size", src->kind);
        ok = false;
    }
    if (spec->takes_size && !src->arg) {
        error(c, src->loc, "'%s' needs a size, e.g. '%s'", src->kind,
              spec->kind == LAYER_INPUT ? "input 784" : "dense 128");
        return false;
    }
    /* options: only dense takes one, `init` */
    for (const Setting *o = src->opts; o; o = o->next) {
        if (spec->kind == LAYER_DENSE && !strcmp(o->key, "init")) {
            const Setting *first = src->opts;
            while (strcmp(first->key, "init"))
                first = first->next;
            if (first != o) {
                error(c, o->loc, "'init' is set twice");
                note(c, first->loc, "first set here");
                ok = false;
            } else if (!check_init(c, "init", o->value, &l->init)) {
                ok = false;
            }
        } else if (spec->kind == LAYER_DENSE) {
            static const char *const dense_opts[] = {"init", NULL};
            error_unknown(c, o->loc, "option", o->key, " for 'dense'", dense_opts);
            ok = false;
        } else {
            error(c, o->loc, "'%s' takes no options", src->kind);
            ok = false;
        }
    }

    if (spec->kind == LAYER_INPUT) {
        if (prev) {
            error(c, src->loc, "'input' must be the first layer, and only the first");
            return false;
        }
        const Value *a = src->arg;
        if (a->kind == VAL_NUMBER) {
            if (a->num != floor(a->num) || a->num < 1 || a->num > MAX_LAYER_SIZE) {
                error(c, a->loc, "input size must be a whole number in [1, %d], got %.16g",
                      MAX_LAYER_SIZE, a->num);
                return false;
            }
            set_vector(l, (int)a->num);
        } else {
            double size = 1;
            for (int i = 0; i < a->ndims; i++) {
                if (a->dims[i] < 1 || a->dims[i] > MAX_DIM) {
                    error(c, a->loc, "every dimension must be in [1, %d]", MAX_DIM);
                    return false;
                }
                size *= a->dims[i];
                l->out_shape[i] = a->dims[i];
            }
            if (size > MAX_LAYER_SIZE) {
                error(c, a->loc, "input of %.0f values is too large (at most %d)", size,
                      MAX_LAYER_SIZE);
                return false;
            }
            l->out_rank = a->ndims;
            l->out_size = (int)size;
        }
        l->in_size = l->out_size;
        return ok;
    }

    if (!prev) {
        error(c, src->loc, "the first layer must be 'input', e.g. 'input 784'");
        return false;
    }
    l->in_size = prev->out_size;
    char shape[64];
    net_shape_text(prev, shape, sizeof shape);
    switch (spec->kind) {
    case LAYER_DENSE: {
        const Value *a = src->arg;
        if (a->kind != VAL_NUMBER || a->num != floor(a->num) || a->num < 1 ||
            a->num > MAX_LAYER_SIZE) {
            char text[64];
            error(c, a->loc, "'dense' takes a number of units in [1, %d], got '%s'",
                  MAX_LAYER_SIZE, value_text(a, text, sizeof text));
            return false;
        }
        if (prev->out_rank != 1) {
            error(c, src->loc, "'dense' expects a vector input, got %s from '%s' (line %d)",
                  shape, prev->name, prev->src->loc.first_line);
            note(c, src->loc, "insert 'flatten' before this layer");
            return false;
        }
        set_vector(l, (int)a->num);
        if ((double)l->in_size * l->out_size > MAX_PARAMS) {
            error(c, src->loc, "'dense' with %dx%d weights is too large", l->out_size,
                  l->in_size);
            return false;
        }
        return ok;
    }
    case LAYER_FLATTEN:
        if (prev->out_rank == 1)
            warning(c, src->loc, "'flatten' after %s from '%s' does nothing: it is a vector "
                    "already", shape, prev->name);
        set_vector(l, prev->out_size);
        return ok;
    case LAYER_SOFTMAX:
        if (prev->out_rank != 1) {
            error(c, src->loc, "'softmax' expects a vector input, got %s from '%s' (line %d)",
                  shape, prev->name, prev->src->loc.first_line);
            return false;
        }
        set_vector(l, prev->out_size);
        return ok;
    default: /* elementwise activations keep the shape */
        memcpy(l->out_shape, prev->out_shape, sizeof l->out_shape);
        l->out_rank = prev->out_rank;
        l->out_size = prev->out_size;
        return ok;
    }
}

/* model NAME { input …; layers… }: every layer known and fitting the one before it */
static void check_model(Checker *c, const Stmt *s)
{
    Net *net = c->net;
    net->name = s->name;
    int n = 0;
    for (const Layer *l = s->layers; l; l = l->next)
        n++;
    if (n == 0) {
        error(c, s->name_loc, "model '%s' has no layers; start with e.g. 'input 784'", s->name);
        return;
    }
    net->layers = arena_alloc(c->arena, (size_t)n * sizeof *net->layers);
    int ordinal[16] = {0};
    NetLayer *prev = NULL;
    bool shapes_ok = true;
    for (const Layer *src = s->layers; src; src = src->next) {
        NetLayer *l = &net->layers[net->nlayers];
        if (!shapes_ok) { /* still say which words are unknown, but infer no more shapes */
            if (!find_layer(src->kind))
                error_unknown(c, src->loc, "layer", src->kind, "", layer_words);
            continue;
        }
        if (!check_layer(c, src, prev, l, ordinal)) {
            shapes_ok = false;
            continue;
        }
        prev = l;
        net->nlayers++;
    }
    bool trainable = false;
    for (int i = 0; i < net->nlayers; i++)
        trainable |= net->layers[i].kind == LAYER_DENSE;
    if (shapes_ok && !trainable)
        error(c, s->name_loc, "model '%s' has nothing to train; add a layer with parameters, "
              "e.g. 'dense 10'", s->name);
}

/* ---- statements ---------------------------------------------------------------------------- */

static const char *const statement_words[] = {"model", "loss", "optimizer", "train", "data", NULL};

/* The name after `loss`, `optimizer`, `data`: a plain word from `valid`, or -1. */
static int check_choice(Checker *c, const Value *v, const char *what, const char *const *valid)
{
    char text[64];
    if (v->kind != VAL_NAME) {
        error(c, v->loc, "%s takes a name, got '%s'", what, value_text(v, text, sizeof text));
        return -1;
    }
    for (int i = 0; valid[i]; i++)
        if (!strcmp(valid[i], v->str))
            return i;
    error_unknown(c, v->loc, what, v->str, "", valid);
    return -1;
}

bool check_program(Source *src, Arena *arena, const Stmt *prog, Net *net)
{
    Checker c = {src, arena, net};
    memset(net, 0, sizeof *net);
    net->epochs = 10;
    net->batch = 64;
    net->seed = 42;

    /* each statement at most once */
    const Stmt *seen[STMT_DATA + 1] = {0};
    for (const Stmt *s = prog; s; s = s->next) {
        if (seen[s->kind]) {
            error(&c, s->loc, "a second '%s'; a file has one", statement_words[s->kind]);
            note(&c, seen[s->kind]->loc, "the first one is here");
            continue;
        }
        seen[s->kind] = s;
    }

    /* model: required */
    static const Loc whole_file = {0, 0, 0, 0};
    if (seen[STMT_MODEL])
        check_model(&c, seen[STMT_MODEL]);
    else
        error(&c, whole_file, "no model in this file; a file describes one, e.g. "
              "'model mlp { input 784  dense 10 }'");

    /* data fashion_mnist | mnist | idx { … }: required, it decides the classes */
    static const char *const data_words[] = {"fashion_mnist", "mnist", "idx", NULL};
    const Stmt *data = seen[STMT_DATA];
    if (!data) {
        if (seen[STMT_MODEL])
            error(&c, seen[STMT_MODEL]->loc, "model '%s' has no data; add e.g. "
                  "'data fashion_mnist'", seen[STMT_MODEL]->name);
    } else {
        int kind = check_choice(&c, data->value, "data source", data_words);
        if (kind >= 0) {
            net->data = (DataKind)kind;
            net->classes = net->data == DATA_IDX ? 0 : 10;
            apply_settings(&c, data->value->str,
                           net->data == DATA_IDX ? idx_settings : dataset_settings,
                           data->settings);
            if (net->data == DATA_IDX)
                for (int i = 0; i < 2; i++) {
                    const char *key = i == 0 ? "images" : "labels";
                    if (!has_setting(data->settings, key))
                        error(&c, data->value->loc, "'data idx' needs '%s = \"…\"'", key);
                }
            if (!!net->test_images != !!net->test_labels)
                error(&c, data->value->loc,
                      "'test_images' and 'test_labels' go together: give both or neither");
            if (net->data != DATA_IDX && net->valid >= 60000)
                error(&c, data->value->loc, "'valid = %d' leaves no training samples (the "
                      "training set has 60000)", net->valid);
            if ((has_setting(data->settings, "mean") || has_setting(data->settings, "std")) &&
                !net->normalize)
                warning(&c, data->value->loc,
                        "'mean' and 'std' are used only with 'normalize = true'");
        }
    }

    /* train { epochs batch seed }: optional */
    if (seen[STMT_TRAIN])
        apply_settings(&c, "train", train_settings, seen[STMT_TRAIN]->settings);

    /* optimizer sgd { lr momentum weight_decay }: required, lr required */
    static const char *const optimizer_words[] = {"sgd", NULL};
    const Stmt *opt = seen[STMT_OPTIMIZER];
    if (!opt) {
        if (seen[STMT_MODEL])
            error(&c, seen[STMT_MODEL]->loc, "model '%s' has no optimizer; add e.g. "
                  "'optimizer sgd { lr = 0.1 }'", seen[STMT_MODEL]->name);
    } else if (check_choice(&c, opt->value, "optimizer", optimizer_words) >= 0) {
        apply_settings(&c, "sgd", sgd_settings, opt->settings);
        if (!has_setting(opt->settings, "lr"))
            error(&c, opt->value->loc, "'sgd' needs a learning rate, e.g. '{ lr = 0.1 }'");
    }

    /* loss cross_entropy | mse: required; it must fit the network's output */
    static const char *const loss_words[] = {"cross_entropy", "mse", NULL};
    const Stmt *loss = seen[STMT_LOSS];
    if (!loss) {
        if (seen[STMT_MODEL])
            error(&c, seen[STMT_MODEL]->loc, "model '%s' has no loss; add e.g. "
                  "'loss cross_entropy'", seen[STMT_MODEL]->name);
    } else {
        int kind = check_choice(&c, loss->value, "loss", loss_words);
        net->loss_loc = loss->value->loc;
        if (kind >= 0 && net->nlayers > 1 && src->nerrors == 0) {
            net->loss = (LossKind)kind;
            const NetLayer *last = &net->layers[net->nlayers - 1];
            char shape[64];
            net_shape_text(last, shape, sizeof shape);
            if (last->out_rank != 1) {
                error(&c, loss->value->loc, "'%s' needs a vector output, got %s from '%s' "
                      "(line %d)", loss->value->str, shape, last->name,
                      last->src->loc.first_line);
            } else if (net->classes && last->out_size != net->classes) {
                error(&c, loss->value->loc, "'%s' on %d classes needs %d outputs, but the "
                      "model ends with %s from '%s' (line %d)", loss->value->str, net->classes,
                      net->classes, shape, last->name, last->src->loc.first_line);
            } else if (net->loss == LOSS_CROSS_ENTROPY && last->kind == LAYER_SOFTMAX) {
                error(&c, loss->value->loc, "'cross_entropy' applies softmax itself, so the "
                      "model's 'softmax' (line %d) would apply it twice", last->src->loc.first_line);
                note(&c, last->src->loc, "remove this layer, or use 'loss mse' on probabilities");
            } else if (last->out_size < 2) {
                error(&c, loss->value->loc, "'%s' classifies: it needs at least 2 outputs, got "
                      "%s from '%s'", loss->value->str, shape, last->name);
            }
        }
    }

    return src->nerrors == 0;
}
