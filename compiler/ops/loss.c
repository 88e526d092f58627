/* loss.c: the losses (ops/train.h): cross_entropy, nll, mse, binary_cross_entropy,
 * multi_margin (hinge), huber, kl_div.
 *
 * Each loss(B) returns the mean loss over the batch and writes its gradient; the 1/B (or
 * 1/(B·K)) of the mean enters there, once: it starts the chain rule for every gradient.
 * mse, huber, binary_cross_entropy and multi_margin take reduction = mean (torch's: 1/(B·K)) or
 * sum (summed over the K outputs, the mean over the batch kept: 1/B, the convention of the
 * course's frameworks for the Euclidean and hinge losses). */
#include "train.h"

#include <string.h>

/* reduction = mean | sum, which every loss takes, so that `loss objective { reduction = sum }`
 * sweeps over losses. cross_entropy, nll and kl_div are one value per sample, a sum over the
 * classes already: both reductions are their mean over the batch. */
#define REDUCTION_SETTING {"reduction", SET_CUSTOM, 0, 0, false, 0, check_set_reduction}
static const SettingSpec reduction_settings[] = {REDUCTION_SETTING, END_SPECS};

/* ---- what the losses share ------------------------------------------------------------------ */

/* The target of output k of sample b, as C: one-hot for classes, the value for regression. */
static const char *target(const Emitter *e)
{
    return e->net->regression ? "targets[b * OUTPUTS + k]" : "(@R)(k == labels[b])";
}

static const char *target_math(const Emitter *e)
{
    return e->net->regression ? "t[b,k] = targets[b,k]" : "t[b,k] = [k = y_b], one-hot";
}

/* The frame every loss shares: loss(B) summing into total over the samples b, with zb the
 * outputs of sample b and dz their gradient; emit_loss_close() returns total's mean. */
static void emit_loss_open(Emitter *e, const char *z, const char *K, const char *setup)
{
    emit_function(e, "static double loss(int B)");
    emit(e, "double total = 0.0;");
    if (setup)
        emit(e, "%s", setup);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *zb = &%s[b * %s];", z, K);
    emit(e, "@R *dz = &d_%s[b * %s];", z, K);
}

static void emit_loss_close(Emitter *e, const char *mean_over)
{
    emit_close(e, NULL);
    emit(e, "return total / %s;", mean_over);
    emit_close(e, NULL);
}

/* A loss that applies softmax or the sigmoid to the raw scores itself: the model must not. */
static void check_raw_scores(Source *src, Loc at, const char *word, const NetLayer *last,
                             const char *applies)
{
    if (last->op->yields == YIELDS_VALUES)
        return;
    diag(src, at, DIAG_ERROR, "'%s' applies %s itself, so the model's '%s' (line %d) would "
         "apply it twice", word, applies, last->src->kind, last->src->loc.first_line);
    diag(src, last->src->loc, DIAG_NOTE, "remove this layer, or use 'loss nll' after it");
}

/* ---- cross_entropy ---------------------------------------------------------------------------- */

static void check_cross_entropy(Source *src, Loc at, const char *word, const NetLayer *last)
{
    check_raw_scores(src, at, word, last, "softmax");
}

static void emit_cross_entropy(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    emit(e, "/* softmax cross-entropy, fused, as torch.nn.CrossEntropyLoss (mean over the batch):");
    emit(e, " *   p[b,k] = e^(z[b,k] - m_b) / Σ_j e^(z[b,j] - m_b)      z = %s, m_b = max_j z[b,j]", z);
    emit(e, " *   L = (1/B) Σ_b -log p[b, y_b] = (1/B) Σ_b (log Σ_j e^(z[b,j] - m_b) - (z[b,y_b] - m_b))");
    emit(e, " *   d_%s[b,k] = (p[b,k] - [k = y_b]) / B */", z);
    emit_loss_open(e, z, "CLASSES", NULL);
    emit(e, "@R m = zb[0], sum = 0.0@f;");
    emit(e, "for (int k = 1; k < CLASSES; k++)");
    emit(e, "    m = zb[k] > m ? zb[k] : m;");
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "dz[k] = @X(zb[k] - m);");
    emit(e, "sum += dz[k];");
    emit_close(e, NULL);
    emit(e, "total += log@f(sum) - (zb[labels[b]] - m);");
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = (dz[k] / sum - (k == labels[b])) / B;");
    emit_loss_close(e, "B");
}

static const LossDesc cross_entropy = {
    .words = {"cross_entropy"},
    .torch = "CrossEntropyLoss",
    .settings = reduction_settings,
    .check_output = check_cross_entropy,
    .emit = emit_cross_entropy,
};

