/* rng.c: the runtime's random numbers, for parameter initialisation and shuffling.
 *
 * xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it/), its state seeded from one 64-bit
 * seed through splitmix64, as its authors recommend. Written out rather than rand(), so that a
 * seed gives the same initial parameters and the same data order on every machine and libc. */
#include <math.h>

#include "netrt_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void netrt_rng_seed(NetrtRng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
    rng->has_spare = 0;
    rng->spare = 0;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t netrt_rng_next(NetrtRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t netrt_rng_below(NetrtRng *rng, uint64_t n)
{
    /* Reject the lowest 2^64 mod n values, so that every residue is equally likely. */
    uint64_t threshold = -n % n;
    for (;;) {
        uint64_t r = netrt_rng_next(rng);
        if (r >= threshold)
            return r % n;
    }
}

double netrt_rng_uniform(NetrtRng *rng)
{
    return (double)(netrt_rng_next(rng) >> 11) * 0x1.0p-53;
}

double netrt_rng_normal(NetrtRng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    /* Box–Muller: u1 in (0, 1] keeps log() finite. */
    double u1 = 1.0 - netrt_rng_uniform(rng);
    double u2 = netrt_rng_uniform(rng);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586 * u2; /* 2π */
    rng->spare = radius * sin(angle);
    rng->has_spare = 1;
    return radius * cos(angle);
}

void netrt_shuffle(NetrtRng *rng, int32_t *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)netrt_rng_below(rng, (uint64_t)i + 1);
        int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
