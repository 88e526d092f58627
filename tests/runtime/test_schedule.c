/* test_schedule.c: netrt_schedule_lr against values worked out by hand from the closed forms of
 * torch.optim.lr_scheduler (the arithmetic is in the comments), at several t including each
 * kind's boundaries. The same numbers came out of torch 1.13 (StepLR, MultiStepLR, ExponentialLR,
 * CosineAnnealingLR, OneCycleLR with cycle_momentum=False) when this test was written; the test
 * itself needs no torch. Also netrt_schedule_check's refusals. */
#include <math.h>

#include "netrt_internal.h"
#include "test_util.h"

/* lr(t) must be want, to 1e-12 relative: the formulas are evaluated in one or two roundings. */
#define CHECK_LR(s, base, t, total, want)                                                     \
    CHECK_NEAR(netrt_schedule_lr(&(s), base, t, total), want, 1e-12 * fabs(want) + 1e-300)

static void test_constant(void)
{
    NetrtSchedule s = {.kind = NETRT_SCHED_CONSTANT};
    CHECK_LR(s, 0.1, 0, 10, 0.1);
    CHECK_LR(s, 0.1, 9, 10, 0.1);
    CHECK_LR(s, 0.1, 1000, 10, 0.1); /* past total: still the base */
}

static void test_step(void)
{
    /* StepLR(step_size=3, gamma=0.5), base 0.8: 0.8·0.5^⌊t/3⌋ */
    NetrtSchedule s = {.kind = NETRT_SCHED_STEP, .every = 3, .gamma = 0.5};
    CHECK_LR(s, 0.8, 0, 0, 0.8); /* ⌊0/3⌋ = 0 */
    CHECK_LR(s, 0.8, 2, 0, 0.8); /* ⌊2/3⌋ = 0: the last t before the first drop */
    CHECK_LR(s, 0.8, 3, 0, 0.4); /* t = every: ⌊3/3⌋ = 1, 0.8·0.5 */
    CHECK_LR(s, 0.8, 5, 0, 0.4); /* ⌊5/3⌋ = 1 */
    CHECK_LR(s, 0.8, 6, 0, 0.2); /* ⌊6/3⌋ = 2, 0.8·0.25 */
    CHECK_LR(s, 0.8, 7, 0, 0.2);
    /* every 1: halves each time */
    NetrtSchedule one = {.kind = NETRT_SCHED_STEP, .every = 1, .gamma = 0.5};
    CHECK_LR(one, 0.5, 3, 0, 0.0625); /* 0.5·0.5³ */
}

static void test_multistep(void)
{
    /* MultiStepLR(milestones=[2, 5], gamma=0.1), base 1: 0.1^(number of milestones ≤ t) */
    NetrtSchedule s = {.kind = NETRT_SCHED_MULTISTEP, .gamma = 0.1, .milestones = {2, 5},
                       .n_milestones = 2};
    CHECK_LR(s, 1.0, 0, 0, 1.0);    /* none passed */
    CHECK_LR(s, 1.0, 1, 0, 1.0);
    CHECK_LR(s, 1.0, 2, 0, 0.1);    /* t = the milestone exactly: 2 ≤ 2 counts */
    CHECK_LR(s, 1.0, 4, 0, 0.1);
    CHECK_LR(s, 1.0, 5, 0, 0.01);   /* both: 0.1² */
    CHECK_LR(s, 1.0, 100, 0, 0.01);
    NetrtSchedule none = {.kind = NETRT_SCHED_MULTISTEP, .gamma = 0.1};
    CHECK_LR(none, 0.3, 50, 0, 0.3); /* no milestones: constant */
}

static void test_exponential(void)
{
    /* ExponentialLR(gamma=0.5), base 2: 2·0.5^t */
    NetrtSchedule s = {.kind = NETRT_SCHED_EXPONENTIAL, .gamma = 0.5};
    CHECK_LR(s, 2.0, 0, 0, 2.0);
    CHECK_LR(s, 2.0, 1, 0, 1.0);
    CHECK_LR(s, 2.0, 3, 0, 0.25);         /* 2/8 */
    CHECK_LR(s, 2.0, 10, 0, 0.001953125); /* 2/1024 */
}