/* ---- nll and kl_div: on log-probabilities ------------------------------------------------------
 * nll also takes probabilities (after softmax, logged here); kl_div with one-hot targets is the
 * same loss as nll: Σ_k t (log t - z) = -z[y] (0·log 0 = 0). */

static void check_nll(Source *src, Loc at, const char *word, const NetLayer *last)
{
    (void)word;
    if (last->op->yields == YIELDS_VALUES)
        diag(src, at, DIAG_ERROR, "'nll' takes log-probabilities: end the model with "
             "'log_softmax' (or 'softmax'), or use 'cross_entropy' on the raw scores");
}

static void check_kl_div(Source *src, Loc at, const char *word, const NetLayer *last)
{
    (void)word;
    if (last->op->yields != YIELDS_LOG_PROBABILITIES)
        diag(src, at, DIAG_ERROR, "'kl_div' takes log-probabilities: end the model with "
             "'log_softmax'");
}

/* -z[y] for each sample, or -log z[y] on probabilities */
static void emit_nll_body(Emitter *e, const char *z, bool of_probabilities)
{
    emit_loss_open(e, z, "CLASSES", NULL);
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = 0.0@f;");
    if (of_probabilities) {
        emit(e, "total -= log@f(zb[labels[b]]);");
        emit(e, "dz[labels[b]] = -1.0@f / (B * zb[labels[b]]);");
    } else {
        emit(e, "total -= zb[labels[b]];");
        emit(e, "dz[labels[b]] = -1.0@f / B;");
    }
    emit_loss_close(e, "B");
}

static void emit_nll(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    bool of_probabilities = e->net->layers[e->net->nlayers - 1].op->yields == YIELDS_PROBABILITIES;
    if (of_probabilities) {
        emit(e, "/* negative log-likelihood of the probabilities p = %s (from softmax):", z);
        emit(e, " *   L = (1/B) Σ_b -log p[b, y_b]");
        emit(e, " *   d_%s[b,k] = -[k = y_b] / (B · p[b, y_b]) */", z);
    } else {
        emit(e, "/* negative log-likelihood, as torch.nn.NLLLoss, of the log-probabilities z = %s:", z);
        emit(e, " *   L = (1/B) Σ_b -z[b, y_b]");
        emit(e, " *   d_%s[b,k] = -[k = y_b] / B */", z);
    }
    emit_nll_body(e, z, of_probabilities);
}

static void emit_kl_div(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    emit(e, "/* KL divergence, as torch.nn.KLDivLoss(reduction='batchmean'), z = %s the", z);
    emit(e, " * log-probabilities and t the one-hot target:");
    emit(e, " *   L = (1/B) Σ_b Σ_k t[b,k] (log t[b,k] - z[b,k]) = (1/B) Σ_b -z[b, y_b]   (0·log 0 = 0)");
    emit(e, " *   d_%s[b,k] = -[k = y_b] / B */", z);
    emit_nll_body(e, z, false);
}

static const LossDesc nll = {
    .words = {"nll"},
    .torch = "NLLLoss",
    .settings = reduction_settings,
    .check_output = check_nll,
    .emit = emit_nll,
};

static const LossDesc kl_div = {
    .words = {"kl_div"},
    .torch = "KLDivLoss",
    .settings = reduction_settings,
    .check_output = check_kl_div,
    .emit = emit_kl_div,
};

/* ---- mse, huber, binary_cross_entropy: elementwise ----------------------------------------------
 * They compare every output with its target, elementwise, mean over all B·K values: a comment,
 * then the frame around one loop over k in which t is the target, with one loss's body. */

static const char *elementwise_size(const Emitter *e)
{
    return e->net->regression ? "OUTPUTS" : "CLASSES";
}

/* What the loss divides by: B·K for the mean over every value, B for reduction = sum (summed
 * over the K outputs, the mean over the batch kept), as C and in the comment's formulas. */
static const char *reduction_count(const Emitter *e)
{
    return e->net->loss_sum ? "B" : "(B·K)";
}

/* The comment's words for the reduction: "mean over all B·K values, K = CLASSES". */
static const char *reduction_words(const Emitter *e, char *buf, size_t size)
{
    if (e->net->loss_sum)
        snprintf(buf, size, "reduction = sum: summed over the K = %s outputs, mean over the batch",
                 elementwise_size(e));
    else
        snprintf(buf, size, "mean over all B·K values, K = %s", elementwise_size(e));
    return buf;
}

