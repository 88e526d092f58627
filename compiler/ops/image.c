/* image.c: the image layers, convolution and pooling, NCHW.
 *
 * A convolution is an im2col and one GEMM per sample: the K×K windows of the input are laid out
 * as the columns of a matrix, so that every output channel is a row of W times that matrix. Its
 * backward pass is the same GEMM transposed twice (for W and for the columns) and col2im, the
 * scatter that undoes im2col. The index math is written once, in the comment above im2col.
 *
 * Every pass takes the samples of the batch CONV_SAMPLES at a time, shared among the threads
 * (netrt_parallel): a convolution's scratch is one per thread, and its parameter gradients are
 * summed per range of samples, then the ranges in order, so the sums do not depend on the
 * threads. */
#include "op.h"

extern const OpDesc op_conv, op_maxpool;

/* ---- check and lower ------------------------------------------------------------------------- */

enum { CONV_KERNEL, CONV_STRIDE, CONV_PADDING, CONV_INIT, CONV_BIAS, CONV_WEIGHT_DECAY };
enum { POOL_STRIDE };

/* conv OUT kernel=K [stride=S] [padding=P], maxpool K [stride=S], avgpool K [stride=S]:
 * an image [C,H,W] in (HxW counts as one channel), an image [OUT or C, Ho, Wo] out, with
 * Ho = ⌊(H + 2P - K) / S⌋ + 1, as torch.nn.Conv2d and MaxPool2d compute it. */
static bool image_shape(LayerCheck *lc)
{
    Source *src = lc->src;
    const NetLayer *prev = lc->prev;
    NetLayer *l = lc->l;
    const char *word = lc->word, *shape = lc->prev_shape;
    bool conv = l->op == &op_conv;
    if (prev->out_rank == 1) {
        diag(src, lc->at->loc, DIAG_ERROR, "'%s' expects an image [C,H,W], got the vector %s from "
             "'%s' (line %d)", word, shape, prev->name, prev->src->loc.first_line);
        if (prev->op->is_free)
            diag(src, prev->src->loc, DIAG_NOTE, "image layers go before 'flatten'");
        return false;
    }
    l->in_c = prev->out_rank == 3 ? prev->out_shape[0] : 1;
    l->in_h = prev->out_shape[prev->out_rank - 2];
    l->in_w = prev->out_shape[prev->out_rank - 1];
    int out_c = l->in_c;
    if (conv) {
        out_c = check_size(lc->c, lc->at->arg, "'conv'", MAX_DIM);
        if (out_c < 0)
            return false;
        if (!check_find_setting(lc->at->opts, "kernel")) {
            diag(src, lc->at->loc, DIAG_ERROR, "'conv' needs a kernel size, e.g. 'conv %d "
                 "kernel=5'", out_c);
            return false;
        }
        l->kernel = (int)l->opt[CONV_KERNEL];
        l->stride = (int)l->opt[CONV_STRIDE];
        l->padding = (int)l->opt[CONV_PADDING];
    } else {
        const Value *k = check_resolve(lc->c, lc->at->arg);
        if (!k || (l->kernel = check_kernel(lc->c, k, lc->at->kind)) < 0)
            return false;
        /* torch's default: windows side by side */
        l->stride = l->opt[POOL_STRIDE] ? (int)l->opt[POOL_STRIDE] : l->kernel;
    }
    if (!lc->options_ok || l->kernel <= 0)
        return false;
    int K = l->kernel, S = l->stride, P = l->padding;
    if (P >= K) {
        diag(src, check_find_setting(lc->at->opts, "padding")->value->loc, DIAG_ERROR,
             "padding %d is not smaller than the %dx%d kernel: whole windows would see only "
             "padding", P, K, K);
        return false;
    }
    if (K > l->in_h + 2 * P || K > l->in_w + 2 * P) {
        diag(src, lc->at->loc, DIAG_ERROR, "the %dx%d %s of '%s' is larger than its input %s%s",
             K, K, conv ? "kernel" : "window", word, shape, P ? " with its padding" : "");
        return false;
    }
    int ho = (l->in_h + 2 * P - K) / S + 1, wo = (l->in_w + 2 * P - K) / S + 1;
    int rest_h = (l->in_h + 2 * P - K) % S, rest_w = (l->in_w + 2 * P - K) % S;
    if (rest_h || rest_w) {
        if (conv) {
            diag(src, lc->at->loc, DIAG_WARNING, "stride %d does not divide %s evenly: the last "
                 "%d row%s and %d column%s are never read", S, shape, rest_h,
                 rest_h == 1 ? "" : "s", rest_w, rest_w == 1 ? "" : "s");
        } else {
            diag(src, lc->at->loc, DIAG_ERROR, "'%s %d' with stride %d does not tile %s: %d row%s "
                 "and %d column%s would be left out", word, K, S, shape, rest_h,
                 rest_h == 1 ? "" : "s", rest_w, rest_w == 1 ? "" : "s");
            return false;
        }
    }
    l->out_rank = 3;
    l->out_shape[0] = out_c;
    l->out_shape[1] = ho;
    l->out_shape[2] = wo;
    double size = (double)out_c * ho * wo;
    if (size > MAX_LAYER_SIZE) {
        diag(src, lc->at->loc, DIAG_ERROR, "'%s' output of %.0f values is too large (at most %d)",
             word, size, MAX_LAYER_SIZE);
        return false;
    }
    l->out_size = (int)size;
    return true;
}

