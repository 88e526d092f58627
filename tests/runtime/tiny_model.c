/* tiny_model.c: a trainer written by hand the way netc generates one, to test the runtime's
 * driver end to end. Softmax regression: one dense layer from 4x4 = 16 pixels to 2 classes,
 * cross-entropy loss, SGD with momentum, f32, plain loops, static buffers.
 *
 * The loss is computed as -log(softmax) rather than with log-sum-exp, on purpose: with a huge
 * learning rate a misclassified sample's probability underflows to 0 and the loss becomes
 * infinite, which is what the driver's divergence guard is tested against.
 *
 * Built a second time with -DTINY_CATALOGUE, it has what the command line cannot set: buffers of
 * 1024 rows (room for a full batch of the 900 or 1000 training samples), a StepLR schedule
 * (every epoch, gamma 0.5), and keep_best watching the valid accuracy. With -DTINY_ONE_CYCLE as
 * well, the schedule is OneCycleLR instead, peaking at 0.5, which moves every step.
 *
 * Built with -DTINY_BUFFERS, it has a buffer table as a batchnorm after its dense layer would
 * (torch.nn.Sequential(Linear, BatchNorm1d): "1.running_mean", "1.running_var" and the int64
 * scalar "1.num_batches_tracked"), moved by a fixed rule so that a test knows their values after
 * k training steps: the count is k, the mean of class o is 0.25·(o+1)·k, each variance 1 + 0.5·k.
 * In evaluation both logits are divided by the square root of the sum of every buffer's values:
 * the accuracy stays what it is without buffers, and the loss tells which values are in force
 * (the initial ones give √2; none at all, 0, a loss of nan). With -DTINY_CATALOGUE as well, it
 * has keep_best, so that a test sees the best epoch's buffers restored. With -DTINY_F64, every
 * tensor is a double (NETRT_F64), as in the gradient checks, and so are the running statistics.
 *
 * Built with -DTINY_STATS, it checks the normalization the driver applies: normalize = 1 asks for
 * (x - mean) / std with the training split's own statistics, so the inputs of the training passes,
 * which see every training sample once an epoch, must have a mean of 0 and a standard deviation
 * of 1. It prints both and exits with 1 when either is off by more than 1e-3. */
#include <math.h>

#include "netrt.h"

/* The element type of every tensor: float, or double with -DTINY_F64. */
#ifdef TINY_F64
typedef double real;
#define DTYPE NETRT_F64
#define EXP exp
#else
typedef float real;
#define DTYPE NETRT_F32
#define EXP expf
#endif

#ifdef TINY_CATALOGUE
enum { IN = 16, CLASSES = 2, BATCH_MAX = 1024 };
#else
enum { IN = 16, CLASSES = 2, BATCH_MAX = 64 };
#endif

static real input[BATCH_MAX * IN];
static int32_t labels[BATCH_MAX];
static real logits[BATCH_MAX * CLASSES];   /* the output */
static real d_logits[BATCH_MAX * CLASSES]; /* ∂loss/∂logits, left by loss() for backward() */

struct params {
    real W[CLASSES * IN]; /* [2,16] row-major W[out][in] */
    real b[CLASSES];      /* [2] */
};
static struct params param, grad, mom;

#ifdef TINY_BUFFERS
struct buffers {
    real batchnorm1_running_mean[CLASSES];
    real batchnorm1_running_var[CLASSES];
    int64_t batchnorm1_num_batches_tracked;
};
static struct buffers buffer;

/* A training step moves every buffer; evaluation reads them all (see the top). */
static void buffers_forward(int B, int training)
{
    if (training) {
        buffer.batchnorm1_num_batches_tracked++;
        for (int o = 0; o < CLASSES; o++) {
            buffer.batchnorm1_running_mean[o] += 0.25 * (real)(o + 1);
            buffer.batchnorm1_running_var[o] += 0.5f;
        }
        return;
    }
    real sum = (real)buffer.batchnorm1_num_batches_tracked;
    for (int o = 0; o < CLASSES; o++)
        sum += buffer.batchnorm1_running_mean[o] + buffer.batchnorm1_running_var[o];
    for (int i = 0; i < B * CLASSES; i++)
        logits[i] /= (real)sqrt(sum);
}

static const NetrtBuffer buffers[] = {
    {"batchnorm1_running_mean", 1, {CLASSES}, CLASSES, buffer.batchnorm1_running_mean, 0, 0,
     "1.running_mean"},
    {"batchnorm1_running_var", 1, {CLASSES}, CLASSES, buffer.batchnorm1_running_var, 0, 1,
     "1.running_var"},
    {"batchnorm1_num_batches_tracked", 0, {0}, 1, &buffer.batchnorm1_num_batches_tracked, 1, 0,
     "1.num_batches_tracked"},
};
#endif

#ifdef TINY_STATS
static double seen_sum, seen_sq; /* over every input value of the training passes */
static long seen_n;
#endif