static void emit_elementwise(Emitter *e, const IrOp *op, void (*body)(Emitter *e))
{
    const char *K = elementwise_size(e);
    char setup[96], mean[64];
    if (e->net->loss_sum) {
        snprintf(setup, sizeof setup, "const @R scale = 1.0@f / (@R)B;");
        snprintf(mean, sizeof mean, "B");
    } else {
        snprintf(setup, sizeof setup, "const @R scale = 1.0@f / (@R)(B * %s);", K);
        snprintf(mean, sizeof mean, "((double)B * %s)", K);
    }
    emit_loss_open(e, op->in, K, setup);
    emit_open(e, "for (int k = 0; k < %s; k++)", K);
    emit(e, "@R t = %s;", target(e));
    body(e);
    emit_close(e, NULL);
    emit_loss_close(e, mean);
}

static void emit_mse_body(Emitter *e)
{
    emit(e, "@R d = zb[k] - t;");
    emit(e, "total += (double)d * d;");
    emit(e, "dz[k] = 2.0@f * scale * d;");
}

static void emit_mse(Emitter *e, const IrOp *op)
{
    const char *y = op->in, *n = reduction_count(e);
    char how[96];
    emit(e, "/* %s, as torch.nn.MSELoss (%s):",
         e->net->loss_sum ? "squared error" : "mean squared error", reduction_words(e, how, sizeof how));
    emit(e, " *   %s", target_math(e));
    emit(e, " *   L = 1/%s Σ_b Σ_k (%s[b,k] - t[b,k])²", n, y);
    emit(e, " *   d_%s[b,k] = 2 (%s[b,k] - t[b,k]) / %s */", y, y, n);
    emit_elementwise(e, op, emit_mse_body);
}

static void emit_huber_body(Emitter *e)
{
    char delta[40];
    lit(e, delta, e->net->delta);
    emit(e, "@R d = zb[k] - t, a = fabs@f(d);");
    emit_open(e, "if (a <= %s)", delta);
    emit(e, "total += 0.5 * (double)d * d;");
    emit(e, "dz[k] = scale * d;");
    emit_close(e, NULL);
    emit_open(e, "else");
    emit(e, "total += %s * (a - 0.5@f * %s);", delta, delta);
    emit(e, "dz[k] = scale * (d > 0.0@f ? %s : -%s);", delta, delta);
    emit_close(e, NULL);
}

static void emit_huber(Emitter *e, const IrOp *op)
{
    const char *y = op->in, *n = reduction_count(e);
    char how[96];
    emit(e, "/* Huber loss, as torch.nn.HuberLoss(delta=%g) (%s),", e->net->delta,
         reduction_words(e, how, sizeof how));
    emit(e, " *   d = %s[b,k] - t[b,k],  %s", y, target_math(e));
    emit(e, " *   ℓ(d) = d²/2 if |d| ≤ δ, else δ(|d| - δ/2)");
    emit(e, " *   d_%s[b,k] = ℓ'(d) / %s = (d if |d| ≤ δ, else δ·sign(d)) / %s */", y, n, n);
    emit_elementwise(e, op, emit_huber_body);
}

static void emit_bce_body(Emitter *e)
{
    emit(e, "@R z = zb[k];");
    emit(e, "total += (z > 0.0@f ? z : 0.0@f) - z * t + log1p@f(@X(-fabs@f(z)));");
    emit(e, "dz[k] = scale * (1.0@f / (1.0@f + @X(-z)) - t);");
}

static void emit_bce(Emitter *e, const IrOp *op)
{
    const char *y = op->in, *K = elementwise_size(e);
    if (e->net->loss_sum) {
        emit(e, "/* binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss (reduction = sum:");
        emit(e, " * summed over the K = %s outputs, mean over the batch); z = %s, %s,", K, y, target_math(e));
        emit(e, " * σ(z) = 1/(1 + e^-z):");
    } else {
        emit(e, "/* binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss (mean over all B·K");
        emit(e, " * values, K = %s); z = %s, %s, σ(z) = 1/(1 + e^-z):", K, y, target_math(e));
    }
    emit(e, " *   ℓ = -(t log σ(z) + (1 - t) log(1 - σ(z))) = max(z, 0) - z·t + log(1 + e^-|z|)");
    emit(e, " *   d_%s[b,k] = (σ(z) - t) / %s */", y, reduction_count(e));
    emit_elementwise(e, op, emit_bce_body);
}

static void check_bce(Source *src, Loc at, const char *word, const NetLayer *last)
{
    check_raw_scores(src, at, word, last, "the sigmoid");
}

static const LossDesc mse = {
    .words = {"mse"},
    .torch = "MSELoss",
    .settings = reduction_settings,
    .values = true,
    .emit = emit_mse,
};