static void conv_describe(const NetLayer *l, char *buf, size_t size)
{
    snprintf(buf, size, "%s %d %dx%d", l->name, l->out_shape[0], l->kernel, l->kernel);
}

static void pool_describe(const NetLayer *l, char *buf, size_t size)
{
    snprintf(buf, size, "%s %dx%d", l->name, l->kernel, l->kernel);
}

/* W [out channel, in channel, K, K] and b [out channel], as torch.nn.Conv2d */
static int conv_tensors(const NetLayer *l, OpTensor *t)
{
    char oc[48], ic[48], k[48];
    op_upper(oc, sizeof oc, l->name, "_OC");
    op_upper(ic, sizeof ic, l->name, "_IC");
    op_upper(k, sizeof k, l->name, "_K");
    const char *w_names[] = {oc, ic, k, k}, *b_names[] = {oc};
    int w_dims[] = {l->out_shape[0], l->in_c, l->kernel, l->kernel}, b_dims[] = {l->out_shape[0]};
    op_tensor(&t[0], l, "W", "weight", 4, w_names, w_dims);
    op_tensor(&t[1], l, "b", "bias", 1, b_names, b_dims);
    t[0].init = l->init[0];
    t[1].init = l->init[1];
    t[0].fan_in = t[1].fan_in = l->in_c * l->kernel * l->kernel;
    t[0].fan_out = t[1].fan_out = l->out_shape[0] * l->kernel * l->kernel;
    return 2;
}

static long long conv_flops(const NetLayer *l)
{
    long long ckk = (long long)l->in_c * l->kernel * l->kernel;
    return 2LL * l->out_shape[0] * ckk * l->out_shape[1] * l->out_shape[2];
}

static void image_lower(IrOp *op)
{
    op_upper(op->U, sizeof op->U, op->name, "");
    op_upper(op->I_name, sizeof op->I_name, op->name, "_IN");
    op_upper(op->O_name, sizeof op->O_name, op->name, "_OUT");
    if (op->op == &op_conv)
        snprintf(op->pre, sizeof op->pre, "d_%s_out", op->name);
}

static int conv_arrays(const IrOp *op, int batch_max, OpArray *a)
{
    const NetLayer *l = op->layer;
    const char *U = op->U;
    double ckk = (double)l->in_c * l->kernel * l->kernel;
    double col = ckk * l->out_shape[1] * l->out_shape[2], sums = l->out_shape[0] * (ckk + 1);
    a[0] = (OpArray){"im2col scratch", "", "one sample's im2col matrix, a scratch per thread",
                     OP_MAX_THREADS * col, col};
    snprintf(a[0].decl, sizeof a[0].decl,
             "@R %s_col[NETRT_MAX_THREADS][%s_IC * %s_K * %s_K * %s_OH * %s_OW];", op->name, U, U,
             U, U, U);
    a[1] = (OpArray){"gradient sums", "", "each range of samples' sums of grad W and grad b",
                     (batch_max + CONV_SAMPLES - 1) / CONV_SAMPLES * sums, sums};
    snprintf(a[1].decl, sizeof a[1].decl,
             "@R %s_sums[(BATCH_MAX + SAMPLES - 1) / SAMPLES][%s_OC * (%s_IC * %s_K * %s_K + 1)];",
             op->name, U, U, U, U);
    return 2;
}

