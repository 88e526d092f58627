/* test_cli.c: the trainer's command line on values that strtol and strtod would take but mean
 * something else (a seed of " -1" wrapped to 2^64 - 1), values out of range, and --momentum
 * given to a trainer whose optimizer or schedule leaves no room for it: each refused with a
 * message naming the option, and good values still read exactly. */
#include <math.h>
#include <string.h>

#include "netrt_internal.h"
#include "test_util.h"

static NetrtModel model_with(const char *optimizer)
{
    return (NetrtModel){
        .name = "m", .source = "m.net", .optimizer = optimizer, .batch_max = 256,
        .train = {.epochs = 3, .batch = 16, .seed = 7, .lr = 0.1, .momentum = 0.9},
    };
}

/* Parse "prog OPTION VALUE" (VALUE NULL: the option alone) for model. */
static int parse(const NetrtModel *model, const char *option, const char *value,
                 NetrtOptions *opt, NetrtErr *err)
{
    char *argv[] = {"prog", (char *)option, (char *)value, NULL};
    return netrt_cli_parse(model, value ? 3 : 2, argv, opt, err);
}

/* OPTION VALUE must be refused with a message containing part. */
static void check_bad(const NetrtModel *model, const char *option, const char *value,
                      const char *part)
{
    NetrtOptions opt;
    NetrtErr err = {0};
    int status = parse(model, option, value, &opt, &err);
    CHECK(status == -1);
    if (status != -1)
        fprintf(stderr, "  %s '%s' was accepted\n", option, value);
    else
        CHECK_CONTAINS(err.msg, part);
}

static void test_numbers(void)
{
    NetrtModel model = model_with("sgd");
    NetrtOptions opt;
    NetrtErr err = {0};

    /* seeds: the whole range of uint64_t, and nothing with a sign or a space */
    CHECK(parse(&model, "--seed", "18446744073709551615", &opt, &err) == 0);
    CHECK(opt.train.seed == UINT64_MAX);
    CHECK(parse(&model, "--seed", "0", &opt, &err) == 0 && opt.train.seed == 0);
    const char *bad_seeds[] = {" -1", "-1", "+1", " 1", "1 ", "18446744073709551616", "1e3",
                               "0x10", "", "seven"};
    for (size_t i = 0; i < sizeof bad_seeds / sizeof *bad_seeds; i++)
        check_bad(&model, "--seed", bad_seeds[i], "is not a whole number from 0 to 2^64 - 1");

    /* threads: at most the runtime's own (more were silently capped) */
    CHECK(parse(&model, "--threads", "16", &opt, &err) == 0 && opt.threads == 16);
    check_bad(&model, "--threads", "1000", "--threads: must be a whole number from 1 to 16, got "
                                           "1000");
    check_bad(&model, "--threads", "17", "from 1 to 16");
    check_bad(&model, "--threads", "0", "from 1 to 16");
    check_bad(&model, "--threads", " 2", "--threads: ' 2' is not a whole number");

    /* whole numbers: no spaces, hex, exponents, and within an int */
    check_bad(&model, "--epochs", " 5", "--epochs: ' 5' is not a whole number");
    check_bad(&model, "--epochs", "0x10", "is not a whole number");
    check_bad(&model, "--epochs", "2147483648", "must be a whole number from 1 to 2147483647");
    check_bad(&model, "--epochs", "99999999999999999999", "from 1 to 2147483647");
    check_bad(&model, "--patience", "-1", "from 0 to");
    check_bad(&model, "--batch", " 5", "--batch: must be a whole number from 1 to");
    check_bad(&model, "--batch", "-5", "--batch: must be a whole number from 1 to");
    check_bad(&model, "--max-steps", " -1", "--max-steps: ' -1' is not a whole number");
    check_bad(&model, "--max-steps", "99999999999999999999", "from 0 to");
    CHECK(parse(&model, "--max-steps", "40", &opt, &err) == 0 && opt.train.max_steps == 40);

    /* reals: decimal and finite, and what each must be */
    CHECK(parse(&model, "--lr", "2.5e-3", &opt, &err) == 0 && opt.train.lr == 2.5e-3);
    CHECK(parse(&model, "--lr", ".5", &opt, &err) == 0 && opt.train.lr == 0.5);
    const char *not_numbers[] = {"nan", "inf", "-inf", "infinity", "0x1p-3", " 0.1", "0.1 ", "",
                                 "1,5", "e5"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++)
        check_bad(&model, "--lr", not_numbers[i], "is not a number");
    check_bad(&model, "--lr", "1e999", "--lr: '1e999' is out of range");
    check_bad(&model, "--lr", "1e-400", "--lr: '1e-400' is out of range");
    check_bad(&model, "--lr", "0", "--lr: must be positive, got 0");
    check_bad(&model, "--weight-decay", "-1e-4", "must not be negative");
    check_bad(&model, "--loss-below", "nan", "--loss-below: 'nan' is not a number");
    check_bad(&model, "--momentum", "1", "must be in [0, 1)");
    check_bad(&model, "--momentum", "-0.1", "must be in [0, 1)");
    check_bad(&model, "--valid", "2.5", "must be a fraction in [0, 1) or a whole count");
    check_bad(&model, "--valid", "1e10", "must be a fraction in [0, 1) or a whole count");
    check_bad(&model, "--valid", "-0.1", "must be a fraction");
    CHECK(parse(&model, "--valid", "-0", &opt, &err) == 0 && opt.valid == 0 && !signbit(opt.valid));
}

