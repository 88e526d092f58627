/* count_alloc.c: an LD_PRELOAD library that counts heap allocations.
 *
 * It interposes malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
 * valloc and pvalloc (free is not counted: releasing memory is allowed), forwards each call to the
 * next definition (glibc's) found with dlsym(RTLD_NEXT, ...), and counts it, in total, per
 * function and per calling address. When the process exits (a destructor), it appends one report
 * to the file named by $COUNT_ALLOC_OUT (standard error when unset):
 *
 *   count_alloc pid=P total=N malloc=.. calloc=.. realloc=.. reallocarray=.. posix_memalign=..
 *     aligned_alloc=.. memalign=.. valloc=.. pvalloc=..
 *   count_alloc caller OBJECT+0xOFFSET SYMBOL COUNT          (one line per calling address)
 *   count_alloc end
 *
 * The callers say where a difference between two runs comes from: OFFSET is relative to the
 * object's load address, so `addr2line -f -e OBJECT 0xOFFSET` names the function even in a PIE
 * executable whose own functions have no dynamic symbol. A process that replaces itself with
 * execve (as a trainer does to load a better OpenBLAS core) never runs its destructors: only the
 * last image of the process reports, counting from its own start.
 *
 * dlsym may itself call calloc (for dlerror's buffer) before the real calloc is known: those
 * early requests are served from a small static buffer, never freed back to glibc. Counters are
 * atomic: OpenBLAS's threads allocate too. Nothing here calls malloc. */
#define _GNU_SOURCE /* RTLD_NEXT, dladdr */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { K_MALLOC, K_CALLOC, K_REALLOC, K_REALLOCARRAY, K_POSIX_MEMALIGN, K_ALIGNED_ALLOC,
       K_MEMALIGN, K_VALLOC, K_PVALLOC, K_COUNT };
static const char *const kind_names[K_COUNT] = {"malloc", "calloc", "realloc", "reallocarray",
                                                "posix_memalign", "aligned_alloc", "memalign",
                                                "valloc", "pvalloc"};
static unsigned long counts[K_COUNT];

/* Per calling address: an open-addressing table filled with compare-and-swap. */
#define CALLERS 4096
static struct {
    uintptr_t addr;
    unsigned long count;
} callers[CALLERS];
static unsigned long callers_lost; /* calls from addresses that found the table full */

