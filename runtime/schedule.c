/* schedule.c: the learning rate at time t, in the closed forms of torch.optim.lr_scheduler.
 *
 * t counts finished epochs, or finished optimizer steps when the schedule moves per step: the
 * first epoch (or step) trains with t = 0, as in PyTorch, where the scheduler starts at
 * last_epoch = 0 and scheduler.step() follows optimizer.step(). OneCycleLR also moves the
 * momentum against the learning rate when asked (cycle_momentum, as PyTorch by default). */
#include <math.h>

#include "netrt_internal.h"

/* math.pi: M_PI is not C11. */
static const double pi = 3.14159265358979323846;

/* OneCycleLR._annealing_cos: from start (pct 0) to end (pct 1) along half a cosine period,
 * written in PyTorch's order of operations so that the results agree to the last bit. */
static double annealing_cos(double start, double end, double pct)
{
    double cos_out = cos(pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
}

/* OneCycleLR with anneal_strategy='cos' and three_phase=False, at step t of `total` steps.
 *   initial = max_lr / div_factor,   min = initial / final_div_factor
 *   phase 1: steps 0 … end1, end1 = pct_start·total − 1 (a real number), initial → max_lr
 *   phase 2: steps end1 … total − 1, max_lr → min
 * A step belongs to phase 1 when t ≤ end1, and pct = (t − phase start) / (phase end − phase
 * start), where phase 2 starts at end1 itself, not at end1 + 1, exactly as PyTorch counts.
 * Where PyTorch divides by zero (a phase of length 0: pct_start·total = 1 puts step 0 at the end
 * of a warm-up of no length) the step takes the phase's end value. */
static double one_cycle_phase(const NetrtSchedule *s, long t, long total, double begin,
                              double peak, double finish)
{
    double pct_start = s->pct_start > 0 ? s->pct_start : 0.3;
    double end1 = pct_start * (double)total - 1;
    double step = (double)t, from, to, start, end;
    if (step <= end1) {
        start = 0, end = end1, from = begin, to = peak;
    } else {
        start = end1, end = (double)(total - 1), from = peak, to = finish;
    }
    double pct = end != start ? (step - start) / (end - start) : 1;
    return annealing_cos(from, to, pct);
}

static double one_cycle(const NetrtSchedule *s, double base_lr, long t, long total)
{
    double max_lr = s->max_lr > 0 ? s->max_lr : base_lr;
    double div = s->div_factor > 0 ? s->div_factor : 25;
    double final_div = s->final_div_factor > 0 ? s->final_div_factor : 1e4;
    double initial = max_lr / div, min = initial / final_div;
    return one_cycle_phase(s, t, total, initial, max_lr, min);
}

/* OneCycleLR's momentum, with cycle_momentum: max_momentum → base_momentum while the lr rises,
 * back to max_momentum while it falls, along the same phases. */
double netrt_schedule_momentum(const NetrtSchedule *s, double momentum, long t, long total)
{
    if (s->kind != NETRT_SCHED_ONE_CYCLE || !s->cycle_momentum)
        return momentum;
    double base = s->base_momentum > 0 ? s->base_momentum : 0.85;
    double max = s->max_momentum > 0 ? s->max_momentum : 0.95;
    return one_cycle_phase(s, t, total, max, base, max);
}

double netrt_schedule_lr(const NetrtSchedule *s, double base_lr, long t, long total)
{
    switch (s->kind) {
    case NETRT_SCHED_CONSTANT:
        return base_lr;
    case NETRT_SCHED_STEP: /* StepLR: base·γ^⌊t/every⌋ */
        return base_lr * pow(s->gamma, (double)(t / (s->every > 0 ? s->every : 1)));
    case NETRT_SCHED_MULTISTEP: { /* MultiStepLR: base·γ^(milestones ≤ t), bisect_right */
        int passed = 0;
        for (int i = 0; i < s->n_milestones && i < 16; i++)
            passed += s->milestones[i] <= t;
        return base_lr * pow(s->gamma, passed);
    }
    case NETRT_SCHED_EXPONENTIAL: /* ExponentialLR: base·γ^t */
        return base_lr * pow(s->gamma, (double)t);
    case NETRT_SCHED_COSINE: {
        /* CosineAnnealingLR: η_min + (base − η_min)(1 + cos(π·t/T_max))/2 */
        /* T_max 0: the whole run, so that the rate reaches η_min at its end. Past T_max the
         * closed form climbs back up, as PyTorch's does. */
        double t_max = s->t_max > 0 ? s->t_max : (double)(total > 0 ? total : 1);
        return s->eta_min + (base_lr - s->eta_min) * (1 + cos(pi * (double)t / t_max)) / 2;
    }
    case NETRT_SCHED_ONE_CYCLE:
        return one_cycle(s, base_lr, t, total);
    }
    return base_lr;
}

int netrt_schedule_check(const NetrtSchedule *s, NetrtErr *err)
{
    switch (s->kind) {
    case NETRT_SCHED_CONSTANT:
    case NETRT_SCHED_EXPONENTIAL:
        return 0;
    case NETRT_SCHED_STEP:
        if (s->every < 1)
            return netrt_err(err, "schedule step: every must be at least 1, got %d", s->every);
        return 0;
    case NETRT_SCHED_MULTISTEP:
        if (s->n_milestones < 0 || s->n_milestones > 16)
            return netrt_err(err, "schedule multistep: %d milestones; from 0 to 16 fit",
                             s->n_milestones);
        for (int i = 1; i < s->n_milestones; i++)
            if (s->milestones[i] <= s->milestones[i - 1])
                return netrt_err(err, "schedule multistep: milestones must increase, but %d "
                                 "follows %d", s->milestones[i], s->milestones[i - 1]);
        return 0;
    case NETRT_SCHED_COSINE:
        if (s->t_max < 0)
            return netrt_err(err, "schedule cosine: t_max must not be negative, got %g",
                             s->t_max);
        return 0;
    case NETRT_SCHED_ONE_CYCLE:
        if (s->pct_start < 0 || s->pct_start > 1)
            return netrt_err(err, "schedule one_cycle: pct_start must be in [0, 1], got %g",
                             s->pct_start);
        if (s->max_lr < 0 || s->div_factor < 0 || s->final_div_factor < 0)
            return netrt_err(err, "schedule one_cycle: max_lr, div_factor and final_div_factor "
                             "must not be negative");
        return 0;
    }
    return netrt_err(err, "schedule: unknown kind %d", (int)s->kind);
}

const char *netrt_schedule_name(NetrtSchedKind kind)
{
    static const char *const names[] = {"constant", "step",   "multistep",
                                        "exponential", "cosine", "one_cycle"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}