static int maxpool_arrays(const IrOp *op, int batch_max, OpArray *a)
{
    double rows = (double)batch_max * op->O;
    a[0] = (OpArray){"kept masks", "", "where each window's maximum was, for the backward pass",
                     rows, rows};
    snprintf(a[0].decl, sizeof a[0].decl, "int32_t %s_arg[BATCH_MAX * %s];", op->name,
             op->O_name);
    return 1;
}

/* ---- emit ------------------------------------------------------------------------------------ */

/* The size constants of one image layer: CONV1_IC, CONV1_OH, … */
typedef struct {
    char IC[48], IH[48], IW[48], OC[48], OH[48], OW[48], K[48], S[48], P[48];
} ImageNames;

static ImageNames image_names(const IrOp *op)
{
    ImageNames n;
    snprintf(n.IC, sizeof n.IC, "%s_IC", op->U);
    snprintf(n.IH, sizeof n.IH, "%s_IH", op->U);
    snprintf(n.IW, sizeof n.IW, "%s_IW", op->U);
    snprintf(n.OC, sizeof n.OC, "%s_OC", op->U);
    snprintf(n.OH, sizeof n.OH, "%s_OH", op->U);
    snprintf(n.OW, sizeof n.OW, "%s_OW", op->U);
    snprintf(n.K, sizeof n.K, "%s_K", op->U);
    snprintf(n.S, sizeof n.S, "%s_S", op->U);
    snprintf(n.P, sizeof n.P, "%s_P", op->U);
    return n;
}

static void image_sizes(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    ImageNames n = image_names(op);
    emit(e, "%s = %d, %s = %d, %s = %d, /* %s's input image */", n.IC, l->in_c, n.IH, l->in_h,
         n.IW, l->in_w, op->name);
    if (op->op == &op_conv)
        emit(e, "%s = %d, %s = %d, %s = %d, /* kernel K×K, stride, padding */", n.K, l->kernel,
             n.S, l->stride, n.P, l->padding);
    else
        emit(e, "%s = %d, %s = %d, /* window K×K, stride */", n.K, l->kernel, n.S, l->stride);
    emit(e, "%s = %d, %s = %d, %s = %d, /* its output image */", n.OC, l->out_shape[0], n.OH,
         l->out_shape[1], n.OW, l->out_shape[2]);
    emit(e, "%s = %s * %s * %s, %s = %s * %s * %s,", op->I_name, n.IC, n.IH, n.IW, op->O_name,
         n.OC, n.OH, n.OW);
}

/* ---- passes over ranges of samples ------------------------------------------------------------ */

/* Open NAME_PASS_samples(lo, hi, B), the pass over samples [lo, hi). */
static void emit_samples_open(Emitter *e, const IrOp *op, const char *pass)
{
    emit_function(e, "static void %s_%s_samples(int lo, int hi, int B)", op->name, pass);
    emit(e, "(void)B; /* the batch's size: a range needs only its own bounds */");
}

/* Close it, and open NAME_PASS(B), which runs it on the threads. */
static void emit_samples_run(Emitter *e, const IrOp *op, const char *pass)
{
    emit_close(e, NULL);
    emit_blank(e);
    emit_function(e, "static void %s_%s(int B)", op->name, pass);
    emit(e, "netrt_parallel(B, SAMPLES, %s_%s_samples, B); /* shared among the threads */",
         op->name, pass);
}

/* ---- convolution ------------------------------------------------------------------------------ */

