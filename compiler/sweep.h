/* sweep.h: `netc sweep` (sweep.c), and what it shares with main.c. */
#ifndef SWEEP_H
#define SWEEP_H

#include "netc.h"

/* netc sweep FILE.net --set NAME=v1,v2 … : argv as main() got it, argv[1] == "sweep". Exit status
 * as docs/sweep.md says. */
int sweep_main(int argc, char **argv);

/* main.c: the -D values NAME=VALUE, read as `netc gen -D` reads them, into out[0..n). False,
 * with a message, on a bad one. A sweep's --set values go through here: a sweep takes what -D
 * takes. */
bool parse_defines(const char *const *defines, int n, const char *flag, Arena *arena,
                   Define *out);

#endif