static void count(int kind, void *caller)
{
    __atomic_fetch_add(&counts[kind], 1, __ATOMIC_RELAXED);
    uintptr_t a = (uintptr_t)caller;
    size_t h = (size_t)((a >> 2) * 0x9E3779B97F4A7C15ull) % CALLERS;
    for (size_t i = 0; i < CALLERS; i++) {
        size_t j = (h + i) % CALLERS;
        uintptr_t seen = __atomic_load_n(&callers[j].addr, __ATOMIC_ACQUIRE);
        if (seen == 0) {
            uintptr_t expected = 0;
            if (__atomic_compare_exchange_n(&callers[j].addr, &expected, a, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                seen = a;
            else
                seen = expected;
        }
        if (seen == a) {
            __atomic_fetch_add(&callers[j].count, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_fetch_add(&callers_lost, 1, __ATOMIC_RELAXED);
}

/* ---- the real functions, and the bootstrap buffer for dlsym's own requests ----------------- */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static _Alignas(64) unsigned char bootstrap[16384];
static size_t bootstrap_used;
static int resolving;

static int from_bootstrap(const void *p)
{
    return (const unsigned char *)p >= bootstrap &&
           (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

static void *bootstrap_alloc(size_t n)
{
    size_t start = (__atomic_fetch_add(&bootstrap_used, (n + 63) & ~(size_t)63, __ATOMIC_RELAXED));
    if (start + n > sizeof bootstrap)
        return NULL;
    return bootstrap + start; /* static storage: already zero, as calloc promises */
}

static void resolve(void)
{
    if (real_free || resolving)
        return;
    resolving = 1;
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    void (*f)(void *) = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
    if (!real_malloc || !real_calloc || !real_realloc || !f) {
        static const char msg[] = "count_alloc: cannot find the real malloc\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
        _exit(127);
    }
    __atomic_store_n(&real_free, f, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void count_alloc_init(void)
{
    resolve();
}

/* ---- the interposed functions ----------------------------------------------------------------- */

void *malloc(size_t n)
{
    if (!real_free) {
        if (resolving)
            return bootstrap_alloc(n);
        resolve();
    }
    count(K_MALLOC, __builtin_return_address(0));
    return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (!real_free) {
        if (resolving)
            return size && n > SIZE_MAX / size ? NULL : bootstrap_alloc(n * size);
        resolve();
    }
    count(K_CALLOC, __builtin_return_address(0));
    return real_calloc(n, size);
}

void free(void *p)
{
    if (!p || from_bootstrap(p))
        return;
    if (!real_free)
        resolve();
    real_free(p);
}

static void *realloc_counted(void *p, size_t n, int kind, void *caller)
{
    if (!real_free) {
        if (resolving)
            return NULL;
        resolve();
    }
    count(kind, caller);
    if (from_bootstrap(p)) { /* moved out of the bootstrap buffer; its old size is unknown */
        void *q = real_malloc(n);
        size_t room = (size_t)(bootstrap + sizeof bootstrap - (unsigned char *)p);
        if (q)
            memcpy(q, p, n < room ? n : room);
        return q;
    }
    return real_realloc(p, n);
}

void *realloc(void *p, size_t n)
{
    return realloc_counted(p, n, K_REALLOC, __builtin_return_address(0));
}

/* Counted here and forwarded to realloc's real definition (glibc's own reallocarray would call
 * the interposed realloc and count twice). */
void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc_counted(p, n * size, K_REALLOCARRAY, __builtin_return_address(0));
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (!real_free)
        resolve();
    count(K_POSIX_MEMALIGN, __builtin_return_address(0));
    return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    if (!real_free)
        resolve();
    count(K_ALIGNED_ALLOC, __builtin_return_address(0));
    return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
    if (!real_free)
        resolve();
    count(K_MEMALIGN, __builtin_return_address(0));
    return real_memalign(align, n);
}

void *valloc(size_t n)
{
    if (!real_free)
        resolve();
    count(K_VALLOC, __builtin_return_address(0));
    return real_valloc(n);
}

void *pvalloc(size_t n)
{
    if (!real_free)
        resolve();
    count(K_PVALLOC, __builtin_return_address(0));
    return real_pvalloc(n);
}

/* ---- the report --------------------------------------------------------------------------------- */

static void say(int fd, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    if (write(fd, line, (size_t)n) < 0) {
    }
}

/* At exit: the atexit handlers have run by then, and a preloaded object is finalized after the
 * program and the libraries it loaded. */
__attribute__((destructor)) static void count_alloc_report(void)
{
    unsigned long snap[K_COUNT], total = 0;
    for (int k = 0; k < K_COUNT; k++)
        total += snap[k] = __atomic_load_n(&counts[k], __ATOMIC_RELAXED);
    const char *path = getenv("COUNT_ALLOC_OUT");
    int fd = 2, opened = 0;
    if (path && *path) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            fd = 2;
        else
            opened = 1;
    }
    char line[1024];
    int n = snprintf(line, sizeof line, "count_alloc pid=%ld total=%lu", (long)getpid(), total);
    for (int k = 0; k < K_COUNT && n > 0 && (size_t)n < sizeof line; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s=%lu", kind_names[k], snap[k]);
    say(fd, "%s\n", line);
    for (size_t i = 0; i < CALLERS; i++) {
        uintptr_t a = __atomic_load_n(&callers[i].addr, __ATOMIC_ACQUIRE);
        if (!a)
            continue;
        Dl_info info;
        const char *object = "?", *symbol = "?";
        uintptr_t offset = a;
        if (dladdr((void *)a, &info) && info.dli_fname) {
            object = *info.dli_fname ? info.dli_fname : "main";
            offset = a - (uintptr_t)info.dli_fbase;
            if (info.dli_sname)
                symbol = info.dli_sname;
        }
        say(fd, "count_alloc caller %s+0x%lx %s %lu\n", object, (unsigned long)offset, symbol,
            __atomic_load_n(&callers[i].count, __ATOMIC_RELAXED));
    }
    if (callers_lost)
        say(fd, "count_alloc caller (table full) ? %lu\n", callers_lost);
    say(fd, "count_alloc end\n");
    if (opened)
        close(fd);
}
