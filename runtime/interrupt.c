/* interrupt.c: Ctrl-C and SIGTERM end a training run cleanly. The handler only records the
 * signal; the loop looks after every step, finishes it, writes the checkpoint if one was asked
 * for, says where it stopped, and exits with 128 + the signal (130, 143). A second signal while
 * that goes on (a checkpoint of a large model on a slow disk) exits at once: someone who presses
 * Ctrl-C twice wants the process gone. */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include <signal.h>
#include <unistd.h>

#include "netrt_internal.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    if (caught)
        _exit(128 + sig);
    caught = sig;
}

void netrt_interrupt_install(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    /* each handler runs whole before the other signal's: two signals arriving together are then
     * a first one recorded and a second one that exits, never two that each find nothing */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART; /* a write of the log or the checkpoint goes on */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int netrt_interrupted(void)
{
    return caught;
}