static void test_cosine(void)
{
    /* CosineAnnealingLR(T_max=6, eta_min=0.01), base 0.11:
     * 0.01 + (0.11 − 0.01)(1 + cos(π·t/6))/2 = 0.01 + 0.05·(1 + cos(π·t/6)) */
    NetrtSchedule s = {.kind = NETRT_SCHED_COSINE, .t_max = 6, .eta_min = 0.01};
    CHECK_LR(s, 0.11, 0, 0, 0.11);  /* cos 0 = 1: 0.01 + 0.1 */
    CHECK_LR(s, 0.11, 2, 0, 0.085); /* cos(π/3) = 1/2: 0.01 + 0.05·1.5 */
    CHECK_LR(s, 0.11, 3, 0, 0.06);  /* cos(π/2) = 0: 0.01 + 0.05 */
    CHECK_LR(s, 0.11, 4, 0, 0.035); /* cos(2π/3) = −1/2: 0.01 + 0.05·0.5 */
    CHECK_LR(s, 0.11, 6, 0, 0.01);  /* t = T_max: cos π = −1, eta_min */
    CHECK_LR(s, 0.11, 12, 0, 0.11); /* past T_max the closed form climbs back: cos 2π = 1 */
    /* t_max 0: the run's length, here total = 6, the same curve */
    NetrtSchedule whole = {.kind = NETRT_SCHED_COSINE, .eta_min = 0.01};
    CHECK_LR(whole, 0.11, 2, 6, 0.085);
    CHECK_LR(whole, 0.11, 6, 6, 0.01);
}

static void test_one_cycle(void)
{
    /* OneCycleLR(max_lr=1, total_steps=20, pct_start=0.25), div_factor and final_div_factor left
     * 0 for their defaults 25 and 1e4: initial = 1/25 = 0.04, min = 0.04/1e4 = 4e-6.
     * Phase 1 ends at step 0.25·20 − 1 = 4: pct = t/4, lr = 1 + (0.04 − 1)/2·(cos(π·pct) + 1).
     * Phase 2 runs from step 4 to 19: pct = (t − 4)/15, lr = 4e-6 + (1 − 4e-6)/2·(cos(π·pct) + 1).
     * The base lr (0.3) is not used: max_lr is given. */
    NetrtSchedule s = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 1, .pct_start = 0.25};
    CHECK_LR(s, 0.3, 0, 20, 0.04);     /* first step: pct 0, cos 0 = 1: 1 − 0.96 = initial */
    CHECK_LR(s, 0.3, 2, 20, 0.52);     /* pct 1/2, cos(π/2) = 0: 1 − 0.48 */
    CHECK_LR(s, 0.3, 4, 20, 1.0);      /* the peak: pct 1, cos π = −1: max_lr */
    CHECK_LR(s, 0.3, 9, 20, 0.750001); /* pct 5/15, cos(π/3) = 1/2: 4e-6 + 0.499998·1.5 */
    CHECK_LR(s, 0.3, 14, 20, 0.250003); /* pct 10/15, cos(2π/3) = −1/2: 4e-6 + 0.499998·0.5 */
    CHECK_LR(s, 0.3, 19, 20, 4e-6);    /* last step: pct 1: min */

    /* A phase boundary between two steps, and factors given: max_lr 0.5, total 10,
     * pct_start 0.45, div_factor 10, final_div_factor 100: initial 0.05, min 0.0005.
     * Phase 1 ends at 0.45·10 − 1 = 3.5, so step 3 is still in it and step 4 is not. */
    NetrtSchedule b = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 0.5, .pct_start = 0.45,
                       .div_factor = 10, .final_div_factor = 100};
    /* step 3: pct 3/3.5 = 6/7, cos(6π/7) = −0.9009688679…:
     * 0.5 + (0.05 − 0.5)/2·(1 − 0.9009688679) = 0.5 − 0.225·0.0990311321 = 0.4777179953 */
    CHECK_NEAR(netrt_schedule_lr(&b, 0.1, 3, 10), 0.4777179953, 1e-10);
    /* step 4: phase 2 starts at 3.5 itself (not 4.5): pct (4 − 3.5)/(9 − 3.5) = 1/11,
     * cos(π/11) = 0.9594929736…: 0.0005 + (0.5 − 0.0005)/2·1.9594929736 = 0.4898833702 */
    CHECK_NEAR(netrt_schedule_lr(&b, 0.1, 4, 10), 0.4898833702, 1e-10);
    CHECK_LR(b, 0.1, 0, 10, 0.05);   /* initial = 0.5/10 */
    CHECK_LR(b, 0.1, 9, 10, 0.0005); /* min = 0.05/100 */

    /* max_lr 0: the base lr is the peak; pct_start 0: PyTorch's default 0.3. total 10: phase 1
     * ends at 0.3·10 − 1 = 2 (0.3·10 rounds to 3 exactly), so step 2 is the peak. */
    NetrtSchedule d = {.kind = NETRT_SCHED_ONE_CYCLE};
    CHECK_LR(d, 0.2, 2, 10, 0.2);
    CHECK_LR(d, 0.2, 0, 10, 0.008);   /* 0.2/25 */
    CHECK_LR(d, 0.2, 9, 10, 8e-7);    /* 0.008/1e4 */

    /* A warm-up of no length: pct_start·total = 0.1·10 = 1, phase 1 ends at step 0 and starts
     * there (PyTorch divides 0 by 0): step 0 takes the phase's end value, max_lr. */
    NetrtSchedule z = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 1, .pct_start = 0.1};
    CHECK_LR(z, 0.1, 0, 10, 1.0);
    /* A run of one step is all phase 2: end1 = 0.3 − 1 = −0.7, pct (0 + 0.7)/(0 + 0.7) = 1: the
     * minimum, 1/25/1e4 = 4e-6, as PyTorch gives. */
    NetrtSchedule one = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 1};
    CHECK_LR(one, 0.1, 0, 1, 4e-6);
}

