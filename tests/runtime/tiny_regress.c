/* tiny_regress.c: a regression trainer written by hand the way netc generates one, to test the
 * runtime's driver on NETRT_REGRESS end to end. One input, one output: y = w·x + b, mean squared
 * error, plain SGD, f32, static buffers; the data is y = 2x + 1 at 200 evenly spaced x in
 * [-1, 1], of which 20 are held out for validation and 20 for the test. A line fits it exactly,
 * so the loss goes to 0 and --loss-below has something to stop at. */
#include "netrt.h"

enum { BATCH_MAX = 256 };

static float input[BATCH_MAX];
static float targets[BATCH_MAX];
static float output[BATCH_MAX];
static float d_output[BATCH_MAX]; /* ∂loss/∂output, left by loss() for backward() */

struct params {
    float w[1], b[1];
};
static struct params param, grad;

/* output[n] = w·input[n] + b */
static void forward(int B, int training)
{
    (void)training;
    for (int n = 0; n < B; n++)
        output[n] = param.w[0] * input[n] + param.b[0];
}

/* torch.nn.MSELoss: mean over the batch of (output − target)²; d_output = 2(output − target)/B */
static double loss(int B)
{
    double total = 0;
    for (int n = 0; n < B; n++) {
        float d = output[n] - targets[n];
        total += (double)d * d;
        d_output[n] = 2 * d / B;
    }
    return total / B;
}

static void backward(int B)
{
    grad.w[0] = grad.b[0] = 0;
    for (int n = 0; n < B; n++) {
        grad.w[0] += d_output[n] * input[n];
        grad.b[0] += d_output[n];
    }
}

/* torch.optim.SGD without momentum: w -= lr·(grad + wd·w) */
static void update(const NetrtHyper *h)
{
    param.w[0] -= (float)(h->lr * (grad.w[0] + h->weight_decay * param.w[0]));
    param.b[0] -= (float)(h->lr * (grad.b[0] + h->weight_decay * param.b[0]));
}

static double line(double x)
{
    return 2 * x + 1;
}

static const NetrtParam params[] = {
    {"w", 2, {1, 1}, 1, param.w, grad.w, {NETRT_INIT_XAVIER_UNIFORM, 0, 0}, 1, 1, NULL},
    {"b", 1, {1}, 1, param.b, grad.b, {NETRT_INIT_ZEROS, 0, 0}, 1, 1, NULL},
};

int main(int argc, char **argv)
{
    static const NetrtModel model = {
        .name = "tiny_regress",
        .source = "tests/runtime/tiny_regress.c",
        .summary = "input 1 -> dense 1 -> mse",
        .optimizer = "sgd",
        .dtype = NETRT_F32,
        .task = NETRT_REGRESS,
        .in_size = 1, .in_c = 1, .in_h = 1, .in_w = 1,
        .out_size = 1,
        .batch_max = BATCH_MAX,
        .flops_per_sample = 6,
        .input = input, .output = output, .targets = targets,
        .params = params, .n_params = 2,
        .forward = forward, .loss = loss, .backward = backward, .update = update,
        .train = {.epochs = 5, .batch = 16, .seed = 3, .lr = 0.1},
        .data = {.kind = NETRT_DATA_FUNCTION,
                 .function = {line, .linspace = 1, .lo = -1, .hi = 1, .n = 200},
                 .valid = 20, .test = 20},
    };
    return netrt_main(&model, argc, argv);
}
