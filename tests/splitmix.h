/* splitmix.h: the tests' own random numbers (splitmix64), the same on every machine, for data
 * and parameters that a test makes up; each test keeps its state, so its numbers do not depend
 * on another test's. */
#ifndef SPLITMIX_H
#define SPLITMIX_H

#include <stdint.h>

/* uniform in [lo, hi), 53 random bits */
static inline double splitmix_uniform(uint64_t *state, double lo, double hi)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) / 9007199254740992.0;
}

#endif
