/* export.h: `netc export`, an inference-only C99 file and its header from a checked model and
 * the weights a trainer saved (export.c). */
#ifndef EXPORT_H
#define EXPORT_H

#include "netc.h"

enum { EXPORT_MAX_STATS = 4096 }; /* --mean/--std: values given, one per input column at most */

typedef struct {
    const char *weights;    /* --weights: the safetensors file --save wrote                    */
    const char *c_path;     /* NAME.c                                                          */
    const char *h_path;     /* NAME.h, beside it                                               */
    const char *h_include;  /* its name as NAME.c includes it: "NAME.h"                        */
    const char *name;       /* NAME: the prefix of the functions, a C identifier               */
    const char *self_test;  /* --self-test: a CSV of inputs and the trainer's outputs, or NULL  */
    const char *command;    /* the command line, for the header comment                        */
    double mean[EXPORT_MAX_STATS], std[EXPORT_MAX_STATS]; /* --mean/--std as given           */
    int nmean, nstd;
} ExportOptions;

/* Read the weights and the self-test cases, then write NAME.c and NAME.h (each replaced only
 * once complete). Returns the exit status: 0, 1 for a fault in what was given (the weights of
 * another network, a bad CSV, a missing --mean), 2 when an output cannot be written; the message
 * is printed. */
int export_model(const Source *src, const Net *net, const Ir *ir, const ExportOptions *opt);

#endif