/* logits[B,2] = input[B,16] · Wᵀ + b */
static void forward(int B, int training)
{
    (void)training;
#ifdef TINY_STATS
    for (int i = 0; training && i < B * IN; i++) {
        seen_sum += input[i];
        seen_sq += (double)input[i] * input[i];
        seen_n++;
    }
#endif
    for (int n = 0; n < B; n++)
        for (int o = 0; o < CLASSES; o++) {
            real sum = param.b[o];
            for (int i = 0; i < IN; i++)
                sum += input[n * IN + i] * param.W[o * IN + i];
            logits[n * CLASSES + o] = sum;
        }
#ifdef TINY_BUFFERS
    buffers_forward(B, training);
#endif
}

/* mean over the batch of -log softmax(logits)[label]; d_logits = (softmax - onehot) / B */
static double loss(int B)
{
    double total = 0;
    for (int n = 0; n < B; n++) {
        const real *z = &logits[n * CLASSES];
        real max = z[0] > z[1] ? z[0] : z[1];
        real e[CLASSES], sum = 0;
        for (int k = 0; k < CLASSES; k++) {
            e[k] = EXP(z[k] - max);
            sum += e[k];
        }
        for (int k = 0; k < CLASSES; k++) {
            real p = e[k] / sum;
            if (k == labels[n])
                total -= log(p);
            d_logits[n * CLASSES + k] = (p - (k == labels[n])) / B;
        }
    }
    return total / B;
}

/* grad.W = d_logitsᵀ · input; grad.b = Σ_n d_logits[n,:] */
static void backward(int B)
{
    for (int o = 0; o < CLASSES; o++) {
        grad.b[o] = 0;
        for (int i = 0; i < IN; i++)
            grad.W[o * IN + i] = 0;
        for (int n = 0; n < B; n++) {
            real d = d_logits[n * CLASSES + o];
            grad.b[o] += d;
            for (int i = 0; i < IN; i++)
                grad.W[o * IN + i] += d * input[n * IN + i];
        }
    }
}

/* torch.optim.SGD: g = grad + wd·w; v = momentum·v + g; w -= lr·v */
static void update(const NetrtHyper *h)
{
    real *w = (real *)&param, *g = (real *)&grad, *v = (real *)&mom;
    for (int i = 0; i < (int)(sizeof param / sizeof(real)); i++) {
        v[i] = (real)(h->momentum * v[i] + g[i] + h->weight_decay * w[i]);
        w[i] -= (real)(h->lr * v[i]);
    }
}

static const NetrtParam params[] = {
    {"W", 2, {CLASSES, IN}, CLASSES * IN, param.W, grad.W, {NETRT_INIT_XAVIER_UNIFORM, 0, 0}, IN,
     CLASSES, "0.weight"},
    {"b", 1, {CLASSES}, CLASSES, param.b, grad.b, {NETRT_INIT_ZEROS, 0, 0}, IN, CLASSES,
     "0.bias"},
};

int main(int argc, char **argv)
{
    static const NetrtModel model = {
        .name = "tiny",
        .source = "tests/runtime/tiny_model.c",
        .summary = "input 16 -> dense 2 -> cross_entropy",
        .dtype = DTYPE,
        .in_size = IN, .in_c = 1, .in_h = 4, .in_w = 4,
        .out_size = CLASSES,
        .batch_max = BATCH_MAX,
        .flops_per_sample = 6 * CLASSES * IN,
        .input = input, .output = logits, .labels = labels,
        .params = params, .n_params = 2,
#ifdef TINY_BUFFERS
        .buffers = buffers, .n_buffers = 3,
#endif
        .forward = forward, .loss = loss, .backward = backward, .update = update,
        .train = {.epochs = 4, .batch = 32, .seed = 7, .lr = 0.5, .momentum = 0.9,
                  .weight_decay = 1e-4,
#ifdef TINY_CATALOGUE
                  .keep_best = 1, .monitor = NETRT_MONITOR_VALID_ACC,
#ifdef TINY_ONE_CYCLE
                  .schedule = {.kind = NETRT_SCHED_ONE_CYCLE, .max_lr = 0.5, .pct_start = 0.3},
#else
                  .schedule = {.kind = NETRT_SCHED_STEP, .every = 1, .gamma = 0.5},
#endif
#endif
        },
        .data = {.kind = NETRT_DATA_IDX,
                 .images = "train-images-idx3-ubyte", .labels = "train-labels-idx1-ubyte",
                 .test_images = "t10k-images-idx3-ubyte.gz",
                 .test_labels = "t10k-labels-idx1-ubyte.gz",
                 .valid = 100, .normalize = 1},
    };
#ifdef TINY_STATS
    int status = netrt_main(&model, argc, argv);
    double mean = seen_n ? seen_sum / seen_n : NAN;
    double std = seen_n ? sqrt(seen_sq / seen_n - mean * mean) : NAN;
    printf("training inputs: %ld values, mean %.6f, std %.6f\n", seen_n, mean, std);
    if (status == 0 && !(fabs(mean) < 1e-3 && fabs(std - 1) < 1e-3)) {
        fprintf(stderr, "tiny_stats: normalized inputs should have mean 0 and std 1\n");
        return 1;
    }
    return status;
#else
    return netrt_main(&model, argc, argv);
#endif
}
