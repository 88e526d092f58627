/* check.c: from what the user wrote (AST) to what it means (Net).
 *
 * Every rule the grammar cannot express lives here, each one opening with the rule it enforces:
 * names of statements, layers, settings and values; their types and ranges; defaults; shapes
 * from the input to the loss. Errors point at the word at fault and the checker keeps going, so
 * one run reports every mistake it can; a bad layer stops shape inference only after it.
 */
#include "ops/train.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BATCH = 1 << 16, EPOCHS_MAX = 10000000 };

/* A `let NAME = value`, and whether anything used it. */
typedef struct {
    const char *name;
    Loc loc;
    const Value *value;   /* as written, or as -D gave it                              */
    const Value *resolved;/* its meaning, once worked out: each let is resolved once, so
                             `let b = a + a` over a chain of lets costs no more than its text */
    bool from_define, used, resolving, failed;
} Let;

struct Checker {
    Source *src;
    Arena *arena;
    Net *net;
    Let lets[64];
    int nlets;
    const Define *defines;
    int ndefines;
    int errors_before;    /* reported before the checker ran: syntax errors              */
    const Stmt *seen[STMT_KINDS]; /* each statement of the file, the first of its kind    */
    bool model_whole;     /* every layer read and checked: the output shape is the model's  */
};

/* Statements and settings a syntax error took (netc.h, `broken`) were reported by the parser;
 * the checker checks what is left, and says nothing that the lost part could change. */

/* A statement of this kind is in the file, and whole. */
static bool whole(const Checker *c, StmtKind kind)
{
    return c->seen[kind] && !c->seen[kind]->broken;
}

/* `key` is not among the settings, and no setting was lost where it may have been. */
static bool missing(const Setting *settings, const char *key)
{
    for (const Setting *s = settings; s; s = s->next)
        if (s->broken || !strcmp(s->key, key))
            return false;
    return true;
}

#define error(c, loc, ...) diag((c)->src, (loc), DIAG_ERROR, __VA_ARGS__)
#define note(c, loc, ...) diag((c)->src, (loc), DIAG_NOTE, __VA_ARGS__)
#define warning(c, loc, ...) diag((c)->src, (loc), DIAG_WARNING, __VA_ARGS__)

/* torch's name for a netc word (torch.nn.Linear for dense), as the descriptors give them. */
typedef struct {
    const char *torch, *word;
    const char *module; /* "torch.nn", "torch.optim", "torch.nn.init" */
} TorchName;

static const TorchName *init_torch_names(void);

/* The torch names of the words of one kind (`what`: "layer", "loss", "optimizer",
 * "initializer"), from the descriptors (OpDesc.torch, LossDesc.torch, OptimDesc.torch), ending
 * with a NULL torch; NULL for a kind torch has no names for. */
static const TorchName *torch_names(const char *what)
{
    enum { MAX_NAMES = 64 };
    static TorchName layers[MAX_NAMES], losses[MAX_NAMES], optims[MAX_NAMES];
    static char split[MAX_NAMES][48]; /* "BatchNorm1d or BatchNorm2d", one name each */
    if (!layers[0].torch) {
        int n = 0, nsplit = 0;
        for (int i = 0; op_list[i] && n < MAX_NAMES - 2; i++) {
            const char *t = op_list[i]->torch;
            for (const char *or; t && (or = strstr(t, " or ")) && nsplit < MAX_NAMES; t = or + 4) {
                snprintf(split[nsplit], sizeof split[nsplit], "%.*s", (int)(or - t), t);
                layers[n++] = (TorchName){split[nsplit++], op_list[i]->word, "torch.nn"};
            }
            if (t)
                layers[n++] = (TorchName){t, op_list[i]->word, "torch.nn"};
        }
        for (int i = 0, k = 0; loss_list[i] && k < MAX_NAMES - 1; i++)
            losses[k++] = (TorchName){loss_list[i]->torch, loss_list[i]->words[0], "torch.nn"};
        for (int i = 0, k = 0; optim_list[i] && k < MAX_NAMES - 1; i++)
            optims[k++] = (TorchName){optim_list[i]->torch, optim_list[i]->word, "torch.optim"};
    }
    /* torch.optim.lr_scheduler's classes: ScheduleDesc names the runtime's kind, not torch's */
    static const TorchName schedules[] = {
        {"StepLR", "step", "torch.optim.lr_scheduler"},
        {"MultiStepLR", "multistep", "torch.optim.lr_scheduler"},
        {"ExponentialLR", "exponential", "torch.optim.lr_scheduler"},
        {"CosineAnnealingLR", "cosine", "torch.optim.lr_scheduler"},
        {"OneCycleLR", "one_cycle", "torch.optim.lr_scheduler"},
        {"ConstantLR", "constant", "torch.optim.lr_scheduler"},
        {NULL, NULL, NULL},
    };
    return !strcmp(what, "layer")         ? layers
           : !strcmp(what, "loss")        ? losses
           : !strcmp(what, "optimizer")   ? optims
           : !strcmp(what, "schedule")    ? schedules
           : !strcmp(what, "initializer") ? init_torch_names()
                                          : NULL;
}

/* "unknown WHAT 'word'WHERE; did you mean 'x'?" or, when nothing is close, the valid words:
 * WHAT is "layer" or "setting", WHERE "" or " in 'sgd'". The guess is the same word in another
 * spelling (ReLU, SGD), then torch's name of a word (CrossEntropyLoss, BatchNorm1d, Linear, which
 * the message names when its spelling is not the word's), then the closest word. */
static void error_unknown(Checker *c, Loc loc, const char *what, const char *word,
                          const char *where, const char *const *valid)
{
    const char *guess = NULL;
    char from[80] = "";
    for (int i = 0; valid[i] && !guess; i++)
        if (same_spelling(word, valid[i]))
            guess = valid[i];
    const TorchName *t = torch_names(what);
    for (; t && t->torch && !guess; t++)
        if (same_spelling(word, t->torch)) {
            guess = t->word;
            snprintf(from, sizeof from, " (%s.%s)", t->module, t->torch);
        }
    if (!guess)
        guess = suggest(word, valid);
    if (guess) {
        error(c, loc, "unknown %s '%s'%s; did you mean '%s'?%s", what, word, where, guess, from);
    } else {
        char list[512];
        join_words(list, sizeof list, valid);
        error(c, loc, "unknown %s '%s'%s", what, word, where);
        note(c, loc, "expected one of: %s", list);
    }
}

const char *check_value_text(const Value *v, char *buf, size_t size)
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
    case VAL_LIST: snprintf(buf, size, "(…)"); break;
    case VAL_BINOP:
    case VAL_NEG: snprintf(buf, size, "an expression"); break;
    }
    return buf;
}

/* ---- values: let names replaced, constant arithmetic folded --------------------------------- */

/* The functions an expression may call, as C's math library names them. */
static const char *const math_functions[] = {"sin",  "cos",   "tan",   "exp",  "log", "log2",
                                             "log10", "sqrt", "abs",   "tanh", NULL};

bool check_is_math_function(const char *name)
{
    for (int i = 0; math_functions[i]; i++)
        if (!strcmp(math_functions[i], name))
            return true;
    return false;
}

static double apply_math(const char *f, double x)
{
    return !strcmp(f, "sin")     ? sin(x)
           : !strcmp(f, "cos")   ? cos(x)
           : !strcmp(f, "tan")   ? tan(x)
           : !strcmp(f, "exp")   ? exp(x)
           : !strcmp(f, "log")   ? log(x)
           : !strcmp(f, "log2")  ? log2(x)
           : !strcmp(f, "log10") ? log10(x)
           : !strcmp(f, "sqrt")  ? sqrt(x)
           : !strcmp(f, "abs")   ? fabs(x)
                                 : tanh(x);
}

static Let *find_let(Checker *c, const char *name)
{
    for (int i = 0; i < c->nlets; i++)
        if (!strcmp(c->lets[i].name, name))
            return &c->lets[i];
    return NULL;
}

static Value *number_at(Checker *c, double x, Loc loc)
{
    Value *n = arena_alloc(c->arena, sizeof *n);
    n->kind = VAL_NUMBER;
    n->num = x;
    n->loc = loc;
    return n;
}