static const SettingSpec huber_settings[] = {
    {"delta", SET_NUMBER, 1e-12, 1e12, false, NET_FIELD(delta), NULL}, REDUCTION_SETTING, END_SPECS,
};

static void huber_defaults(Net *net)
{
    net->delta = 1;
}

static const LossDesc huber = {
    .words = {"huber"},
    .torch = "HuberLoss",
    .settings = huber_settings,
    .defaults = huber_defaults,
    .values = true,
    .emit = emit_huber,
};

static const LossDesc binary_cross_entropy = {
    .words = {"binary_cross_entropy"},
    .torch = "BCEWithLogitsLoss",
    .settings = reduction_settings,
    .check_output = check_bce,
    .emit = emit_bce,
};

/* ---- multi_margin, and hinge: its p = 1, margin = 1 ---------------------------------------------- */

static void emit_multi_margin(Emitter *e, const IrOp *op)
{
    const Net *net = e->net;
    const char *z = op->in;
    char margin[40];
    lit(e, margin, net->margin);
    bool squared = net->margin_p == 2;
    bool sum = net->loss_sum;
    emit(e, "/* multi-class margin (hinge) loss, as torch.nn.MultiMarginLoss(p=%d, margin=%g), z = %s%s",
         net->margin_p, net->margin, z, sum ? "," : ":");
    if (sum)
        emit(e, " * reduction = sum: summed over the classes, mean over the batch:");
    emit(e, " *   s[b,k] = margin - z[b, y_b] + z[b,k]");
    emit(e, " *   L = (1/B) Σ_b %sΣ_{k ≠ y_b} max(0, s[b,k])%s", sum ? "" : "(1/K) ",
         squared ? "²" : "");
    emit(e, " *   for each k ≠ y_b with s > 0:  d_%s[b,k] += g,  d_%s[b,y_b] -= g,  g = %s / %s */",
         z, z, squared ? "2s" : "1", sum ? "B" : "(B·K)");
    emit_loss_open(e, z, "CLASSES", sum ? "const @R scale = 1.0@f / (@R)B;"
                                        : "const @R scale = 1.0@f / (@R)(B * CLASSES);");
    emit(e, "int y = labels[b];");
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = 0.0@f;");
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "@R s = %s - zb[y] + zb[k];", margin);
    emit(e, "if (k == y || s <= 0.0@f)");
    emit(e, "    continue;");
    if (squared) {
        emit(e, "total += (double)s * s;");
        emit(e, "dz[k] += 2.0@f * s * scale;");
        emit(e, "dz[y] -= 2.0@f * s * scale;");
    } else {
        emit(e, "total += s;");
        emit(e, "dz[k] += scale;");
        emit(e, "dz[y] -= scale;");
    }
    emit_close(e, NULL);
    emit_loss_close(e, sum ? "B" : "((double)B * CLASSES)");
}

static const SettingSpec margin_settings[] = {
    {"margin", SET_NUMBER, 0, 1e6, false, NET_FIELD(margin), NULL},
    {"p", SET_INT, 1, 2, false, NET_FIELD(margin_p), NULL},
    REDUCTION_SETTING,
    END_SPECS,
};

static void margin_defaults(Net *net)
{
    net->margin = 1, net->margin_p = 1;
}

static const LossDesc multi_margin = {
    .words = {"hinge", "multi_margin"},
    .torch = "MultiMarginLoss",
    .settings = margin_settings,
    .defaults = margin_defaults,
    .emit = emit_multi_margin,
};

/* ---- the list ---------------------------------------------------------------------------------- */

const LossDesc *const loss_list[] = {
    &cross_entropy, &nll, &mse, &binary_cross_entropy, &multi_margin, &huber, &kl_div, NULL,
};

const char *const *loss_words(void)
{
    enum { MAX_WORDS = 24 }; /* room for every loss's words (at most 2 each, and NULL) */
    static const char *words[MAX_WORDS];
    if (!words[0]) {
        int n = 0;
        for (int i = 0; loss_list[i]; i++)
            for (int k = 0; loss_list[i]->words[k] && n < MAX_WORDS - 1; k++)
                words[n++] = loss_list[i]->words[k];
    }
    return words;
}

const LossDesc *loss_find(const char *word)
{
    for (int i = 0; loss_list[i]; i++)
        if (train_word_index(loss_list[i]->words, word) >= 0)
            return loss_list[i];
    return NULL;
}

int train_word_index(const char *const *words, const char *word)
{
    for (int i = 0; words[i]; i++)
        if (!strcmp(words[i], word))
            return i;
    return -1;
}