/* im2col and col2im: one loop nest, copying (gather) or accumulating (scatter). */
static void emit_window_loops(Emitter *e, const IrOp *op, bool scatter)
{
    ImageNames n = image_names(op);
    const NetLayer *l = op->layer;
    emit_open(e, "for (int c = 0; c < %s; c++)", n.IC);
    emit_open(e, "for (int i = 0; i < %s; i++)", n.K);
    emit_open(e, "for (int j = 0; j < %s; j++)", n.K);
    emit(e, "%s@R *row = &col[((c * %s + i) * %s + j) * %s * %s];", scatter ? "const " : "", n.K,
         n.K, n.OH, n.OW);
    emit_open(e, "for (int oh = 0; oh < %s; oh++)", n.OH);
    emit(e, "int h = oh * %s - %s + i;", n.S, n.P);
    emit_open(e, "for (int ow = 0; ow < %s; ow++)", n.OW);
    emit(e, "int w = ow * %s - %s + j;", n.S, n.P);
    if (l->padding && !scatter) {
        emit(e, "int inside = h >= 0 && h < %s && w >= 0 && w < %s;", n.IH, n.IW);
        emit(e, "row[oh * %s + ow] = inside ? x[(c * %s + h) * %s + w] : 0.0@f;", n.OW, n.IH,
             n.IW);
    } else if (l->padding) {
        emit(e, "if (h >= 0 && h < %s && w >= 0 && w < %s)", n.IH, n.IW);
        emit(e, "    dx[(c * %s + h) * %s + w] += row[oh * %s + ow];", n.IH, n.IW, n.OW);
    } else if (scatter)
        emit(e, "dx[(c * %s + h) * %s + w] += row[oh * %s + ow];", n.IH, n.IW, n.OW);
    else
        emit(e, "row[oh * %s + ow] = x[(c * %s + h) * %s + w];", n.OW, n.IH, n.IW);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void conv_forward(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    const char *nm = op->name;
    emit(e, "/* im2col: the K×K windows of one sample's image x[%s,%s,%s] as the columns of", n.IC, n.IH,
         n.IW);
    emit(e, " *   col[(c·K + i)·K + j, oh·OW + ow] = x[c, oh·S - P + i, ow·S - P + j]   (0 in the padding)");
    emit(e, " * so that the convolution of every output position is one matrix product. */");
    emit_function(e, "static void %s_im2col(const @R *x, @R *col)", nm);
    emit_window_loops(e, op, false);
    emit_close(e, NULL);
    emit_blank(e);
    const NetLayer *l = op->layer;
    int oc = l->out_shape[0], ohw = l->out_shape[1] * l->out_shape[2];
    int ckk = l->in_c * l->kernel * l->kernel;
    emit(e, "/* forward, one sample b at a time, a [%d,%d]·[%d,%d] product:", oc, ckk, ckk, ohw);
    emit(e, " *   %s[b] [%d, %d·%d] = %s_W [%d, %d·%d·%d] · col [%d·%d·%d, %d·%d] + %s_b per channel",
         op->out, oc, l->out_shape[1], l->out_shape[2], nm, oc, l->in_c, l->kernel, l->kernel,
         l->in_c, l->kernel, l->kernel, l->out_shape[1], l->out_shape[2], nm);
    if (op->act) {
        Activation a = activation(e, op->act);
        emit(e, " *   then %s = %s in the same pass as the bias%s%s%s.", op->out, a.math_fwd,
             op->z[0] ? ", " : "", op->z[0] ? a.keep_math : "", op->z[0] ? " kept" : "");
    }
    emit(e, " * W is [%d,%d,%d,%d] = [out channel, in channel, i, j], as torch.nn.Conv2d. The threads", oc,
         l->in_c, l->kernel, l->kernel);
    emit(e, " * take SAMPLES samples at a time, each with a col of its own. */");
    emit_samples_open(e, op, "forward");
    emit(e, "enum { CKK = %s * %s * %s, OHW = %s * %s };", n.IC, n.K, n.K, n.OH, n.OW);
    emit(e, "@R *col = %s_col[netrt_thread()];", nm);
    emit_open(e, "for (int b = lo; b < hi; b++)");
    emit(e, "@R *out = &%s[b * %s];", op->out, op->O_name);
    emit(e, "%s_im2col(&%s[b * %s], col);", nm, op->in, op->I_name);
    emit_gemm_loop(e, emit_text(e, "for oc, p: out[oc,p] = Σ_k %s_W[oc,k] · col[k,p]", nm));
    emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasNoTrans, %s, OHW, CKK,", n.OC);
    emit(e, "            1.0@f, param.%s_W, CKK, col, OHW, 0.0@f, out, OHW);", nm);
    if (op->z[0])
        emit(e, "@R *ks = &%s[b * %s];", op->z, op->O_name);
    emit_open(e, "for (int oc = 0; oc < %s; oc++)", n.OC);
    emit_open(e, "for (int p = oc * OHW; p < (oc + 1) * OHW; p++)");
    if (op->act) {
        emit(e, "@R z = out[p] + param.%s_b[oc];", nm);
        emit_activation_kept(e, op, "p");
    } else {
        emit(e, "out[p] += param.%s_b[oc];", nm);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_samples_run(e, op, "forward");
    emit_close(e, NULL);
}

static void conv_backward(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    const char *nm = op->name;
    const char *dz = op->pre; /* the gradient at the GEMM's output, the bias included */
    if (!op->in_is_data) {
        emit(e, "/* col2im: the scatter that undoes im2col, adding each column entry back to the pixel");
        emit(e, " * it came from (a pixel in several windows gets the sum). */");
        emit_function(e, "static void %s_col2im(const @R *col, @R *dx)", nm);
        emit_window_loops(e, op, true);
        emit_close(e, NULL);
        emit_blank(e);
    }
    emit(e, "/* backward, given d_%s = ∂L/∂%s, one sample b at a time, SAMPLES to a thread:", op->out,
         op->out);
    emit(e, " * the parameter gradients are summed per range of samples, then the ranges in order.");
    if (op->act)
        emit(e, " *   %s = %s", dz, op->z[0] ? activation(e, op->act).math_bwd_kept
                                             : activation(e, op->act).math_bwd);
    emit(e, " *   grad.%s_b[oc] += Σ_p %s[b, oc, p]", nm, dz);
    const NetLayer *l = op->layer;
    emit(e, " *   grad.%s_W [%d, %d] += %s[b] [%d, %d] · colᵀ [%d, %d]   (col recomputed by im2col)",
         nm, l->out_shape[0], l->in_c * l->kernel * l->kernel, dz, l->out_shape[0],
         l->out_shape[1] * l->out_shape[2], l->out_shape[1] * l->out_shape[2],
         l->in_c * l->kernel * l->kernel);
    if (op->in_is_data)
        emit(e, " *   (no d_%s: the input is data) */", op->in);
    else
        emit(e, " *   d_%s[b] = col2im(%s_Wᵀ · %s[b])    (the columns' gradient, scattered back) */",
             op->in, nm, dz);
    emit_samples_open(e, op, "backward");
    emit(e, "enum { CKK = %s * %s * %s, OHW = %s * %s };", n.IC, n.K, n.K, n.OH, n.OW);
    emit(e, "@R *col = %s_col[netrt_thread()];", nm);
    emit(e, "@R *gW = %s_sums[lo / SAMPLES], *gb = &gW[%s * CKK]; /* this range's sums */", nm,
         n.OC);
    emit(e, "for (int i = 0; i < %s * (CKK + 1); i++)", n.OC);
    emit(e, "    gW[i] = 0.0@f;");
    emit_open(e, "for (int b = lo; b < hi; b++)");
    if (op->act)
        emit_activation_inputs(e, op, "b");
    emit(e, "@R *dz = &%s[b * %s];", dz, op->O_name);
    emit_open(e, "for (int oc = 0; oc < %s; oc++)", n.OC);
    emit_open(e, "for (int o = oc * OHW; o < (oc + 1) * OHW; o++)");
    if (op->act)
        emit(e, "dz[o] = %s;", op->z[0] ? activation(e, op->act).bwd_kept
                                         : activation(e, op->act).backward);
    emit(e, "gb[oc] += dz[o];");
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit(e, "%s_im2col(&%s[b * %s], col);", nm, op->in, op->I_name);
    emit_gemm_loop(e, "for oc, k: gW[oc,k] += Σ_p dz[oc,p] · col[k,p]");
    emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasTrans, %s, CKK, OHW,", n.OC);
    emit(e, "            1.0@f, dz, OHW, col, OHW, 1.0@f, gW, CKK);");
    if (!op->in_is_data) {
        emit(e, "/* the columns' gradient, in the same scratch buffer: col's values are used up */");
        emit_gemm_loop(e, emit_text(e, "for k, p: col[k,p] = Σ_oc %s_W[oc,k] · dz[oc,p]", nm));
        emit(e, "@G(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, OHW, %s,", n.OC);
        emit(e, "            1.0@f, param.%s_W, CKK, dz, OHW, 0.0@f, col, OHW);", nm);
        emit(e, "@R *dx = &d_%s[b * %s];", op->in, op->I_name);
        emit(e, "for (int i = 0; i < %s; i++)", op->I_name);
        emit(e, "    dx[i] = 0.0@f;");
        emit(e, "%s_col2im(col, dx);", nm);
    }
    emit_close(e, NULL);
    emit_samples_run(e, op, "backward");
    emit(e, "/* the ranges' sums, added in order: the same bits whatever the threads */");
    emit(e, "enum { CKK = %s * %s * %s };", n.IC, n.K, n.K);
    emit(e, "for (int i = 0; i < %s * CKK; i++)", n.OC);
    emit(e, "    grad.%s_W[i] = 0.0@f;", nm);
    emit(e, "for (int oc = 0; oc < %s; oc++)", n.OC);
    emit(e, "    grad.%s_b[oc] = 0.0@f;", nm);
    emit_open(e, "for (int r = 0; r < (B + SAMPLES - 1) / SAMPLES; r++)");
    emit(e, "for (int i = 0; i < %s * CKK; i++)", n.OC);
    emit(e, "    grad.%s_W[i] += %s_sums[r][i];", nm, nm);
    emit(e, "for (int oc = 0; oc < %s; oc++)", n.OC);
    emit(e, "    grad.%s_b[oc] += %s_sums[r][%s * CKK + oc];", nm, nm, n.OC);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* ---- pooling ------------------------------------------------------------------------------------ */

/* The loops over every output pixel o of one sample, with `first`, the top-left input pixel of
 * its window; emit_window_close() closes them. */
static void emit_window_open(Emitter *e, const ImageNames *n)
{
    emit_open(e, "for (int c = 0; c < %s; c++)", n->OC);
    emit_open(e, "for (int oh = 0; oh < %s; oh++)", n->OH);
    emit_open(e, "for (int ow = 0; ow < %s; ow++)", n->OW);
    emit(e, "int o = (c * %s + oh) * %s + ow; /* the output pixel */", n->OH, n->OW);
    emit(e, "int first = (c * %s + oh * %s) * %s + ow * %s; /* its window's top-left input */",
         n->IH, n->S, n->IW, n->S);
}

static void emit_window_close(Emitter *e)
{
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* One window's maximum (its index kept in arg[o] when keep_arg, for the backward pass) or mean,
 * into y[o]: the body of a pooling pass, the trainer's and the exported file's alike. */
static void emit_window_reduction(Emitter *e, const ImageNames *n, bool max, bool keep_arg)
{
    if (max) {
        emit(e, "int best = first;");
        emit(e, "for (int i = 0; i < %s; i++)", n->K);
        emit(e, "    for (int j = 0; j < %s; j++)", n->K);
        emit(e, "        best = x[first + i * %s + j] > x[best] ? first + i * %s + j : best;", n->IW,
             n->IW);
        emit(e, "y[o] = x[best];");
        if (keep_arg)
            emit(e, "arg[o] = best;");
    } else {
        emit(e, "@R sum = 0.0@f;");
        emit(e, "for (int i = 0; i < %s; i++)", n->K);
        emit(e, "    for (int j = 0; j < %s; j++)", n->K);
        emit(e, "        sum += x[first + i * %s + j];", n->IW);
        emit(e, "y[o] = sum / (@R)(%s * %s);", n->K, n->K);
    }
}

static void pool_forward(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    bool max = op->op == &op_maxpool;
    emit(e, "/* forward: each output pixel is the %s of its K×K window, channel by channel:", max ? "maximum" : "mean");
    if (max) {
        emit(e, " *   %s[b,c,oh,ow] = max_{i,j} x[b, c, oh·S + i, ow·S + j],  x = %s", op->out, op->in);
        emit(e, " * and %s_arg remembers where the maximum was, for the backward pass. */", op->name);
    } else {
        emit(e, " *   %s[b,c,oh,ow] = 1/K² Σ_{i,j} x[b, c, oh·S + i, ow·S + j],  x = %s */", op->out,
             op->in);
    }
    emit_samples_open(e, op, "forward");
    emit_open(e, "for (int b = lo; b < hi; b++)");
    emit(e, "const @R *x = &%s[b * %s];", op->in, op->I_name);
    emit(e, "@R *y = &%s[b * %s];", op->out, op->O_name);
    if (max)
        emit(e, "int32_t *arg = &%s_arg[b * %s];", op->name, op->O_name);
    emit_window_open(e, &n);
    emit_window_reduction(e, &n, max, true);
    emit_window_close(e);
    emit_close(e, NULL);
    emit_samples_run(e, op, "forward");
    emit_close(e, NULL);
}

static void pool_backward(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    bool max = op->op == &op_maxpool;
    if (emit_no_input_gradient(e, op))
        return;
    if (max)
        emit(e, "/* backward: each output's gradient goes to the input pixel that was the maximum */");
    else
        emit(e, "/* backward: each output's gradient is spread evenly, 1/K² each, over its window */");
    emit_samples_open(e, op, "backward");
    emit_open(e, "for (int b = lo; b < hi; b++)");
    emit(e, "const @R *dy = &d_%s[b * %s];", op->out, op->O_name);
    emit(e, "@R *dx = &d_%s[b * %s];", op->in, op->I_name);
    emit(e, "for (int i = 0; i < %s; i++)", op->I_name);
    emit(e, "    dx[i] = 0.0@f;");
    if (max) {
        emit(e, "const int32_t *arg = &%s_arg[b * %s];", op->name, op->O_name);
        emit(e, "for (int o = 0; o < %s; o++)", op->O_name);
        emit(e, "    dx[arg[o]] += dy[o];");
    } else {
        emit_window_open(e, &n);
        emit(e, "@R share = dy[o] / (@R)(%s * %s);", n.K, n.K);
        emit(e, "for (int i = 0; i < %s; i++)", n.K);
        emit(e, "    for (int j = 0; j < %s; j++)", n.K);
        emit(e, "        dx[first + i * %s + j] += share;", n.IW);
        emit_window_close(e);
    }
    emit_close(e, NULL);
    emit_samples_run(e, op, "backward");
    emit_close(e, NULL);
}

/* ---- export: one sample, plain loops ------------------------------------------------------------ */

static void conv_infer(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    const NetLayer *l = op->layer;
    const char *nm = op->name;
    emit(e, "/* %s[oc,oh,ow] = %s_b[oc] + Σ_{c,i,j} %s_W[oc,c,i,j] · x[c, oh·S - P + i, ow·S - P + j]",
         op->act ? "z" : "y", nm, nm);
    emit(e, " *   x [%d,%d,%d] → y [%d,%d,%d]; K = %d, S = %d, P = %d, as",
         l->in_c, l->in_h, l->in_w, l->out_shape[0], l->out_shape[1], l->out_shape[2], l->kernel,
         l->stride, l->padding);
    emit(e, " *   torch.nn.Conv2d(%d, %d, %d, stride=%d, padding=%d)%s%s */", l->in_c,
         l->out_shape[0], l->kernel, l->stride, l->padding, op->act ? "; y = " : "",
         op->act ? activation(e, op->act).math_fwd : "");
    emit_function(e, "static void %s_forward(const float *x, float *y)", nm);
    emit_open(e, "for (int oc = 0; oc < %s; oc++)", n.OC);
    emit_open(e, "for (int oh = 0; oh < %s; oh++)", n.OH);
    emit_open(e, "for (int ow = 0; ow < %s; ow++)", n.OW);
    emit(e, "float sum = 0.0f;");
    emit_open(e, "for (int c = 0; c < %s; c++)", n.IC);
    emit_open(e, "for (int i = 0; i < %s; i++)", n.K);
    emit_open(e, "for (int j = 0; j < %s; j++)", n.K);
    emit(e, "int h = oh * %s - %s + i, w = ow * %s - %s + j;", n.S, n.P, n.S, n.P);
    if (l->padding)
        emit(e, "if (h >= 0 && h < %s && w >= 0 && w < %s) /* else x is 0: the padding */", n.IH,
             n.IW);
    emit(e, "%ssum += %s_W[((oc * %s + c) * %s + i) * %s + j] * x[(c * %s + h) * %s + w];",
         l->padding ? "    " : "", nm, n.IC, n.K, n.K, n.IH, n.IW);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit(e, "int p = (oc * %s + oh) * %s + ow;", n.OH, n.OW);
    if (op->act) {
        emit(e, "float z = sum + %s_b[oc];", nm);
        emit_infer_activation(e, op, "p");
    } else {
        emit(e, "y[p] = sum + %s_b[oc];", nm);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void pool_infer(Emitter *e, const IrOp *op)
{
    ImageNames n = image_names(op);
    const NetLayer *l = op->layer;
    bool max = op->op == &op_maxpool;
    if (max)
        emit(e, "/* y[c,oh,ow] = max_{i,j} x[c, oh·S + i, ow·S + j]: the maximum of each K×K window,");
    else
        emit(e, "/* y[c,oh,ow] = 1/K² Σ_{i,j} x[c, oh·S + i, ow·S + j]: the mean of each K×K window,");
    emit(e, " *   x [%d,%d,%d] → y [%d,%d,%d]; K = %d, S = %d */", l->in_c, l->in_h, l->in_w,
         l->out_shape[0], l->out_shape[1], l->out_shape[2], l->kernel, l->stride);
    emit_function(e, "static void %s_forward(const float *x, float *y)", op->name);
    emit_window_open(e, &n);
    emit_window_reduction(e, &n, max, false);
    emit_window_close(e);
    emit_close(e, NULL);
}

/* ---- the descriptors ------------------------------------------------------------------------- */

const OpDesc op_conv = {
    "conv", NULL, "Conv2d", ARG_SIZE, "a number of output channels", "conv 6 kernel=5",
    .options = {[CONV_KERNEL] = {"kernel", OPT_KERNEL, .default_text = "none: it is required"},
                [CONV_STRIDE] = {"stride", OPT_WHOLE, .min = 1, .max = MAX_DIM, .def = 1},
                [CONV_PADDING] = {"padding", OPT_WHOLE, .min = 0, .max = MAX_DIM, .def = 0},
                [CONV_INIT] = {"init", OPT_INIT, .slot = 0, .default_text = "torch's U(±1/√fan_in)"},
                [CONV_BIAS] = {"bias", OPT_INIT, .slot = 1, .default_text = "torch's U(±1/√fan_in); zeros when init is given"},
                [CONV_WEIGHT_DECAY] = {"weight_decay", OPT_WEIGHT_DECAY, .min = 0, .max = 1e6, .default_text = "the optimizer's"}},
    .layout = "a conv W is [out channel, in channel, K, K]",
    .fuses_activation = true,
    .images = true,
    .shape = image_shape,
    .describe = conv_describe,
    .tensors = conv_tensors,
    .flops = conv_flops,
    .lower = image_lower,
    .arrays = conv_arrays,
    .sizes = image_sizes,
    .forward = conv_forward,
    .backward = conv_backward,
    .infer = conv_infer,
};
const OpDesc op_maxpool = {
    "maxpool", NULL, "MaxPool2d", ARG_KERNEL, "a window size", "maxpool 2",
    .options = {[POOL_STRIDE] = {"stride", OPT_WHOLE, .min = 1, .max = MAX_DIM, .default_text = "K: windows side by side"}},
    .images = true,
    .shape = image_shape,
    .describe = pool_describe,
    .lower = image_lower,
    .arrays = maxpool_arrays,
    .sizes = image_sizes,
    .forward = pool_forward,
    .backward = pool_backward,
    .infer = pool_infer,
};
const OpDesc op_avgpool = {
    "avgpool", NULL, "AvgPool2d", ARG_KERNEL, "a window size", "maxpool 2",
    .options = {[POOL_STRIDE] = {"stride", OPT_WHOLE, .min = 1, .max = MAX_DIM, .default_text = "K: windows side by side"}},
    .images = true,
    .shape = image_shape,
    .describe = pool_describe,
    .lower = image_lower,
    .sizes = image_sizes,
    .forward = pool_forward,
    .backward = pool_backward,
    .infer = pool_infer,
};
