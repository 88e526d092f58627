/* train.h: what training adds to a model, each kind described once, as op.h describes layers:
 *   loss.c      every loss: its words, torch's class, settings, check of the output, loss(B)
 *   optim.c     every optimizer: its word, torch's class and defaults, settings, state, step
 *   schedule.c  every learning-rate schedule: its word, the runtime's kind, settings
 * check.c reads a block's settings through the tables here; emit_train.c and emit.c call the
 * emitters. No other file knows a loss, an optimizer or a schedule by name.
 *
 * Adding one: a descriptor in its file, one line in its list, a test (tests/gradcheck for a
 * loss, tests/optimizers for an optimizer), a paragraph in docs/language.md.
 */
#ifndef TRAIN_H
#define TRAIN_H

#include "op.h"

#include <stddef.h>

/* ---- settings: `key = value` in a block, described by a table (check.c applies them) ------- */

typedef enum {
    SET_INT,
    SET_LONG,
    SET_NUMBER,
    SET_BOOL,
    SET_STRING,
    SET_PART,     /* a count (whole, ≥ 1) or a fraction in [0, 1): double                  */
    SET_CUSTOM,   /* checked by the spec's function                                       */
    SET_BLOCK,    /* `key { … }`, checked by the spec's function                          */
} SettingType;

typedef struct SettingSpec {
    const char *key;
    SettingType type;
    double min, max;      /* SET_INT, SET_LONG, SET_NUMBER: the allowed range             */
    bool max_open;        /* the range excludes max: [min, max)                           */
    size_t offset;        /* where in Net the value goes                                  */
    bool (*custom)(Checker *c, const Setting *s); /* SET_CUSTOM, SET_BLOCK                */
} SettingSpec;

#define NET_FIELD(f) offsetof(Net, f)
#define END_SPECS {NULL, 0, 0, 0, false, 0, NULL}

/* The schedules' settings that need the checker (check.c): per = epoch | step, and
 * milestones = (2, 4, 6). */
bool check_set_per(Checker *c, const Setting *s);
bool check_set_milestones(Checker *c, const Setting *s);
/* The losses' reduction = mean | sum (Net.loss_sum). */
bool check_set_reduction(Checker *c, const Setting *s);

/* ---- losses (loss.c) --------------------------------------------------------------------- */

struct LossDesc {
    const char *words[3];         /* the words that name it, ending with NULL: "hinge" too    */
    const char *torch;            /* torch.nn's class: "CrossEntropyLoss"                     */
    const SettingSpec *settings;  /* ending with END_SPECS                                     */
    void (*defaults)(Net *net);   /* its settings' values unless set; NULL: none              */
    bool values;                  /* it fits regression targets (values), not only classes    */
    /* Check: what the model's last layer yields (a vector of the classes' size, checked
     * already) is what it takes; errors at `at`. NULL: any output. */
    void (*check_output)(Source *src, Loc at, const char *word, const NetLayer *last);
    /* loss(B): the mean loss over the batch, and its gradient into d_<op->in>. */
    void (*emit)(Emitter *e, const IrOp *op);
};

/* Every loss, in the order the docs list them; ends with NULL. */
extern const LossDesc *const loss_list[];
/* Every loss word, in that order, ending with NULL: for the checker's messages. */
const char *const *loss_words(void);
/* The loss a word names, or NULL. */
const LossDesc *loss_find(const char *word);

/* ---- optimizers (optim.c) ---------------------------------------------------------------- */

/* What torch's OneCycleLR cycles (cycle_momentum) of this optimizer. */
typedef enum {
    CYCLES_NOTHING,  /* torch refuses it (Adagrad): netc does not cycle         */
    CYCLES_MOMENTUM, /* SGD, RMSprop: momentum, max → base → max                 */
    CYCLES_BETA1,    /* Adam, AdamW: beta1, which netc keeps fixed (a warning)  */
} OptimCycles;

/* A parameter tensor as update() steps it: its field, its size as C, its weight decay as C. */
typedef struct {
    char name[48], size[160], wd[40];
} TrainTensor;

struct OptimDesc {
    const char *word;             /* "sgd", "momentum", "adam"                                */
    const char *torch;            /* torch.optim's class: "SGD"                               */
    const SettingSpec *settings;  /* ending with END_SPECS                                     */
    void (*defaults)(Net *net);   /* torch.optim's defaults; NULL: none (all 0)               */
    bool needs_lr;                /* no default learning rate, as in torch.optim.SGD          */
    OptimCycles cycles;
    /* Its state: instances of struct params, named as torch.optim names them; how many. */
    int (*state)(const Net *net, const char *names[3]);
    /* The step function, for one tensor. */
    void (*step_function)(Emitter *e);
    /* update()'s locals (lr, wd, …) and anything it does before the steps. */
    void (*setup)(Emitter *e, const TrainTensor *t, int n);
    /* The call of the step function for one tensor. */
    void (*step_call)(Emitter *e, const TrainTensor *t);
    /* Its own constants as the trainer's start-up block shows them after the lr and momentum
     * (which the command line may change): "betas (0.9, 0.999)  eps 1e-08"; "" for none. */
    void (*detail)(const Net *net, char *out, size_t size);
};

/* Every optimizer, in the order the docs list them; ends with NULL. */
extern const OptimDesc *const optim_list[];
const char *const *optim_words(void);
const OptimDesc *optim_find(const char *word);

/* ---- schedules (schedule.c) -------------------------------------------------------------- */

struct ScheduleDesc {
    const char *word;             /* "step"                                                   */
    const char *runtime;          /* the runtime's NetrtSchedKind: "NETRT_SCHED_STEP"         */
    const SettingSpec *settings;
    const char *required;         /* the setting it needs, or NULL                            */
    const char *example;          /* the message's example of it: "every = 2"                  */
    bool per_batch;               /* it steps per batch whatever 'per' says (OneCycleLR)      */
    bool cycles_momentum;         /* it may cycle the optimizer's momentum (OneCycleLR)       */
    /* Its fields of the runtime's NetrtSchedule, after .kind and .per_step; NULL: none. */
    void (*emit_fields)(Emitter *e, const Net *net);
};

/* Every schedule, the first one constant (no schedule); ends with NULL. */
extern const ScheduleDesc *const schedule_list[];
const char *const *schedule_words(void);
const ScheduleDesc *schedule_find(const char *word);

/* A word's index in a NULL-ended list of words, or -1 (the three lookups share it). */
int train_word_index(const char *const *words, const char *word);

#endif