/* What `v` means: a let's name becomes its value (located at the use), pi and e numbers, and
 * an expression of numbers one number. Anything else (x, a call of an init) stays as it is,
 * its parts resolved. Returns NULL after reporting an error. */
const Value *check_resolve(Checker *c, const Value *v)
{
    if (!v || v->broken) /* reported by the parser (a let whose value it lost: NULL) */
        return NULL;
    switch (v->kind) {
    case VAL_NAME: {
        Let *let = find_let(c, v->str);
        if (let) {
            if (let->resolving) {
                error(c, v->loc, "'%s' is defined in terms of itself", v->str);
                return NULL;
            }
            let->used = true;
            if (!let->resolved && !let->failed) {
                let->resolving = true;
                let->resolved = check_resolve(c, let->value);
                let->failed = !let->resolved;
                let->resolving = false;
            }
            const Value *r = let->resolved;
            if (!r)
                return NULL;
            Value *copy = arena_alloc(c->arena, sizeof *copy);
            *copy = *r;
            if (!let->from_define) /* a -D's value keeps its place: messages name the -D */
                copy->loc = v->loc;
            copy->next = NULL;
            return copy;
        }
        if (!strcmp(v->str, "pi"))
            return number_at(c, 3.14159265358979323846, v->loc);
        if (!strcmp(v->str, "e"))
            return number_at(c, 2.71828182845904523536, v->loc);
        return v;
    }
    case VAL_CALL:
    case VAL_LIST:
    case VAL_BINOP:
    case VAL_NEG: {
        Value *copy = arena_alloc(c->arena, sizeof *copy);
        *copy = *v;
        copy->next = NULL;
        Value **tail = &copy->args;
        bool numbers = true;
        int n = 0;
        for (const Value *a = v->args; a; a = a->next, n++) {
            const Value *r = check_resolve(c, a);
            if (!r)
                return NULL;
            Value *item = arena_alloc(c->arena, sizeof *item);
            *item = *r;
            item->next = NULL;
            *tail = item;
            tail = &item->next;
            numbers &= r->kind == VAL_NUMBER;
        }
        bool is_math = v->kind == VAL_CALL && check_is_math_function(v->str);
        if (is_math && n != 1) {
            error(c, v->loc, "'%s' takes one argument, got %d", v->str, n);
            return NULL;
        }
        if (!numbers || n == 0 || v->kind == VAL_LIST)
            return copy; /* normal(0.01), (2, 4), a function of x: their setting decides */
        double x = copy->args->num, y = n > 1 ? copy->args->next->num : 0, r;
        if (v->kind == VAL_NEG) {
            r = -x;
        } else if (v->kind == VAL_BINOP) {
            char op = v->str[0];
            r = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : op == '/' ? x / y
                                                                            : pow(x, y);
        } else if (is_math) {
            r = apply_math(v->str, x);
        } else {
            return copy;
        }
        if (!isfinite(r)) {
            error(c, v->loc, "this expression has no finite value (%g)", r);
            return NULL;
        }
        return number_at(c, r, v->loc);
    }
    case VAL_NUMBER: /* already what they mean */
    case VAL_SIZE:
    case VAL_STRING:
        return v;
    }
    return v;
}

/* ---- settings: `key = value` in a block, described by a table ------------------------------ */

/* The tables (SettingSpec) are in ops/train.h: the losses', optimizers' and schedules'
 * descriptors hold theirs. */

/* One `key = value` against its spec: type, then range; store it in the Net. */
static void apply_setting(Checker *c, const SettingSpec *spec, const Setting *s)
{
    char *field = (char *)c->net + spec->offset;
    if (s->is_block && spec->type != SET_BLOCK) {
        error(c, s->loc, "'%s' takes a value, not a block: '%s = …'", spec->key, spec->key);
        return;
    }
    if (spec->type == SET_CUSTOM || spec->type == SET_BLOCK) {
        spec->custom(c, s);
        return;
    }
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return;
    char text[64];
    switch (spec->type) {
    case SET_INT:
    case SET_LONG:
    case SET_NUMBER:
    case SET_PART:
        if (v->kind != VAL_NUMBER) {
            error(c, v->loc, "'%s' takes a number, got '%s'", spec->key,
                  check_value_text(v, text, sizeof text));
            return;
        }
        if ((spec->type == SET_INT || spec->type == SET_LONG) && v->num != floor(v->num)) {
            error(c, v->loc, "'%s' takes a whole number, got %.16g", spec->key, v->num);
            return;
        }
        if (spec->type == SET_PART && (v->num < 0 || (v->num >= 1 && v->num != floor(v->num)) ||
                                       v->num > 1e9)) {
            error(c, v->loc, "'%s' takes a count or a fraction below 1, got %.16g", spec->key,
                  v->num);
            return;
        }
        if (spec->type != SET_PART && spec->min > 0 && spec->min < 1e-9 && v->num <= 0) {
            error(c, v->loc, "'%s' must be positive, got %.16g", spec->key, v->num);
            return;
        }
        if (spec->type != SET_PART &&
            (v->num < spec->min || v->num > spec->max || (spec->max_open && v->num == spec->max))) {
            error(c, v->loc, "'%s' must be in [%.16g, %.16g%c, got %.16g", spec->key, spec->min,
                  spec->max, spec->max_open ? ')' : ']', v->num);
            return;
        }
        if (spec->type == SET_NUMBER || spec->type == SET_PART)
            *(double *)field = v->num;
        else if (spec->type == SET_LONG)
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
              check_value_text(v, text, sizeof text));
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
    case SET_CUSTOM:
    case SET_BLOCK:
        return;
    }
}

/* settings: each key known to this block, each given once */
static void apply_settings(Checker *c, const char *block, const SettingSpec *specs,
                           const Setting *settings)
{
    const char *keys[32];
    int nkeys = 0;
    for (const SettingSpec *s = specs; s->key && nkeys < 31; s++)
        keys[nkeys++] = s->key;
    keys[nkeys] = NULL;

    for (const Setting *s = settings; s; s = s->next) {
        if (s->broken)
            continue;
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
        if (s->value || s->is_block)
            apply_setting(c, spec, s);
    }
}

/* Is `key` among the settings? (for required ones) */
const Setting *check_find_setting(const Setting *settings, const char *key)
{
    for (const Setting *s = settings; s; s = s->next)
        if (!strcmp(s->key, key))
            return s;
    return NULL;
}

/* The name a setting takes, from `words`: its index, or -1 after an error. */
static int setting_choice(Checker *c, const Setting *s, const char *const *words)
{
    const Value *v = s->value ? check_resolve(c, s->value) : NULL;
    if (!v)
        return -1;
    if (v->kind == VAL_NAME)
        for (int i = 0; words[i]; i++)
            if (!strcmp(words[i], v->str))
                return i;
    char where[64], text[64];
    snprintf(where, sizeof where, " for '%s'", s->key);
    if (v->kind == VAL_NAME) {
        error_unknown(c, v->loc, "value", v->str, where, words);
    } else {
        char list[256];
        join_words(list, sizeof list, words);
        error(c, v->loc, "'%s' takes one of %s, got '%s'", s->key, list,
              check_value_text(v, text, sizeof text));
    }
    return -1;
}

/* ---- the special settings ------------------------------------------------------------------ */

/* The names the special settings take (and `netc words` lists). */
static const char *const monitor_words[] = {"valid_loss", "valid_acc", NULL};
static const char *const per_words[] = {"epoch", "step", NULL};
static const char *const reduction_words[] = {"mean", "sum", NULL};
static const char *const flip_words[] = {"none", "horizontal", NULL};
/* batch = full, target = last, x = uniform(lo, hi) | linspace(lo, hi), true and false */
static const char *const other_value_words[] = {"full", "last", "uniform", "linspace", "true",
                                                "false", NULL};

