/* leaky_step.c: a stand-in trainer whose epochs allocate, to show that alloc_test.sh catches it.
 *
 * It takes the options alloc_test.sh passes to a trainer (--epochs N; anything else is ignored),
 * "trains" for N epochs of a few steps on a static buffer, prints an epoch line for each and a
 * final test line as a trainer does, and in each epoch's last step mallocs 64 bytes (freeing the
 * previous epoch's block, so nothing leaks: freeing is allowed, allocating is not). With
 * --no-leak the steps never allocate: the control that shows the program passes otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float weights[256];
static void *volatile block; /* volatile: the compiler may not drop the malloc */

int main(int argc, char **argv)
{
    int epochs = 3, leak = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-leak"))
            leak = 0;
    }
    if (epochs < 1) {
        fprintf(stderr, "leaky_step: --epochs: must be at least 1\n");
        return 1;
    }
    printf("model     leaky_step  (tests/alloc/leaky_step.c)%s\n", leak ? "" : "  --no-leak");
    float loss = 1.0f;
    for (int e = 1; e <= epochs; e++) {
        for (int step = 0; step < 10; step++) {
            for (int k = 0; k < 256; k++)
                weights[k] = 0.9f * weights[k] + 0.01f * (float)(k % 7);
            loss *= 0.95f;
            if (leak && step == 9) {
                free(block);
                block = malloc(64);
                if (!block)
                    return 1;
            }
        }
        printf("epoch %d/%d  train loss %.4f\n", e, epochs, loss);
    }
    free(block);
    printf("test: loss %.4f  accuracy 50.00%%\n", loss);
    return 0;
}