static void test_check(void)
{
    NetrtErr err;
    NetrtSchedule ok = {.kind = NETRT_SCHED_MULTISTEP, .gamma = 0.1, .milestones = {3, 7},
                        .n_milestones = 2};
    CHECK(netrt_schedule_check(&ok, &err) == 0);
    NetrtSchedule step0 = {.kind = NETRT_SCHED_STEP, .gamma = 0.5};
    CHECK(netrt_schedule_check(&step0, &err) == -1);
    CHECK_CONTAINS(err.msg, "schedule step: every must be at least 1, got 0");
    NetrtSchedule order = {.kind = NETRT_SCHED_MULTISTEP, .milestones = {5, 5},
                           .n_milestones = 2};
    CHECK(netrt_schedule_check(&order, &err) == -1);
    CHECK_CONTAINS(err.msg, "milestones must increase, but 5 follows 5");
    NetrtSchedule many = {.kind = NETRT_SCHED_MULTISTEP, .n_milestones = 17};
    CHECK(netrt_schedule_check(&many, &err) == -1);
    NetrtSchedule pct = {.kind = NETRT_SCHED_ONE_CYCLE, .pct_start = 1.5};
    CHECK(netrt_schedule_check(&pct, &err) == -1);
    CHECK_CONTAINS(err.msg, "pct_start must be in [0, 1], got 1.5");
    NetrtSchedule tmax = {.kind = NETRT_SCHED_COSINE, .t_max = -1};
    CHECK(netrt_schedule_check(&tmax, &err) == -1);
    CHECK(strcmp(netrt_schedule_name(NETRT_SCHED_ONE_CYCLE), "one_cycle") == 0);
    CHECK(strcmp(netrt_schedule_name(NETRT_SCHED_MULTISTEP), "multistep") == 0);
}

static void test_one_cycle_momentum(void)
{
    /* cycle_momentum, torch's defaults 0.95 and 0.85 (fields left 0), the same 20 steps and
     * pct_start 0.25 as above: phase 1 (t ≤ 4) goes 0.95 → 0.85, phase 2 (4 … 19) back to 0.95.
     * m = end + (start − end)/2·(cos(π·pct) + 1). */
    NetrtSchedule s = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 1, .pct_start = 0.25,
                       .cycle_momentum = 1};
    CHECK_NEAR(netrt_schedule_momentum(&s, 0.5, 0, 20), 0.95, 1e-12);  /* pct 0: max */
    CHECK_NEAR(netrt_schedule_momentum(&s, 0.5, 2, 20), 0.90, 1e-12);  /* pct 1/2: midway */
    CHECK_NEAR(netrt_schedule_momentum(&s, 0.5, 4, 20), 0.85, 1e-12);  /* the lr's peak: base */
    /* t 9: pct 5/15, cos(π/3) = 1/2: 0.95 + (0.85 − 0.95)/2·1.5 = 0.875 */
    CHECK_NEAR(netrt_schedule_momentum(&s, 0.5, 9, 20), 0.875, 1e-12);
    CHECK_NEAR(netrt_schedule_momentum(&s, 0.5, 19, 20), 0.95, 1e-12); /* last: max again */
    /* torch 1.13, OneCycleLR(max_lr 0.5, total_steps 116, pct_start 0.3) on SGD: step 33 reads
     * 0.8501381612383558 (phase 1 ends at 33.8) and step 60 0.8735623918161518 */
    NetrtSchedule t = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 0.5, .pct_start = 0.3,
                       .cycle_momentum = 1};
    CHECK_NEAR(netrt_schedule_momentum(&t, 0.5, 33, 116), 0.8501381612383558, 1e-12);
    CHECK_NEAR(netrt_schedule_momentum(&t, 0.5, 60, 116), 0.8735623918161518, 1e-12);
    /* without cycle_momentum, or for another schedule, the optimizer's momentum stands */
    s.cycle_momentum = 0;
    CHECK(netrt_schedule_momentum(&s, 0.5, 9, 20) == 0.5);
    NetrtSchedule step = {.kind = NETRT_SCHED_STEP, .every = 1, .gamma = 0.5,
                          .cycle_momentum = 1};
    CHECK(netrt_schedule_momentum(&step, 0.5, 9, 20) == 0.5);
}

int main(void)
{
    test_constant();
    test_step();
    test_multistep();
    test_exponential();
    test_cosine();
    test_one_cycle();
    test_one_cycle_momentum();
    test_check();
    if (test_failures)
        fprintf(stderr, "test_schedule: %d checks failed\n", test_failures);
    return test_failures;
}