/* batch = N | full */
static bool set_batch(Checker *c, const Setting *s)
{
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return false;
    if (v->kind == VAL_NAME && !strcmp(v->str, "full")) {
        c->net->batch = 0;
        return true;
    }
    if (v->kind != VAL_NUMBER || v->num != floor(v->num) || v->num < 1 || v->num > MAX_BATCH) {
        char text[64];
        error(c, v->loc, "'batch' takes a whole number in [1, %d] or 'full', got '%s'", MAX_BATCH,
              check_value_text(v, text, sizeof text));
        return false;
    }
    c->net->batch = (int)v->num;
    return true;
}

/* monitor = valid_loss | valid_acc */
static bool set_monitor(Checker *c, const Setting *s)
{
    int k = setting_choice(c, s, monitor_words);
    c->net->monitor_acc = k == 1;
    return k >= 0;
}

/* per = epoch | step */
bool check_set_per(Checker *c, const Setting *s)
{
    int k = setting_choice(c, s, per_words);
    c->net->schedule_per_step = k == 1;
    return k >= 0;
}

/* reduction = mean | sum, of the losses that compare each output (ops/loss.c) */
bool check_set_reduction(Checker *c, const Setting *s)
{
    int k = setting_choice(c, s, reduction_words);
    c->net->loss_sum = k == 1;
    return k >= 0;
}

/* milestones = (2, 4, 6): increasing whole numbers */
bool check_set_milestones(Checker *c, const Setting *s)
{
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return false;
    Net *net = c->net;
    const Value *items = v->kind == VAL_LIST ? v->args : v;
    if (!items) {
        error(c, v->loc, "'milestones' is empty; it takes whole numbers ≥ 1, e.g. (30, 80)");
        return false;
    }
    for (const Value *m = items; m; m = v->kind == VAL_LIST ? m->next : NULL) {
        int max = (int)(sizeof net->milestones / sizeof net->milestones[0]);
        if (m->kind != VAL_NUMBER || m->num != floor(m->num) || m->num < 1 || m->num > 1e9) {
            error(c, m->loc, "'milestones' takes whole numbers ≥ 1, e.g. (30, 80)");
            return false;
        }
        if (net->nmilestones && m->num <= net->milestones[net->nmilestones - 1]) {
            error(c, m->loc, "'milestones' must increase: %.16g after %d", m->num,
                  net->milestones[net->nmilestones - 1]);
            return false;
        }
        if (net->nmilestones == max) {
            error(c, m->loc, "at most %d milestones", max);
            return false;
        }
        net->milestones[net->nmilestones++] = (int)m->num;
    }
    return true;
}

/* flip = horizontal | none */
static bool set_flip(Checker *c, const Setting *s)
{
    int k = setting_choice(c, s, flip_words);
    c->net->flip = k == 1;
    return k >= 0;
}

static const SettingSpec augment_settings[] = {
    {"flip", SET_CUSTOM, 0, 0, false, 0, set_flip},
    {"rotate", SET_NUMBER, 0, 180, false, NET_FIELD(rotate), NULL},
    {"shift", SET_NUMBER, 0, 1, true, NET_FIELD(shift), NULL},
    END_SPECS,
};

/* augment { flip rotate shift } */
static bool set_augment(Checker *c, const Setting *s)
{
    if (!s->is_block) {
        error(c, s->loc, "'augment' takes a block, e.g. 'augment { flip = horizontal  rotate = 10 }'");
        return false;
    }
    apply_settings(c, "augment", augment_settings, s->block);
    return true;
}

/* split = train/valid/test, e.g. 0.8/0.1/0.1 or 1600/200/200 */
static bool set_split(Checker *c, const Setting *s)
{
    const Value *v = s->value;
    /* written as divisions, read as three parts: walk the left-leaning tree of '/' */
    const Value *parts[3];
    int n = 0;
    while (v->kind == VAL_BINOP && v->str[0] == '/' && n < 2) {
        parts[n++] = v->args->next;
        v = v->args;
    }
    parts[n++] = v;
    double p[3];
    for (int i = 0; i < n; i++) {
        const Value *r = check_resolve(c, parts[n - 1 - i]);
        if (!r)
            return false;
        if (r->kind != VAL_NUMBER || r->num < 0) {
            error(c, s->value->loc, "'split' takes train/valid/test, e.g. 0.8/0.1/0.1 or "
                  "1600/200/200");
            return false;
        }
        p[i] = r->num;
    }
    if (n != 3) {
        error(c, s->value->loc, "'split' takes three parts, train/valid/test, e.g. 0.8/0.1/0.1");
        return false;
    }
    bool fractions = p[0] < 1 || p[1] < 1 || p[2] < 1;
    if (fractions && fabs(p[0] + p[1] + p[2] - 1) > 1e-9) {
        error(c, s->value->loc, "the fractions of 'split' add up to %.16g, not 1",
              p[0] + p[1] + p[2]);
        return false;
    }
    if (!fractions && (p[0] != floor(p[0]) || p[1] != floor(p[1]) || p[2] != floor(p[2]))) {
        error(c, s->value->loc, "'split' takes three fractions adding up to 1, or three counts");
        return false;
    }
    if (!fractions && p[0] + p[1] + p[2] != c->net->n && c->net->n) {
        error(c, s->value->loc, "the counts of 'split' add up to %.16g, but n = %d",
              p[0] + p[1] + p[2], c->net->n);
        return false;
    }
    c->net->valid = p[1];
    c->net->test = p[2];
    return true;
}

/* Does `v` use only x, numbers and the math functions? Reports what does not. */
static bool check_function_of_x(Checker *c, const Value *v)
{
    char text[64];
    switch (v->kind) {
    case VAL_NUMBER: return true;
    case VAL_NAME:
        if (!strcmp(v->str, "x"))
            return true;
        error(c, v->loc, "unknown name '%s' in the function; it may use x, pi, e and let names",
              v->str);
        return false;
    case VAL_CALL: {
        if (!check_is_math_function(v->str)) {
            error_unknown(c, v->loc, "function", v->str, "", math_functions);
            return false;
        }
        if (!v->args || v->args->next) {
            error(c, v->loc, "'%s' takes one argument", v->str);
            return false;
        }
        return check_function_of_x(c, v->args);
    }
    case VAL_BINOP: return check_function_of_x(c, v->args) && check_function_of_x(c, v->args->next);
    case VAL_NEG: return check_function_of_x(c, v->args);
    case VAL_SIZE:
    case VAL_STRING:
    case VAL_LIST: break;
    }
    error(c, v->loc, "'%s' has no place in a function of x", check_value_text(v, text, sizeof text));
    return false;
}

/* The value of a checked function of x at x. */
static double eval_at(const Value *v, double x)
{
    switch (v->kind) {
    case VAL_NUMBER: return v->num;
    case VAL_CALL: return apply_math(v->str, eval_at(v->args, x));
    case VAL_NEG: return -eval_at(v->args, x);
    case VAL_BINOP: {
        double a = eval_at(v->args, x), b = eval_at(v->args->next, x);
        char op = v->str[0];
        return op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : op == '/' ? a / b
                                                                          : pow(a, b);
    }
    case VAL_NAME: return x; /* the only name check_function_of_x lets through */
    case VAL_SIZE:
    case VAL_STRING:
    case VAL_LIST: break; /* refused by check_function_of_x */
    }
    abort();
}

/* The nodes of the tree under v, counting no further than `limit`: lets can make a tree far
 * larger than its text (`let b = a * a`, `let c = b * b`, …). */
static int count_nodes(const Value *v, int limit)
{
    int n = 1;
    for (const Value *a = v->args; a && n <= limit; a = a->next)
        n += count_nodes(a, limit - n);
    return n;
}

/* y = EXPR of x, written out as C in the trainer: at most FUNCTION_MAX_NODES operations */
static bool set_function(Checker *c, const Setting *s)
{
    enum { FUNCTION_MAX_NODES = 4096 };
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return false;
    if (count_nodes(v, FUNCTION_MAX_NODES) > FUNCTION_MAX_NODES) {
        error(c, v->loc, "the function has more than %d terms once its lets are put in",
              FUNCTION_MAX_NODES);
        return false;
    }
    if (!check_function_of_x(c, v))
        return false;
    c->net->function = v;
    return true;
}

