/* gemm_shapes.h: the products of the bench rows (bench/rows/, bench/README.md), as generated
 * trainers call netrt_sgemm: row-major, C[m×n] = op(A)·op(B) with op(A) m×k and op(B) k×n.
 * Shared by gemm_shapes.c (netrt_sgemm against OpenBLAS) and gemm_libs.c (against BLIS and
 * libxsmm too). Row E's convolutions run one sample at a time, each product on one thread. */
#ifndef GEMM_SHAPES_H
#define GEMM_SHAPES_H

static const struct {
    char ta, tb;
    int m, n, k;
    const char *what;
} gemm_shapes[] = {
    {'N', 'T', 256, 256, 784, "A, C: first layer forward"},
    {'T', 'N', 256, 784, 256, "A, C: first layer weight gradient"},
    {'N', 'T', 256, 10, 256, "A: output layer forward"},
    {'N', 'T', 200, 512, 784, "B: first layer forward"},
    {'T', 'N', 512, 784, 200, "B: first layer weight gradient"},
    {'N', 'N', 200, 512, 256, "B: second layer input gradient"},
    {'N', 'T', 1600, 64, 64, "D: hidden layer forward"},
    {'T', 'N', 64, 64, 1600, "D: hidden layer weight gradient"},
    {'N', 'N', 1600, 64, 64, "D: hidden layer input gradient"},
    {'N', 'N', 6, 576, 25, "E: conv1 forward, one sample"},
    {'N', 'N', 16, 64, 150, "E: conv2 forward, one sample"},
    {'N', 'T', 16, 150, 64, "E: conv2 weight gradient, one sample"},
    {'T', 'N', 150, 64, 16, "E: conv2 input gradient, one sample"},
};
enum { GEMM_SHAPES = sizeof gemm_shapes / sizeof gemm_shapes[0] };

#endif
