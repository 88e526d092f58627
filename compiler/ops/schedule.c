/* schedule.c: the learning-rate schedules (ops/train.h), as torch.optim.lr_scheduler has them.
 * The runtime computes them (runtime/schedule.c); a descriptor says how the file asks for one:
 * the runtime's kind by its name, never by its position, and the fields it reads. */
#include "train.h"

#include <string.h>

#define PER_SETTING {"per", SET_CUSTOM, 0, 0, false, 0, check_set_per}
#define GAMMA_SETTING {"gamma", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(gamma), NULL}

static const SettingSpec no_settings[] = {END_SPECS};

static const ScheduleDesc constant = {
    .word = "constant",
    .runtime = "NETRT_SCHED_CONSTANT",
    .settings = no_settings,
};

/* ---- step ------------------------------------------------------------------------------------ */

static const SettingSpec step_settings[] = {
    {"every", SET_INT, 1, 1e9, false, NET_FIELD(every), NULL}, GAMMA_SETTING, PER_SETTING, END_SPECS,
};

static void step_fields(Emitter *e, const Net *net)
{
    char x[32];
    emit(e, ".every = %d, .gamma = %s,", net->every, fmt_double(x, net->gamma));
}

static const ScheduleDesc step = {
    .word = "step",
    .runtime = "NETRT_SCHED_STEP",
    .settings = step_settings,
    .required = "every",
    .example = "every = 2",
    .emit_fields = step_fields,
};

/* ---- multistep ------------------------------------------------------------------------------- */

static const SettingSpec multistep_settings[] = {
    {"milestones", SET_CUSTOM, 0, 0, false, 0, check_set_milestones}, GAMMA_SETTING, PER_SETTING,
    END_SPECS,
};

static void multistep_fields(Emitter *e, const Net *net)
{
    char list[256] = "", x[32];
    for (int i = 0; i < net->nmilestones; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? ", " : "",
                 net->milestones[i]);
    emit(e, ".milestones = {%s}, .n_milestones = %d, .gamma = %s,", list, net->nmilestones,
         fmt_double(x, net->gamma));
}

static const ScheduleDesc multistep = {
    .word = "multistep",
    .runtime = "NETRT_SCHED_MULTISTEP",
    .settings = multistep_settings,
    .required = "milestones",
    .example = "milestones = (30, 80)",
    .emit_fields = multistep_fields,
};

/* ---- exponential ----------------------------------------------------------------------------- */

static const SettingSpec exponential_settings[] = {GAMMA_SETTING, PER_SETTING, END_SPECS};

static void exponential_fields(Emitter *e, const Net *net)
{
    char x[32];
    emit(e, ".gamma = %s,", fmt_double(x, net->gamma));
}

static const ScheduleDesc exponential = {
    .word = "exponential",
    .runtime = "NETRT_SCHED_EXPONENTIAL",
    .settings = exponential_settings,
    .required = "gamma",
    .example = "gamma = 0.95",
    .emit_fields = exponential_fields,
};

/* ---- cosine ---------------------------------------------------------------------------------- */

static const SettingSpec cosine_settings[] = {
    {"t_max", SET_NUMBER, 1, 1e12, false, NET_FIELD(t_max), NULL},
    {"eta_min", SET_NUMBER, 0, 1e6, false, NET_FIELD(eta_min), NULL},
    PER_SETTING,
    END_SPECS,
};

static void cosine_fields(Emitter *e, const Net *net)
{
    char x1[32], x2[32];
    emit(e, ".t_max = %s, .eta_min = %s,", fmt_double(x1, net->t_max), fmt_double(x2, net->eta_min));
}

static const ScheduleDesc cosine = {
    .word = "cosine",
    .runtime = "NETRT_SCHED_COSINE",
    .settings = cosine_settings,
    .required = "t_max",
    .example = "t_max = 10",
    .emit_fields = cosine_fields,
};

/* ---- one_cycle ------------------------------------------------------------------------------- */

static const SettingSpec one_cycle_settings[] = {
    {"max_lr", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(max_lr), NULL},
    {"pct_start", SET_NUMBER, 0, 1, true, NET_FIELD(pct_start), NULL},
    {"div_factor", SET_NUMBER, 1e-12, 1e12, false, NET_FIELD(div_factor), NULL},
    {"final_div_factor", SET_NUMBER, 1e-12, 1e12, false, NET_FIELD(final_div_factor), NULL},
    {"cycle_momentum", SET_BOOL, 0, 0, false, NET_FIELD(cycle_momentum), NULL},
    {"base_momentum", SET_NUMBER, 0, 1, true, NET_FIELD(base_momentum), NULL},
    {"max_momentum", SET_NUMBER, 0, 1, true, NET_FIELD(max_momentum), NULL},
    END_SPECS,
};

static void one_cycle_fields(Emitter *e, const Net *net)
{
    char x1[32], x2[32], x3[32], x4[32];
    emit(e, ".max_lr = %s, .pct_start = %s, .div_factor = %s, .final_div_factor = %s,",
         fmt_double(x1, net->max_lr), fmt_double(x2, net->pct_start),
         fmt_double(x3, net->div_factor), fmt_double(x4, net->final_div_factor));
    if (net->cycle_momentum)
        emit(e, ".cycle_momentum = 1, .base_momentum = %s, .max_momentum = %s,",
             fmt_double(x1, net->base_momentum), fmt_double(x2, net->max_momentum));
}

static const ScheduleDesc one_cycle = {
    .word = "one_cycle",
    .runtime = "NETRT_SCHED_ONE_CYCLE",
    .settings = one_cycle_settings,
    .required = "max_lr",
    .example = "max_lr = 1",
    .per_batch = true,
    .cycles_momentum = true,
    .emit_fields = one_cycle_fields,
};

/* ---- the list ---------------------------------------------------------------------------------- */

const ScheduleDesc *const schedule_list[] = {
    &constant, &step, &multistep, &exponential, &cosine, &one_cycle, NULL,
};

const char *const *schedule_words(void)
{
    static const char *words[sizeof schedule_list / sizeof schedule_list[0]];
    if (!words[0])
        for (int i = 0; schedule_list[i]; i++)
            words[i] = schedule_list[i]->word;
    return words;
}

const ScheduleDesc *schedule_find(const char *word)
{
    int i = train_word_index(schedule_words(), word);
    return i < 0 ? NULL : schedule_list[i];
}