/* x = uniform(lo, hi) | linspace(lo, hi) */
static bool set_x_range(Checker *c, const Setting *s)
{
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return false;
    bool ok = v->kind == VAL_CALL && (!strcmp(v->str, "uniform") || !strcmp(v->str, "linspace")) &&
              v->args && v->args->next && !v->args->next->next &&
              v->args->kind == VAL_NUMBER && v->args->next->kind == VAL_NUMBER;
    if (!ok) {
        error(c, v->loc, "'x' takes uniform(lo, hi) or linspace(lo, hi), e.g. uniform(1, 16)");
        return false;
    }
    if (!(v->args->num < v->args->next->num)) {
        error(c, v->loc, "the interval of 'x' needs lo < hi, got [%.16g, %.16g]", v->args->num,
              v->args->next->num);
        return false;
    }
    /* the trainer holds x as a float: the interval must be one of floats, and more than one */
    if (fabs(v->args->num) > FLT_MAX || fabs(v->args->next->num) > FLT_MAX ||
        !((float)v->args->num < (float)v->args->next->num)) {
        error(c, v->loc, "the interval of 'x', [%.16g, %.16g], is not an interval of floats "
              "(up to %g in magnitude, lo < hi once rounded)", v->args->num, v->args->next->num,
              FLT_MAX);
        return false;
    }
    c->net->linspace = !strcmp(v->str, "linspace");
    c->net->x_lo = v->args->num;
    c->net->x_hi = v->args->next->num;
    return true;
}

/* target = last | N (a 0-based column) */
static bool set_target(Checker *c, const Setting *s)
{
    const Value *v = check_resolve(c, s->value);
    if (!v)
        return false;
    if (v->kind == VAL_NAME && !strcmp(v->str, "last")) {
        c->net->csv_target = -1;
        return true;
    }
    if (v->kind != VAL_NUMBER || v->num != floor(v->num) || v->num < 0 || v->num > 1e6) {
        error(c, v->loc, "'target' takes 'last' or a column number counted from 0");
        return false;
    }
    c->net->csv_target = (int)v->num;
    return true;
}

static const SettingSpec train_settings[] = {
    {"epochs", SET_INT, 1, EPOCHS_MAX, false, NET_FIELD(epochs), NULL},
    {"batch", SET_CUSTOM, 0, 0, false, 0, set_batch},
    {"seed", SET_LONG, 0, 9007199254740992.0, false, NET_FIELD(seed), NULL},
    {"max_steps", SET_LONG, 1, 1e12, false, NET_FIELD(max_steps), NULL},
    {"stop_when_loss_below", SET_NUMBER, 0, 1e6, false, NET_FIELD(loss_below), NULL},
    {"early_stop", SET_INT, 1, 1e6, false, NET_FIELD(patience), NULL},
    {"monitor", SET_CUSTOM, 0, 0, false, 0, set_monitor},
    {"keep_best", SET_BOOL, 0, 0, false, NET_FIELD(keep_best), NULL},
    {"plot", SET_STRING, 0, 0, false, NET_FIELD(plot), NULL},
    END_SPECS,
};

#define IMAGE_SETTINGS                                                                       \
    {"valid", SET_PART, 0, 0, false, NET_FIELD(valid), NULL},                                \
    {"normalize", SET_BOOL, 0, 0, false, NET_FIELD(normalize), NULL},                        \
    {"mean", SET_NUMBER, -1e6, 1e6, false, NET_FIELD(mean), NULL},                           \
    {"std", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(std), NULL},                            \
    {"augment", SET_BLOCK, 0, 0, false, 0, set_augment}

static const SettingSpec dataset_settings[] = {IMAGE_SETTINGS, END_SPECS};

static const SettingSpec idx_settings[] = {
    {"images", SET_STRING, 0, 0, false, NET_FIELD(images), NULL},
    {"labels", SET_STRING, 0, 0, false, NET_FIELD(labels), NULL},
    {"test_images", SET_STRING, 0, 0, false, NET_FIELD(test_images), NULL},
    {"test_labels", SET_STRING, 0, 0, false, NET_FIELD(test_labels), NULL},
    IMAGE_SETTINGS,
    END_SPECS,
};

static const SettingSpec csv_settings[] = {
    {"file", SET_STRING, 0, 0, false, NET_FIELD(csv), NULL},
    {"target", SET_CUSTOM, 0, 0, false, 0, set_target},
    {"header", SET_BOOL, 0, 0, false, NET_FIELD(csv_header), NULL},
    {"classes", SET_INT, 2, 1e6, false, NET_FIELD(classes), NULL},
    {"valid", SET_PART, 0, 0, false, NET_FIELD(valid), NULL},
    {"test", SET_PART, 0, 0, false, NET_FIELD(test), NULL},
    {"split", SET_CUSTOM, 0, 0, false, 0, set_split},
    {"normalize", SET_BOOL, 0, 0, false, NET_FIELD(normalize), NULL},
    END_SPECS,
};

static const SettingSpec function_settings[] = {
    {"y", SET_CUSTOM, 0, 0, false, 0, set_function},
    {"x", SET_CUSTOM, 0, 0, false, 0, set_x_range},
    {"n", SET_INT, 2, 1e8, false, NET_FIELD(n), NULL},
    {"valid", SET_PART, 0, 0, false, NET_FIELD(valid), NULL},
    {"test", SET_PART, 0, 0, false, NET_FIELD(test), NULL},
    {"split", SET_CUSTOM, 0, 0, false, 0, set_split},
    {"normalize", SET_BOOL, 0, 0, false, NET_FIELD(normalize), NULL},
    END_SPECS,
};

/* ---- layers: each kind described by its OpDesc (compiler/ops/) ------------------------------- */

/* An unknown layer word: torch's names are among the guesses (Linear is dense). */
static void unknown_layer(Checker *c, Loc loc, const char *word)
{
    error_unknown(c, loc, "layer", word, "", op_words());
}