/* --momentum only where it acts. */
static void test_momentum(void)
{
    NetrtOptions opt;
    NetrtErr err = {0};
    const char *with[] = {"sgd", "momentum", "nesterov", "rmsprop"};
    for (size_t i = 0; i < sizeof with / sizeof *with; i++) {
        NetrtModel model = model_with(with[i]);
        CHECK(parse(&model, "--momentum", "0.5", &opt, &err) == 0);
        CHECK(opt.train.momentum == 0.5);
    }
    const char *without[] = {"adam", "adamw", "adagrad"};
    for (size_t i = 0; i < sizeof without / sizeof *without; i++) {
        NetrtModel model = model_with(without[i]);
        char part[96];
        snprintf(part, sizeof part, "--momentum: this trainer's optimizer is %s, which has no "
                 "momentum", without[i]);
        check_bad(&model, "--momentum", "0.5", part);
        check_bad(&model, "--momentum", "0", part);
        /* the compiled-in value is none of the user's doing: no complaint without --momentum */
        CHECK(parse(&model, "--lr", "0.5", &opt, &err) == 0);
    }
    NetrtModel model = model_with("nesterov");
    check_bad(&model, "--momentum", "0", "this trainer's optimizer is nesterov, which needs a "
                                         "momentum above 0");
    model = model_with("sgd");
    model.train.schedule = (NetrtSchedule){.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 1,
                                           .cycle_momentum = 1};
    check_bad(&model, "--momentum", "0.5", "--momentum: this trainer's one_cycle schedule sets "
              "the momentum at every step (from 0.95 down to 0.85 and back)");
    model.train.schedule.cycle_momentum = 0;
    CHECK(parse(&model, "--momentum", "0.5", &opt, &err) == 0);
}