bool check_is_layer(const char *word)
{
    return op_find(word) != NULL || !strcmp(word, "repeat");
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

/* torch.nn.init's names (and Keras's glorot_*) of the initializers, for the messages */
static const TorchName *init_torch_names(void)
{
    static const TorchName names[] = {
        {"kaiming_normal_", "he_normal", "torch.nn.init"},
        {"kaiming_uniform_", "he_uniform", "torch.nn.init"},
        {"normal_", "normal", "torch.nn.init"},
        {"uniform_", "uniform", "torch.nn.init"},
        {"constant_", "constant", "torch.nn.init"},
        {"zeros_", "zeros", "torch.nn.init"},
        {"glorot_uniform", "xavier_uniform", "keras.initializers"},
        {"glorot_normal", "xavier_normal", "keras.initializers"},
        {NULL, NULL, NULL},
    };
    return names;
}


/* init = zeros | constant(c) | normal([mean,] std) | uniform(a [, b]) | xavier_* | he_* | lecun_* */
static bool check_init(Checker *c, const char *key, const Value *v, Init *init)
{
    if (v->kind != VAL_NAME && v->kind != VAL_CALL) {
        char text[64];
        error(c, v->loc, "'%s' takes an initializer such as he_normal, got '%s'", key,
              check_value_text(v, text, sizeof text));
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

void set_vector(NetLayer *l, int n)
{
    l->out_rank = 1;
    l->out_shape[0] = n;
    l->out_size = n;
}

void keep_shape(LayerCheck *lc)
{
    memcpy(lc->l->out_shape, lc->prev->out_shape, sizeof lc->l->out_shape);
    lc->l->out_rank = lc->prev->out_rank;
    lc->l->out_size = lc->prev->out_size;
}

int check_size(Checker *c, const Value *raw, const char *what, int max)
{
    const Value *v = check_resolve(c, raw);
    if (!v)
        return -1;
    if (v->kind != VAL_NUMBER || v->num != floor(v->num) || v->num < 1 || v->num > max) {
        char text[64];
        error(c, v->loc, "%s takes a whole number in [1, %d], got '%s'", what, max,
              check_value_text(v, text, sizeof text));
        return -1;
    }
    return (int)v->num;
}

int check_kernel(Checker *c, const Value *v, const char *what)
{
    if (v->kind == VAL_SIZE) {
        if (v->ndims != 2 || v->dims[0] != v->dims[1] || v->dims[0] < 1) {
            error(c, v->loc, "%s takes a square size, K or KxK (e.g. 5 or 5x5)", what);
            return -1;
        }
        return v->dims[0];
    }
    return check_size(c, v, what, MAX_DIM);
}

/* One option of a layer, by its spec: type, then range; stored where the spec says. */
static bool check_option(Checker *c, const OptionSpec *spec, const Setting *o, NetLayer *l,
                         double *slot)
{
    if (!o->value) {
        error(c, o->loc, "'%s' takes a value: '%s=…'", o->key, o->key);
        return false;
    }
    if (spec->type == OPT_CHOICE) {
        int k = setting_choice(c, o, spec->choices);
        *slot = k;
        return k >= 0;
    }
    const Value *v = check_resolve(c, o->value);
    if (!v)
        return false;
    char text[64];
    switch (spec->type) {
    case OPT_INIT:
        return check_init(c, o->key, v, &l->init[spec->slot]);
    case OPT_KERNEL:
        return (*slot = check_kernel(c, v, "'kernel'")) > 0;
    case OPT_WHOLE:
        if (v->kind != VAL_NUMBER || v->num != floor(v->num) || v->num < spec->min ||
            v->num > spec->max) {
            error(c, v->loc, "'%s' takes a whole number ≥ %g, got '%s'", o->key, spec->min,
                  check_value_text(v, text, sizeof text));
            return false;
        }
        *slot = v->num;
        return true;
    case OPT_NUMBER:
    case OPT_WEIGHT_DECAY:
        if (v->kind != VAL_NUMBER || v->num < spec->min || v->num > spec->max) {
            error(c, v->loc, "'%s' takes a number in [%g, %g], got '%s'", o->key, spec->min,
                  spec->max, check_value_text(v, text, sizeof text));
            return false;
        }
        *(spec->type == OPT_WEIGHT_DECAY ? &l->weight_decay : slot) = v->num;
        return true;
    case OPT_CHOICE:
        break;
    }
    return false;
}

/* The layer's options, `key=value`: each one its op takes, each once. False after an error. */
static bool check_options(Checker *c, const Layer *src, const char *word, NetLayer *l)
{
    const OpDesc *op = l->op;
    const char *keys[OP_MAX_OPTIONS + 1] = {NULL};
    for (int i = 0; i < OP_MAX_OPTIONS && op->options[i].key; i++) {
        keys[i] = op->options[i].key;
        l->opt[i] = op->options[i].def;
    }
    bool ok = true, init_named = false, bias_named = false;
    for (const Setting *o = src->opts; o; o = o->next) {
        int k = 0;
        while (keys[k] && strcmp(keys[k], o->key))
            k++;
        const Setting *first = src->opts;
        while (strcmp(first->key, o->key))
            first = first->next;
        if (!keys[k] && !keys[0]) {
            error(c, o->loc, "'%s' takes no options", word);
            ok = false;
        } else if (!keys[k]) {
            char where[48];
            snprintf(where, sizeof where, " for '%s'", word);
            error_unknown(c, o->loc, "option", o->key, where, keys);
            ok = false;
        } else if (first != o) {
            error(c, o->loc, "'%s' is set twice", o->key);
            note(c, first->loc, "first set here");
            ok = false;
        } else if (!check_option(c, &op->options[k], o, l, &l->opt[k])) {
            ok = false;
        }
        if (keys[k] && op->options[k].type == OPT_INIT) {
            init_named |= op->options[k].slot == 0;
            bias_named |= op->options[k].slot == 1;
        }
    }
    /* a named init for W starts b at zero, as most texts do; torch's default keeps both */
    if (init_named && !bias_named)
        l->init[1] = (Init){INIT_ZEROS, 0, 0};
    return ok;
}

/* The kind word of a layer: as written, or the value of the let it names (`let act = relu`). */
static const char *layer_word(Checker *c, const Layer *src)
{
    if (!find_let(c, src->kind))
        return src->kind;
    Value name = {.kind = VAL_NAME, .loc = src->loc, .str = src->kind};
    const Value *v = check_resolve(c, &name);
    if (!v)
        return NULL;
    if (v->kind != VAL_NAME) {
        char text[64];
        error(c, src->loc, "'%s' is '%s', not a layer kind", src->kind,
              check_value_text(v, text, sizeof text));
        return NULL;
    }
    return v->str;
}

/* One layer after `prev` (NULL for the first): its kind, argument, options, output shape.
 * Returns false when the layer is wrong, so that no shape error cascades from it. */
static bool check_layer(Checker *c, const Layer *src, const NetLayer *prev, NetLayer *l,
                        int *ordinal)
{
    const char *word = layer_word(c, src);
    if (!word)
        return false;
    const OpDesc *op = op_find(word);
    if (!op) {
        unknown_layer(c, src->loc, word);
        return false;
    }
    l->op = op;
    l->word = word;
    l->src = src;
    l->init[0] = l->init[1] = (Init){INIT_TORCH, 0, 0};
    l->weight_decay = -1;
    if (op->is_input)
        snprintf(l->name, sizeof l->name, "input");
    else
        snprintf(l->name, sizeof l->name, "%s%d", word, ++ordinal[op_index(op)]);

    bool ok = true;
    /* positional: `input N | HxW | CxHxW`, `dense N`, `dropout P`, `maxpool K` */
    if (src->extra_args) {
        error(c, src->extra_args->loc, "'%s' takes one argument, got more", word);
        ok = false;
    }
    if (op->arg == ARG_NONE && src->arg) {
        error(c, src->arg->loc, "'%s' takes no size", word);
        ok = false;
    }
    if (op->arg != ARG_NONE && !src->arg) {
        error(c, src->loc, "'%s' needs %s, e.g. '%s'", word, op->arg_what, op->example);
        return false;
    }
    ok &= check_options(c, src, word, l);

    if (op->is_input != !prev) {
        error(c, src->loc, op->is_input ? "'input' must be the first layer, and only the first"
                                        : "the first layer must be 'input', e.g. 'input 784'");
        return false;
    }
    LayerCheck lc = {.c = c, .src = c->src, .at = src, .prev = prev, .l = l, .word = word,
                     .options_ok = ok};
    if (prev) {
        l->in_size = prev->out_size;
        net_shape_text(prev, lc.prev_shape, sizeof lc.prev_shape);
    }
    if (!op->shape) {
        keep_shape(&lc);
        return ok;
    }
    return op->shape(&lc) && ok;
}

/* The layers as a flat list, each `repeat N { … }` unrolled N times. */
static int flatten_layers(Checker *c, const Layer *list, const Layer **out, int n, int max)
{
    for (const Layer *l = list; l; l = l->next) {
        if (strcmp(l->kind, "repeat")) {
            if (n == max) {
                error(c, l->loc, "more than %d layers", max);
                return -1;
            }
            out[n++] = l;
            continue;
        }
        if (!l->arg) {
            error(c, l->loc, "'repeat' needs a count, e.g. 'repeat 3 { dense 64 relu }'");
            return -1;
        }
        int times = check_size(c, l->arg, "'repeat'", max);
        if (times < 0)
            return -1;
        if (!l->body)
            warning(c, l->loc, "'repeat' of nothing");
        for (int t = 0, before = n; t < times && n >= 0; t++) {
            n = flatten_layers(c, l->body, out, n, max);
            if (n == before)
                break; /* a body of empty repeats: the other passes would add nothing either */
        }
        if (n < 0)
            return -1;
    }
    return n;
}

/* model NAME { input …; layers… }: every layer known and fitting the one before it */
static void check_model(Checker *c, const Stmt *s)
{
    Net *net = c->net;
    net->name = s->name;
    enum { MAX_LAYERS = 4096 };
    const Layer **flat = arena_alloc(c->arena, MAX_LAYERS * sizeof *flat);
    int n = flatten_layers(c, s->layers, flat, 0, MAX_LAYERS);
    if (n < 0)
        return;
    if (n == 0) {
        error(c, s->name_loc, "model '%s' has no layers; start with e.g. 'input 784'", s->name);
        return;
    }
    net->layers = arena_alloc(c->arena, (size_t)n * sizeof *net->layers);
    int ordinal[64] = {0}; /* by op_index */
    NetLayer *prev = NULL;
    bool shapes_ok = true;
    for (int i = 0; i < n; i++) {
        const Layer *src = flat[i];
        NetLayer *l = &net->layers[net->nlayers];
        if (src->broken) { /* the parser said why; no shape is known after it */
            shapes_ok = false;
            continue;
        }
        if (!shapes_ok) { /* still say which words are unknown, but infer no more shapes */
            if (!op_find(src->kind) && !find_let(c, src->kind))
                unknown_layer(c, src->loc, src->kind);
            continue;
        }
        if (!check_layer(c, src, prev, l, ordinal)) {
            shapes_ok = false;
            continue;
        }
        prev = l;
        net->nlayers++;
    }
    c->model_whole = shapes_ok && !s->broken;
    bool trainable = false;
    for (int i = 0; i < net->nlayers; i++)
        trainable |= op_param_count(&net->layers[i]) > 0;
    if (c->model_whole && !trainable)
        error(c, s->name_loc, "model '%s' has nothing to train; add a layer with parameters, "
              "e.g. 'dense 10'", s->name);
}

/* ---- statements ---------------------------------------------------------------------------- */

/* The name after `loss`, `optimizer`, `data`, `schedule`: a word from `valid`, or -1. */
static int check_choice(Checker *c, const Value *raw, const char *what, const char *const *valid)
{
    char text[64];
    const Value *v = check_resolve(c, raw);
    if (!v)
        return -1;
    if (v->kind != VAL_NAME) {
        error(c, v->loc, "%s takes a name, got '%s'", what, check_value_text(v, text, sizeof text));
        return -1;
    }
    for (int i = 0; valid[i]; i++)
        if (!strcmp(valid[i], v->str))
            return i;
    error_unknown(c, v->loc, what, v->str, "", valid);
    return -1;
}

/* ---- optimizer: torch.optim's names, settings and defaults (ops/optim.c) ---------------------- */

/* optimizer NAME { settings }: each with torch.optim's defaults, sgd's lr required as there */
static void check_optimizer(Checker *c, const Stmt *opt)
{
    int k = check_choice(c, opt->value, "optimizer", optim_words());
    if (k < 0)
        return;
    Net *net = c->net;
    const OptimDesc *o = optim_list[k];
    net->optimizer = o;
    if (o->defaults)
        o->defaults(net);
    apply_settings(c, o->word, o->settings, opt->settings);
    if (o->needs_lr && missing(opt->settings, "lr"))
        error(c, opt->value->loc, "'%s' needs a learning rate, e.g. '{ lr = 0.1 }'", o->word);
    if (net->nesterov && (net->momentum == 0 || net->dampening != 0) && !opt->broken)
        error(c, opt->value->loc, "Nesterov momentum needs a momentum > 0 and no dampening");
    if (net->clip_value && net->clip_norm)
        error(c, check_find_setting(opt->settings, "clip_norm")->loc,
              "clip by value or by norm, not both");
}

/* ---- schedule: torch.optim.lr_scheduler's names (ops/schedule.c) ------------------------------ */

/* cycle_momentum: torch cycles SGD's and RMSprop's momentum, Adam's beta1, and refuses Adagrad */
static void check_cycled_momentum(Checker *c, const Stmt *st)
{
    Net *net = c->net;
    if (net->optimizer->cycles == CYCLES_BETA1)
        warning(c, st->value->loc, "torch's OneCycleLR would also cycle %s's beta1; netc "
                "keeps it fixed (say 'cycle_momentum = false' to make that explicit)",
                net->optimizer->word);
    if (net->optimizer->cycles != CYCLES_MOMENTUM)
        net->cycle_momentum = false;
    else if (!(net->base_momentum < net->max_momentum))
        error(c, st->value->loc, "'base_momentum' (%g) must be below 'max_momentum' (%g)",
              net->base_momentum, net->max_momentum);
}

static void check_schedule(Checker *c, const Stmt *st)
{
    int k = check_choice(c, st->value, "schedule", schedule_words());
    if (k < 0)
        return;
    Net *net = c->net;
    const ScheduleDesc *s = schedule_list[k];
    net->schedule = s;
    net->gamma = 0.1;
    net->pct_start = 0.3, net->div_factor = 25, net->final_div_factor = 1e4;
    net->cycle_momentum = true, net->base_momentum = 0.85, net->max_momentum = 0.95;
    apply_settings(c, s->word, s->settings, st->settings);
    if (s->cycles_momentum && net->cycle_momentum && whole(c, STMT_OPTIMIZER) && !st->broken)
        check_cycled_momentum(c, st);
    if (s->required && missing(st->settings, s->required))
        error(c, st->value->loc, "'%s' needs '%s', e.g. '{ %s }'", s->word, s->required,
              s->example);
    net->schedule_per_step |= s->per_batch;
    if (!s->cycles_momentum)
        net->cycle_momentum = false;
}

/* ---- loss: what it needs of the network's output and of the data (ops/loss.c) ------------------ */

/* The losses that fit values, for a message: "'mse' or 'huber'". */
static const char *value_losses(char *buf, size_t size)
{
    int n = 0, used = 0;
    for (int i = 0; loss_list[i]; i++)
        n += loss_list[i]->values;
    buf[0] = '\0';
    for (int i = 0, k = 0; loss_list[i] && used >= 0 && (size_t)used < size; i++)
        if (loss_list[i]->values) {
            k++;
            used += snprintf(buf + used, size - used, "%s'%s'", k == 1 ? "" : k == n ? " or " : ", ",
                             loss_list[i]->words[0]);
        }
    return buf;
}

/* The checks every loss shares: a vector; for values, one of them and a loss that fits values;
 * for classes, one output per class. False when the loss's own check has nothing to add. */
static bool check_loss_output(Checker *c, const Stmt *loss, const NetLayer *last)
{
    Net *net = c->net;
    const char *name = net->loss_name;
    char shape[64];
    net_shape_text(last, shape, sizeof shape);
    int line = last->src->loc.first_line;
    if (last->out_rank != 1) {
        error(c, loss->value->loc, "'%s' needs a vector output, got %s from '%s' (line %d)",
              name, shape, last->name, line);
        return false;
    }
    if (net->regression) {
        char fit[128];
        if (!net->loss->values)
            error(c, loss->value->loc, "'%s' classifies, but this data is regression (values, "
                  "not classes); use %s", name, value_losses(fit, sizeof fit));
        else if (last->out_size != 1)
            error(c, loss->value->loc, "the data has one target value, but the model ends with "
                  "%s from '%s' (line %d)", shape, last->name, line);
        return false;
    }
    if (net->classes && last->out_size != net->classes) {
        error(c, loss->value->loc, "'%s' on %d classes needs %d outputs, but the model ends with "
              "%s from '%s' (line %d)", name, net->classes, net->classes, shape, last->name, line);
        return false;
    }
    if (last->out_size < 2) {
        error(c, loss->value->loc, "'%s' classifies: it needs at least 2 outputs, got %s from "
              "'%s'", name, shape, last->name);
        return false;
    }
    return true;
}

static void check_loss(Checker *c, const Stmt *loss)
{
    Net *net = c->net;
    const char *const *words = loss_words();
    int k = check_choice(c, loss->value, "loss", words);
    net->loss_loc = loss->value->loc;
    if (k < 0)
        return;
    const LossDesc *l = loss_find(words[k]);
    net->loss = l;
    net->loss_name = words[k];
    if (l->defaults)
        l->defaults(net);
    apply_settings(c, words[k], l->settings, loss->settings);

    if (net->nlayers < 2 || c->src->nerrors > c->errors_before || !c->model_whole ||
        !whole(c, STMT_DATA))
        return; /* no output to check against, or no sure classes */
    const NetLayer *last = &net->layers[net->nlayers - 1];
    if (check_loss_output(c, loss, last) && l->check_output)
        l->check_output(c->src, loss->value->loc, words[k], last);
}

/* ---- data ------------------------------------------------------------------------------------ */

static const char *const data_words[DATA_KINDS + 1] = {
    [DATA_FASHION_MNIST] = "fashion_mnist", [DATA_MNIST] = "mnist", [DATA_IDX] = "idx",
    [DATA_CSV] = "csv", [DATA_FUNCTION] = "function", [DATA_KINDS] = NULL,
};

const char *check_data_word(DataKind kind)
{
    return data_words[kind];
}

static void check_data(Checker *c, const Stmt *data)
{
    static const SettingSpec *const specs[] = {
        [DATA_FASHION_MNIST] = dataset_settings, [DATA_MNIST] = dataset_settings,
        [DATA_IDX] = idx_settings, [DATA_CSV] = csv_settings, [DATA_FUNCTION] = function_settings,
    };
    _Static_assert(sizeof specs / sizeof *specs == DATA_KINDS, "a data source without settings");
    const char *const *words = data_words;
    Net *net = c->net;
    int kind = check_choice(c, data->value, "data source", words);
    if (kind < 0)
        return;
    net->data = (DataKind)kind;
    net->classes = kind <= DATA_MNIST ? 10 : 0;
    net->csv_target = -1;
    const Setting *n = check_find_setting(data->settings, "n");
    if (n && n->value) { /* split's counts are checked against n: read it first */
        const Value *v = check_resolve(c, n->value);
        if (v && v->kind == VAL_NUMBER && v->num == floor(v->num) && v->num >= 2 && v->num <= 1e8)
            net->n = (int)v->num;
    }
    apply_settings(c, words[kind], specs[kind], data->settings);
    const Loc at = data->value->loc;
    static const char *const required[][2] = {
        [DATA_IDX] = {"images", "labels"}, [DATA_CSV] = {"file", NULL},
        [DATA_FUNCTION] = {"y", "x"},
    };
    for (int i = 0; kind >= DATA_IDX && i < 2; i++)
        if (required[kind][i] && missing(data->settings, required[kind][i]))
            error(c, at, "'data %s' needs '%s = …'", words[kind], required[kind][i]);
    if (kind == DATA_FUNCTION && !net->n && missing(data->settings, "n"))
        error(c, at, "'data function' needs 'n = …', the number of points");
    /* the function must have a value everywhere x may fall: try 1001 points of the interval */
    const Setting *y = check_find_setting(data->settings, "y"), *x = check_find_setting(data->settings, "x");
    for (int i = 0; kind == DATA_FUNCTION && net->function && x && net->x_lo < net->x_hi &&
                    i <= 1000; i++) {
        double xi = net->x_lo + (net->x_hi - net->x_lo) * i / 1000;
        double yi = eval_at(net->function, xi);
        if (!isfinite(yi)) {
            error(c, y->value->loc, "y is %s at x = %g, inside the interval of x", isnan(yi) ? "not "
                  "defined" : "infinite", xi);
            note(c, x->value->loc, "x runs from %g to %g", net->x_lo, net->x_hi);
            break;
        }
    }
    if (check_find_setting(data->settings, "split") &&
        (check_find_setting(data->settings, "valid") || check_find_setting(data->settings, "test")))
        error(c, check_find_setting(data->settings, "split")->loc,
              "'split' says what 'valid' and 'test' say: give one or the other");
    if (!!net->test_images != !!net->test_labels && !data->broken)
        error(c, at, "'test_images' and 'test_labels' go together: give both or neither");
    if (kind <= DATA_MNIST && net->valid >= 60000)
        error(c, at, "'valid = %.16g' leaves no training samples (the training set has 60000)",
              net->valid);
    if (kind == DATA_FUNCTION && net->n) {
        double held = (net->valid < 1 ? net->valid * net->n : net->valid) +
                      (net->test < 1 ? net->test * net->n : net->test);
        if (held >= net->n)
            error(c, at, "'valid' and 'test' hold out %.0f of the %d points: none is left for "
                  "training", held, net->n);
    }
    if ((check_find_setting(data->settings, "mean") || check_find_setting(data->settings, "std")) &&
        !net->normalize && !data->broken)
        warning(c, at, "'mean' and 'std' are used only with 'normalize = true'");
    net->regression = kind == DATA_FUNCTION || (kind == DATA_CSV && !net->classes);
    if ((net->flip || net->rotate || net->shift) && net->layers && net->nlayers &&
        net->layers[0].out_rank == 1)
        error(c, check_find_setting(data->settings, "augment")->loc, "augmentation moves pixels: the "
              "input must be an image, e.g. 'input 28x28', not a vector");
}

/* ---- the run's length ------------------------------------------------------------------------ */

/* The training samples, where the file says how many there are (the built-in sets, a function);
 * 0 when only the data's files will tell (idx, csv). */
static long training_samples(const Net *net)
{
    double n = net->data <= DATA_MNIST ? 60000 : net->data == DATA_FUNCTION ? net->n : 0;
    if (n == 0)
        return 0;
    double held = (net->valid < 1 ? net->valid * n : net->valid) +
                  (net->test < 1 ? net->test * n : net->test);
    return n - held > 0 ? (long)(n - held) : 0;
}

/* max_steps without epochs bounds the run by steps alone, as PyTorch Lightning does: the epochs
 * compiled in are then 0, "no epoch limit" (the runtime's plan_run runs max_steps steps; a
 * trainer's --epochs bounds it again). Settings that cannot all hold get a warning. */
static void check_run_length(Checker *c, const Setting *train)
{
    Net *net = c->net;
    const Setting *epochs = check_find_setting(train, "epochs");
    const Setting *steps = check_find_setting(train, "max_steps");
    if (steps && !epochs && net->max_steps > 0)
        net->epochs = 0;
    if (!steps && !epochs && net->batch == 0)
        warning(c, check_find_setting(train, "batch")->loc, "'batch = full' takes one step an "
                "epoch, so the default %d epochs are %d steps; set 'epochs' or 'max_steps'",
                net->epochs, net->epochs);
    long n = training_samples(net);
    if (steps && epochs && n > 0 && net->max_steps > 0) {
        long per_epoch = net->batch ? (n + net->batch - 1) / net->batch : 1;
        double total = (double)net->epochs * per_epoch;
        if (net->max_steps > total)
            warning(c, steps->loc, "'max_steps = %lld' is never reached: %d epoch%s of %ld "
                    "step%s end the run after %.0f; leave 'epochs' out to bound it by steps alone",
                    net->max_steps, net->epochs, net->epochs == 1 ? "" : "s", per_epoch,
                    per_epoch == 1 ? "" : "s", total);
    }
    const Setting *below = check_find_setting(train, "stop_when_loss_below");
    if (below && net->loss_below == 0)
        warning(c, below->loc, "'stop_when_loss_below = 0' never stops the run: a loss is not "
                "below 0");
}

/* ---- every word the language accepts, for the docs' and the editors' tests ------------------ */

static void print_spec_keys(FILE *f, const SettingSpec *specs)
{
    for (const SettingSpec *s = specs; s->key; s++)
        fprintf(f, "setting %s\n", s->key);
}

void check_print_words(FILE *f)
{
    for (int i = 0; statement_words[i]; i++)
        fprintf(f, "statement %s\n", statement_words[i]);
    for (const char *const *w = op_words(); *w; w++)
        fprintf(f, "layer %s\n", *w);
    for (int i = 0; op_list[i]; i++)
        for (int k = 0; k < OP_MAX_OPTIONS && op_list[i]->options[k].key; k++) {
            const OptionSpec *o = &op_list[i]->options[k];
            fprintf(f, "option %s\n", o->key);
            for (int j = 0; o->type == OPT_CHOICE && o->choices[j]; j++)
                fprintf(f, "value %s\n", o->choices[j]);
        }
    for (const char *const *w = loss_words(); *w; w++)
        fprintf(f, "loss %s\n", *w);
    for (const char *const *w = optim_words(); *w; w++)
        fprintf(f, "optimizer %s\n", *w);
    for (const char *const *w = schedule_words(); *w; w++)
        fprintf(f, "schedule %s\n", *w);
    for (int i = 0; data_words[i]; i++)
        fprintf(f, "data %s\n", data_words[i]);
    for (int i = 0; init_words[i]; i++)
        fprintf(f, "init %s\n", init_words[i]);
    for (int i = 0; loss_list[i]; i++)
        print_spec_keys(f, loss_list[i]->settings);
    for (int i = 0; optim_list[i]; i++)
        print_spec_keys(f, optim_list[i]->settings);
    for (int i = 0; schedule_list[i]; i++)
        print_spec_keys(f, schedule_list[i]->settings);
    const SettingSpec *const blocks[] = {train_settings, dataset_settings, idx_settings,
                                         csv_settings, function_settings, augment_settings};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        print_spec_keys(f, blocks[i]);
    const char *const *values[] = {monitor_words, per_words, reduction_words, flip_words,
                                   other_value_words, math_functions};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (int k = 0; values[i][k]; k++)
            fprintf(f, "%s %s\n", values[i] == math_functions ? "function" : "value", values[i][k]);
}

/* ---- the program ------------------------------------------------------------------------------ */

/* let NAME = value, in order; -D NAME=value replaces the value of an existing let. */
static void check_lets(Checker *c, const Stmt *prog)
{
    for (const Stmt *s = prog; s; s = s->next) {
        if (s->kind != STMT_LET)
            continue;
        Let *twice = find_let(c, s->name);
        if (twice) {
            error(c, s->name_loc, "'%s' is defined twice", s->name);
            note(c, twice->loc, "first defined here");
            continue;
        }
        if (c->nlets == (int)(sizeof c->lets / sizeof c->lets[0])) {
            error(c, s->name_loc, "too many lets");
            return;
        }
        c->lets[c->nlets++] = (Let){.name = s->name, .loc = s->name_loc, .value = s->value};
    }
    for (int i = 0; i < c->ndefines; i++) {
        const Define *d = &c->defines[i];
        Let *let = find_let(c, d->name);
        if (!let) {
            const char *names[65];
            for (int j = 0; j < c->nlets; j++)
                names[j] = c->lets[j].name;
            names[c->nlets] = NULL;
            const char *guess = suggest(d->name, names);
            fprintf(stderr, "netc: -D %s: %s has no 'let %s'%s%s%s\n", d->name, c->src->path,
                    d->name, guess ? "; did you mean '" : "", guess ? guess : "",
                    guess ? "'?" : "");
            c->src->nerrors++;
            continue;
        }
        let->value = d->value;
        let->from_define = true;
    }
}

bool check_program(Source *src, Arena *arena, const Stmt *prog, const Define *defines,
                   int ndefines, Net *net)
{
    Checker c = {.src = src, .arena = arena, .net = net, .defines = defines,
                 .ndefines = ndefines, .errors_before = src->nerrors};
    memset(net, 0, sizeof *net);
    net->epochs = 10;
    net->batch = 64;
    net->seed = 42;
    net->optimizer = optim_list[0]; /* sgd, cross_entropy, constant: until their statements */
    net->loss = loss_list[0];
    net->loss_name = loss_list[0]->words[0];
    net->schedule = schedule_list[0];
    check_lets(&c, prog);

    /* each statement at most once (a lost one may not have been what it seemed: no message) */
    const Stmt **seen = c.seen;
    bool any_broken = false;
    for (const Stmt *s = prog; s; s = s->next) {
        any_broken |= s->broken;
        if (s->kind == STMT_LET)
            continue;
        if (seen[s->kind] && !s->lost && !seen[s->kind]->lost) {
            error(&c, s->loc, "a second '%s'; a file has one", statement_words[s->kind]);
            note(&c, seen[s->kind]->loc, "the first one is here");
            continue;
        }
        if (!seen[s->kind] || seen[s->kind]->lost)
            seen[s->kind] = s;
    }

    /* model: required */
    static const Loc whole_file = {0, 0, 0, 0};
    const Stmt *model = seen[STMT_MODEL] && !seen[STMT_MODEL]->lost ? seen[STMT_MODEL] : NULL;
    if (model)
        check_model(&c, model);
    else if (!seen[STMT_MODEL])
        error(&c, whole_file, "no model in this file; a file describes one, e.g. "
              "'model mlp { input 784  dense 10 }'");

    /* data: required, it decides the classes (or that the targets are values) */
    if (seen[STMT_DATA] && !seen[STMT_DATA]->lost)
        check_data(&c, seen[STMT_DATA]);
    else if (model && !seen[STMT_DATA])
        error(&c, model->loc, "model '%s' has no data; add e.g. 'data fashion_mnist'",
              model->name);

    /* the input must be what the data gives: 28x28 images, or the x of a function */
    if (seen[STMT_DATA] && !seen[STMT_DATA]->lost && net->nlayers > 0 &&
        src->nerrors == c.errors_before) {
        const NetLayer *in = &net->layers[0];
        char shape[64];
        net_shape_text(in, shape, sizeof shape);
        if (net->data <= DATA_MNIST && in->out_size != 784)
            error(&c, in->src->loc, "%s images are 28x28 = 784 values, but the input is %s",
                  net->data == DATA_MNIST ? "MNIST" : "Fashion-MNIST", shape);
        else if (net->data == DATA_FUNCTION && in->out_size != 1)
            error(&c, in->src->loc, "'data function' gives one value x per sample, but the input "
                  "is %s; write 'input 1'", shape);
    }

    /* train { … }: optional */
    if (seen[STMT_TRAIN])
        apply_settings(&c, "train", train_settings, seen[STMT_TRAIN]->settings);
    /* early stopping and keep_best judge epochs by the validation split */
    for (int i = 0; i < 2 && seen[STMT_TRAIN] && net->valid == 0 &&
                    !(seen[STMT_DATA] && seen[STMT_DATA]->broken); i++) {
        const Setting *s = check_find_setting(seen[STMT_TRAIN]->settings, i ? "keep_best" : "early_stop");
        if (s && (i ? net->keep_best : net->patience > 0))
            error(&c, s->loc, "'%s' watches the validation split, and the data holds none out; "
                  "add e.g. 'valid = %s' to the data block", s->key,
                  net->data <= DATA_IDX ? "10000" : "0.1");
    }
    if (whole(&c, STMT_TRAIN) && !(seen[STMT_DATA] && seen[STMT_DATA]->broken))
        check_run_length(&c, seen[STMT_TRAIN]->settings); /* (it counts the data's samples) */
    if (net->monitor_acc && net->regression && seen[STMT_TRAIN] && whole(&c, STMT_DATA))
        error(&c, check_find_setting(seen[STMT_TRAIN]->settings, "monitor")->loc,
              "'valid_acc' is for classes; regression data has values, use 'valid_loss'");

    /* optimizer NAME { … }: required */
    if (seen[STMT_OPTIMIZER] && !seen[STMT_OPTIMIZER]->lost)
        check_optimizer(&c, seen[STMT_OPTIMIZER]);
    else if (model && !seen[STMT_OPTIMIZER])
        error(&c, model->loc, "model '%s' has no optimizer; add e.g. 'optimizer sgd { lr = 0.1 }'",
              model->name);

    /* schedule NAME { … }: optional, constant without it */
    if (seen[STMT_SCHEDULE] && !seen[STMT_SCHEDULE]->lost)
        check_schedule(&c, seen[STMT_SCHEDULE]);

    /* loss NAME { … }: required; it must fit the network's output */
    if (seen[STMT_LOSS] && !seen[STMT_LOSS]->lost)
        check_loss(&c, seen[STMT_LOSS]);
    else if (model && !seen[STMT_LOSS])
        error(&c, model->loc, "model '%s' has no loss; add e.g. 'loss cross_entropy'",
              model->name);

    /* (a let used only where a syntax error took the text is still used) */
    for (int i = 0; i < c.nlets && src->nerrors == c.errors_before && !any_broken; i++)
        if (!c.lets[i].used)
            warning(&c, c.lets[i].loc, "'%s' is defined but not used", c.lets[i].name);
    return src->nerrors == 0;
}