/* --csv and --weights-png may not name one file. */
static void test_outputs(void)
{
    NetrtModel model = model_with("sgd");
    NetrtOptions opt;
    NetrtErr err = {0};
    char *argv[] = {"prog", "--csv", "out.csv", "--weights-png", "out.csv", NULL};
    CHECK(netrt_cli_parse(&model, 5, argv, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--csv and --weights-png: both name out.csv; the picture would "
                            "overwrite the log");
    argv[4] = "out.png";
    CHECK(netrt_cli_parse(&model, 5, argv, &opt, &err) == 0);
}

/* Parse argv (NULL-terminated, after "prog") for model. */
static int parse_args(const NetrtModel *model, char **args, NetrtOptions *opt, NetrtErr *err)
{
    char *argv[16] = {"prog"};
    int argc = 1;
    while (args[argc - 1] && argc < 15) {
        argv[argc] = args[argc - 1];
        argc++;
    }
    return netrt_cli_parse(model, argc, argv, opt, err);
}

/* The options of issue 17: on/off switches, --monitor's words, and each refused where it would
 * not act (an override of what the model lacks, a monitor nothing watches, a per-step log
 * nothing writes, a picture over another output). */
static void test_run_options(void)
{
    NetrtModel model = model_with("sgd");
    NetrtOptions opt;
    NetrtErr err = {0};
    CHECK(parse_args(&model, (char *[]){"--keep-best", NULL}, &opt, &err) == 0);
    CHECK(opt.train.keep_best == 1);
    CHECK(parse_args(&model, (char *[]){"--keep-best", "off", "--epochs", "2", NULL}, &opt,
                     &err) == 0);
    CHECK(opt.train.keep_best == 0 && opt.train.epochs == 2);
    CHECK(parse_args(&model, (char *[]){"--keep-best=on", NULL}, &opt, &err) == 0);
    CHECK(opt.train.keep_best == 1);
    CHECK(parse_args(&model, (char *[]){"--keep-best=yes", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--keep-best: must be on or off, got 'yes'");
    CHECK(parse_args(&model, (char *[]){"--keep-best", "maybe", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--keep-best: must be on or off, got 'maybe'");
    CHECK(parse_args(&model, (char *[]){"--patience", "3", "--monitor", "valid_acc", NULL}, &opt,
                     &err) == 0);
    CHECK(opt.train.monitor == NETRT_MONITOR_VALID_ACC && opt.train.patience == 3);
    CHECK(parse_args(&model, (char *[]){"--patience", "3", "--monitor", "acc", NULL}, &opt,
                     &err) == -1);
    CHECK_CONTAINS(err.msg, "--monitor: must be valid_loss or valid_acc, got 'acc'");
    CHECK(parse_args(&model, (char *[]){"--monitor", "valid_acc", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--monitor: nothing watches it");
    CHECK(parse_args(&model, (char *[]){"--augment", "off", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--augment: this trainer's model has no augmentation");
    CHECK(parse_args(&model, (char *[]){"--schedule", "off", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--schedule: this trainer's learning rate is constant");
    CHECK(parse_args(&model, (char *[]){"--log-every", "10", NULL}, &opt, &err) == -1);
    CHECK_CONTAINS(err.msg, "--log-every: the per-step rows go to --csv and --plot");
    CHECK(parse_args(&model, (char *[]){"--log-every", "10", "--plot", "p.png", NULL}, &opt,
                     &err) == 0);
    CHECK(opt.log_every == 10 && opt.plot && !strcmp(opt.plot, "p.png"));
    CHECK(parse_args(&model, (char *[]){"--eval", "m.st", "--plot", "p.png", NULL}, &opt,
                     &err) == -1);
    CHECK_CONTAINS(err.msg, "--plot: --eval trains nothing");
    CHECK(parse_args(&model, (char *[]){"--plot", "p.st", "--save", "p.st", NULL}, &opt,
                     &err) == -1);
    CHECK_CONTAINS(err.msg, "--save and --plot: both name p.st");

    /* a model that has them: augmentation and a schedule turned off, the lr then constant */
    model.data.augment.flip = 1;
    model.train.schedule = (NetrtSchedule){.kind = NETRT_SCHED_STEP, .every = 1, .gamma = 0.5};
    CHECK(parse_args(&model, (char *[]){NULL}, &opt, &err) == 0);
    CHECK(opt.augment == 1 && opt.schedule == 1);
    CHECK(parse_args(&model, (char *[]){"--augment", "off", "--schedule", "off", NULL}, &opt,
                     &err) == 0);
    CHECK(opt.augment == 0 && opt.train.schedule.kind == NETRT_SCHED_CONSTANT);

    model.task = NETRT_REGRESS;
    CHECK(parse_args(&model, (char *[]){"--keep-best", "--monitor", "valid_acc", NULL}, &opt,
                     &err) == -1);
    CHECK_CONTAINS(err.msg, "--monitor: a regression model has no accuracy to watch");
}

int main(void)
{
    test_numbers();
    test_momentum();
    test_outputs();
    test_run_options();
    if (test_failures)
        fprintf(stderr, "test_cli: %d checks failed\n", test_failures);
    return test_failures;
}
