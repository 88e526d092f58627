/* main.c: the netc command: check, gen, build, export, dot, layers, words (sweep: sweep.c).
 *
 * Exit status: 0 success, 1 an error in the .net file, the command line or a file it names
 * (export's weights and cases), 2 a failure outside the user's files (cannot write the output,
 * the C compiler failed). */
#define _GNU_SOURCE /* realpath, memrchr */
#include "export.h"
#include "ops/train.h"
#include "outfile.h"
#include "sweep.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The C compiler's flags when CFLAGS is not set. The trainer is built on the machine that runs
 * it (-march=native), and its loops must vectorize:
 * -fno-math-errno: the generated code never reads errno, and without it GCC keeps sqrtf scalar
 *   (to set errno), which made Adam's update a third of the epoch;
 * -fno-trapping-math: nor does it read floating-point exception flags, and without it GCC keeps
 *   scalar, on AVX2 (no masked operations), every loop that computes on a clamped value, such as
 *   netrt_expf's: sigmoid, tanh, SiLU, GELU, softmax, which made row D's step 1.8 times as long
 *   on an AVX2 machine (docs/performance.md). */
#define DEFAULT_CFLAGS "-O3 -march=native -fno-math-errno -fno-trapping-math"

extern char **environ;

static const char usage[] =
    "usage: netc check FILE.net                 validate; print layers, shapes, parameters, FLOPs\n"
    "       netc gen   FILE.net [-o OUT.c]      write the trainer's C source (default: MODEL.c,\n"
    "                                           '-o -' for standard output)\n"
    "       netc build FILE.net [-o TRAINER]    generate and compile the trainer (default: ./MODEL,\n"
    "                                           its source kept beside it as TRAINER.c)\n"
    "       netc sweep FILE.net --set NAME=V1,V2,… [--repeat K] [--out DIR] …\n"
    "                                           train every combination of let values; a table\n"
    "                                           and curves in DIR ('netc sweep --help')\n"
    "       netc dot   FILE.net [-o OUT.dot]    the network as a Graphviz graph, with shapes\n"
    "                                           (default: standard output)\n"
    "       netc export FILE.net --weights W.safetensors [-o NAME.c]\n"
    "                                           inference-only C99 (NAME.c and NAME.h, default\n"
    "                                           NAME: the model's name) with the trained weights\n"
    "                                           inside: NAME_predict(x, y); no runtime, only libm\n"
    "       netc layers                         every kind of layer, with its options\n"
    "       netc words                          every word the language accepts, by kind\n"
    "options:\n"
    "  --dtype f32|f64      element type of the generated code (f64 for gradient checks)\n"
    "  --batch-max N        rows of every buffer: the largest batch the trainer accepts\n"
    "                       (default: the larger of the file's batch and 256)\n"
    "  -D NAME=VALUE        replace the value of 'let NAME' in the file: any value a let\n"
    "                       takes (-D lr=1e-3, -D act=gelu, -D w_init=normal(0.01))\n"
    "  -v, --verbose        build: print the C compiler's command before running it\n"
    "  --mpi                gen, build: a trainer that runs as the ranks of a data-parallel\n"
    "                       run under mpirun, linked with MPI (docs/distributed.md)\n"
    "export:\n"
    "  --weights FILE       the trained weights, as the trainer's --save wrote them\n"
    "  --mean M --std S     the input normalization the trainer measured (normalize = true\n"
    "                       without mean and std in the file); CSV or function data: one\n"
    "                       value per input column, comma-separated\n"
    "  --self-test CASES.csv  embed these cases (each a row: the inputs, then the trainer's\n"
    "                       outputs) and a main() that checks them (cc -DNETC_SELF_TEST)\n"
    "  -h, --help           this text;  --version  the version\n"
    "environment (build): CC (default cc), CFLAGS (default " DEFAULT_CFLAGS ")\n";

typedef struct {
    const char *command; /* check, gen, build */
    const char *input;
    const char *output;
    EmitOptions emit;
    const char *defines[64]; /* NAME=VALUE, as given */
    int ndefines;
    bool verbose;            /* -v: build prints the C compiler's command */
    ExportOptions exp;       /* export's own options */
    const char *mean_text, *std_text;
} Options;

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "netc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 1;
}

/* --mean/--std: finite numbers, comma-separated. */
static bool parse_numbers(const char *option, const char *text, double *out, int *n)
{
    const char *p = text;
    *n = 0;
    for (;;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || (*end && *end != ',')) {
            fprintf(stderr, "netc: %s takes numbers separated by commas, got '%s'\n", option, text);
            return false;
        }
        if (*n == EXPORT_MAX_STATS) {
            fprintf(stderr, "netc: %s: more than %d values\n", option, EXPORT_MAX_STATS);
            return false;
        }
        out[(*n)++] = v;
        if (!*end)
            return true;
        p = end + 1;
    }
}

static int parse_args(int argc, char **argv, Options *o)
{
    if (argc < 2)
        return fail_usage("no command given%s", "");
    o->command = argv[1];
    if (strcmp(o->command, "check") && strcmp(o->command, "gen") && strcmp(o->command, "build") &&
        strcmp(o->command, "dot") && strcmp(o->command, "export")) {
        static const char *const commands[] = {"check", "gen", "build", "dot", "export", "sweep",
                                               NULL};
        const char *guess = suggest(o->command, commands);
        if (guess) {
            fprintf(stderr, "netc: unknown command '%s'; did you mean '%s'?\n", o->command, guess);
            return 1;
        }
        return fail_usage("unknown command '%s'", o->command);
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool export_option = !strcmp(a, "--weights") || !strcmp(a, "--self-test") ||
                             !strcmp(a, "--mean") || !strcmp(a, "--std");
        if (export_option && strcmp(o->command, "export"))
            return fail_usage("%s is an option of netc export", a);
        if (export_option) {
            if (i + 1 >= argc)
                return fail_usage("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--weights"))
                o->exp.weights = v;
            else if (!strcmp(a, "--self-test"))
                o->exp.self_test = v;
            else if (!strcmp(a, "--mean"))
                o->mean_text = v;
            else
                o->std_text = v;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--dtype") || !strcmp(a, "--batch-max")) {
            if (i + 1 >= argc)
                return fail_usage("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "-o")) {
                o->output = v;
            } else if (!strcmp(a, "--dtype")) {
                if (strcmp(v, "f32") && strcmp(v, "f64"))
                    return fail_usage("--dtype takes f32 or f64, got '%s'", v);
                o->emit.f64 = !strcmp(v, "f64");
            } else {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 1 << 16)
                    return fail_usage("--batch-max takes a whole number in [1, 65536], got '%s'", v);
                o->emit.batch_max = (int)n;
            }
        } else if (!strncmp(a, "-D", 2)) {
            const char *d = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
            if (!d || !strchr(d, '=') || d[0] == '=')
                return fail_usage("-D takes NAME=VALUE, e.g. -D width=128%s", "");
            if (o->ndefines == (int)(sizeof o->defines / sizeof o->defines[0]))
                return fail_usage("too many -D%s", "");
            o->defines[o->ndefines++] = d;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(a, "--mpi")) {
            o->emit.mpi = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return fail_usage("unknown option '%s'", a);
        } else if (o->input) {
            return fail_usage("one .net file at a time; '%s' is a second one", a);
        } else {
            o->input = a;
        }
    }
    if (!o->input)
        return fail_usage("%s needs a .net file", o->command);
    if (!strcmp(o->command, "export")) {
        if (!o->exp.weights)
            return fail_usage("export needs the trained weights: --weights FILE (the trainer's "
                              "--save)%s", "");
        if (o->emit.f64 || o->emit.batch_max || o->emit.mpi)
            return fail_usage("export writes float code for one sample at a time: --dtype, "
                              "--batch-max and --mpi do not apply%s", "");
        if ((o->mean_text && !parse_numbers("--mean", o->mean_text, o->exp.mean, &o->exp.nmean)) ||
            (o->std_text && !parse_numbers("--std", o->std_text, o->exp.std, &o->exp.nstd)))
            return 1;
    }
    return 0;
}

static char *concat(Arena *arena, const char *x, const char *y)
{
    size_t nx = strlen(x), ny = strlen(y);
    char *s = arena_alloc(arena, nx + ny + 1);
    memcpy(s, x, nx);
    memcpy(s + nx, y, ny + 1);
    return s;
}

/* The file's base name without its extension: models/fmnist_mlp.net → fmnist_mlp */
static char *base_name(Arena *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return arena_strndup(arena, base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

/* An output must not overwrite the model it comes from, and a trainer (made by the linker, which
 * replaces what it finds) must not take the place of a device, a pipe or a directory. */
static bool output_allowed(const char *input, const char *out, bool trainer)
{
    if (netrt_same_file(input, out)) {
        fprintf(stderr, "netc: %s is the model file itself: writing it would lose the model; "
                        "name another output with -o\n", out);
        return false;
    }
    struct stat st;
    if (trainer && stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "netc: %s exists and is not a regular file; the trainer needs a file of "
                        "its own (-o)\n", out);
        return false;
    }
    return true;
}

/* Write the C file to `path` (outfile.h: a regular file is replaced only once complete, a device
 * or a link is written through), or to standard output for "-". */
static bool write_c(const char *path, const Source *src, const Net *net, const Ir *ir,
                    const EmitOptions *opt)
{
    if (!strcmp(path, "-"))
        return emit_c(stdout, src, net, ir, opt) && fflush(stdout) == 0;
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        fprintf(stderr, "netc: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    if (!emit_c(out.f, src, net, ir, opt)) {
        netrt_out_abort(&out);
        fprintf(stderr, "netc: cannot write %s: %s; nothing written\n", path, strerror(errno));
        return false;
    }
    if (netrt_out_commit(&out, false) != 0) {
        fprintf(stderr, "netc: cannot write %s: %s; nothing written\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* An export's output (NAME.c or NAME.h) must be a file of its own: not one of its inputs (the
 * model, the weights, the self-test cases), not a directory or a device. */
static bool export_output_allowed(const Options *o, const char *out)
{
    const char *inputs[] = {o->input, o->exp.weights, o->exp.self_test};
    const char *what[] = {"the model file", "the weights file", "the self-test file"};
    for (int i = 0; i < 3; i++)
        if (inputs[i] && netrt_same_file(inputs[i], out)) {
            fprintf(stderr, "netc: %s is %s itself: writing it would lose it; name another "
                    "output with -o\n", out, what[i]);
            return false;
        }
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "netc: %s exists and is not a regular file; the exported %s needs a file "
                "of its own (-o NAME.c)\n", out, strrchr(out, '.') && !strcmp(strrchr(out, '.'), ".h")
                ? "header" : "source");
        return false;
    }
    return true;
}

/* netc export: NAME.c and NAME.h from the model and its weights (export.c). */
static int run_export(Options *o, Arena *arena, const Source *src, const Net *net, const Ir *ir)
{
    const char *c_path = o->output ? o->output : concat(arena, net->name, ".c");
    size_t len = strlen(c_path);
    if (!strcmp(c_path, "-") || len < 3 || strcmp(c_path + len - 2, ".c") || c_path[len - 3] == '/') {
        fprintf(stderr, "netc: export writes NAME.c and NAME.h beside it: -o takes a file name "
                "ending in .c, got '%s'\n", c_path);
        return 1;
    }
    char *base = base_name(arena, c_path);
    bool identifier = !isdigit((unsigned char)base[0]);
    for (const char *p = base; *p; p++)
        identifier &= isalnum((unsigned char)*p) || *p == '_';
    if (!identifier) {
        fprintf(stderr, "netc: export: '%s' names the functions (%s_predict), so it must be a C "
                "identifier: letters, digits and '_', not first a digit\n", base, base);
        return 1;
    }
    char *h_path = arena_strndup(arena, c_path, len);
    h_path[len - 1] = 'h';
    const char *slash = strrchr(h_path, '/');
    o->exp.c_path = c_path;
    o->exp.h_path = h_path;
    o->exp.h_include = slash ? slash + 1 : h_path;
    o->exp.name = base;
    if (!export_output_allowed(o, c_path) || !export_output_allowed(o, h_path))
        return 1;
    /* the command as the header comment records it */
    char *command = "netc export";
    for (int i = 0; i < o->ndefines; i++)
        command = concat(arena, concat(arena, command, " -D "), o->defines[i]);
    command = concat(arena, concat(arena, command, " "), o->input);
    command = concat(arena, concat(arena, command, " --weights "), o->exp.weights);
    if (o->mean_text)
        command = concat(arena, concat(arena, command, " --mean "), o->mean_text);
    if (o->std_text)
        command = concat(arena, concat(arena, command, " --std "), o->std_text);
    if (o->exp.self_test)
        command = concat(arena, concat(arena, command, " --self-test "), o->exp.self_test);
    o->exp.command = command;
    return export_model(src, net, ir, &o->exp);
}

/* Split a string at spaces into argv entries (CC="ccache gcc", CFLAGS="-O2 -g"). */
static int split_words(char *s, char **argv, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t\n"); tok && n < max; tok = strtok(NULL, " \t\n"))
        argv[n++] = tok;
    return n;
}

/* The runtime a trainer links: the one beside an installed netc (BIN/../lib/netc/libnetrt.a,
 * BIN/../include/netc/netrt.h, as `cmake --install` lays them out), else this build tree's. */
typedef struct {
    char include[PATH_MAX], library[PATH_MAX];
    char mpi_library[PATH_MAX]; /* libnetrt_mpi.a, for --mpi; "" when netc was built without MPI */
} RuntimePaths;

static RuntimePaths runtime_paths(void)
{
    RuntimePaths r;
    snprintf(r.include, sizeof r.include, "%s", NETRT_INCLUDE_DIR);
    snprintf(r.library, sizeof r.library, "%s", NETRT_LIBRARY);
    snprintf(r.mpi_library, sizeof r.mpi_library, "%s", NETRT_MPI_LIBRARY);
    char bin[PATH_MAX], lib[PATH_MAX + 32], include[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", bin, sizeof bin - 1);
    char *slash = n > 0 ? memrchr(bin, '/', (size_t)n) : NULL;
    if (!slash)
        return r;
    *slash = '\0';
    snprintf(lib, sizeof lib, "%s/../lib/netc/libnetrt.a", bin);
    snprintf(include, sizeof include, "%s/../include/netc/netrt.h", bin);
    char real_lib[PATH_MAX], real_include[PATH_MAX];
    if (realpath(lib, real_lib) && realpath(include, real_include)) {
        *strrchr(real_include, '/') = '\0'; /* the header's folder */
        memcpy(r.library, real_lib, sizeof r.library);
        memcpy(r.include, real_include, sizeof r.include);
        char mpi_lib[PATH_MAX + 32];
        snprintf(mpi_lib, sizeof mpi_lib, "%s/../lib/netc/libnetrt_mpi.a", bin);
        if (r.mpi_library[0] && !realpath(mpi_lib, r.mpi_library))
            r.mpi_library[0] = '\0';
    }
    return r;
}

/* A command as a shell would take it back: words with spaces or quotes in single quotes. */
static void print_command(FILE *f, char *const *argv)
{
    for (int i = 0; argv[i]; i++) {
        const char *w = argv[i];
        fputs(i ? " " : "  ", f);
        if (*w && !w[strcspn(w, " \t\n'\"\\$`*?;&|<>()")]) {
            fputs(w, f);
            continue;
        }
        fputc('\'', f);
        for (; *w; w++)
            fputs(*w == '\'' ? "'\\''" : (char[]){*w, 0}, f);
        fputc('\'', f);
    }
    fputc('\n', f);
}

static int compile_trainer(const char *c_path, const char *exe, bool verbose, bool mpi)
{
    enum { MAX_ARGS = 256 };
    char *argv[MAX_ARGS];
    int n = 0;
    const char *cc = getenv("CC");
    const char *cflags = getenv("CFLAGS");
    char *cc_copy = strdup(cc && *cc ? cc : "cc");
    char *flags_copy = strdup(cflags ? cflags : DEFAULT_CFLAGS);
    char *libs_copy = strdup(NETC_LINK_LIBS);
    char *mpi_libs_copy = strdup(NETC_MPI_LINK_LIBS);
    if (!cc_copy || !flags_copy || !libs_copy || !mpi_libs_copy) {
        fprintf(stderr, "netc: out of memory\n");
        return 2;
    }
    n += split_words(cc_copy, argv + n, 8);
    n += split_words(flags_copy, argv + n, MAX_ARGS - 32 - n);
    RuntimePaths runtime = runtime_paths();
    const char *fixed[] = {"-std=c11", "-I", runtime.include, "-I", NETC_CBLAS_INCLUDE_DIR,
                           "-o", exe, c_path};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = (char *)fixed[i];
    /* --mpi: netrt_main_mpi's library before the runtime it calls, MPI's after the rest */
    if (mpi)
        argv[n++] = runtime.mpi_library;
    argv[n++] = runtime.library;
    n += split_words(libs_copy, argv + n, MAX_ARGS - 1 - 16 - n);
    if (mpi)
        n += split_words(mpi_libs_copy, argv + n, MAX_ARGS - 1 - n);
    argv[n] = NULL;

    if (verbose) {
        print_command(stdout, argv);
        fflush(stdout);
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    int status = 0;
    if (rc != 0)
        fprintf(stderr, "netc: cannot run the C compiler '%s': %s (set CC to choose one)\n",
                argv[0], strerror(rc));
    else if (waitpid(pid, &status, 0) < 0)
        rc = errno;
    if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        if (WIFEXITED(status))
            fprintf(stderr, "netc: the C compiler failed on %s (exit %d); the command was:\n",
                    c_path, WEXITSTATUS(status));
        else
            fprintf(stderr, "netc: the C compiler failed on %s (signal %d); the command was:\n",
                    c_path, WTERMSIG(status));
        print_command(stderr, argv);
        rc = -1;
    }
    free(cc_copy);
    free(flags_copy);
    free(libs_copy);
    free(mpi_libs_copy);
    return rc != 0 ? 2 : 0;
}

/* A value parsed from -D number k: its locations say so (netc.h, Source.defines), their
 * columns counted in the -D's NAME=VALUE. */
static void mark_define(Value *v, int k)
{
    for (; v; v = v->next) {
        v->loc.first_line = v->loc.last_line = -(k + 1);
        v->loc.first_column -= DEFINE_PREFIX;
        v->loc.last_column -= DEFINE_PREFIX;
        mark_define(v->args, k);
    }
}

/* -D NAME=VALUE: VALUE is anything a let takes (a number, a name, a call such as normal(0.01),
 * a size, a string, a list, an expression), parsed by the grammar itself as "let NAME=VALUE";
 * its errors name the -D and quote it. Each NAME once. */
bool parse_defines(const char *const *defines, int n, const char *flag, Arena *arena,
                   Define *out)
{
    bool ok = true;
    for (int i = 0; i < n; i++) {
        const char *d = defines[i], *eq = strchr(d, '=');
        char *text = concat(arena, "let ", d);
        Source src;
        if (!source_from_memory(&src, "-D", text, strlen(text))) {
            fprintf(stderr, "netc: out of memory\n");
            return false;
        }
        src.define = d;
        src.define_flag = flag;
        src.keep_going = true;
        const Stmt *let = parse_source(&src, arena);
        size_t name_len = (size_t)(eq - d);
        if (!src.nerrors && (!let || let->kind != STMT_LET || let->next ||
                             strlen(let->name) != name_len || strncmp(let->name, d, name_len))) {
            /* the grammar read something else than one let of NAME (a '#' in the value) */
            fprintf(stderr, "netc: %s %s: expected NAME=VALUE, one value\n", flag ? flag : "-D", d);
            src.nerrors++;
        }
        int nerrors = src.nerrors;
        source_free(&src);
        if (nerrors) {
            ok = false;
            continue;
        }
        mark_define(let->value, i);
        out[i].name = let->name;
        out[i].value = let->value;
        for (int j = 0; j < i; j++)
            if (!strcmp(out[j].name, out[i].name)) {
                fprintf(stderr, "netc: %s %s: '%s' is already set by %s %s\n", flag ? flag : "-D",
                        d, out[i].name, flag ? flag : "-D", defines[j]);
                return false;
            }
    }
    return ok;
}

/* ---- netc check: every setting in force ------------------------------------------------------ */

/* An initialization as the docs write it: he_normal, normal(0, 0.01), torch's default. */
static const char *init_text(char *buf, size_t size, Init in)
{
    static const char *const words[] = {
        [INIT_ZEROS] = "zeros", [INIT_CONSTANT] = "constant", [INIT_NORMAL] = "normal",
        [INIT_UNIFORM] = "uniform", [INIT_XAVIER_UNIFORM] = "xavier_uniform",
        [INIT_XAVIER_NORMAL] = "xavier_normal", [INIT_HE_UNIFORM] = "he_uniform",
        [INIT_HE_NORMAL] = "he_normal", [INIT_LECUN_UNIFORM] = "lecun_uniform",
        [INIT_LECUN_NORMAL] = "lecun_normal", [INIT_TORCH] = "torch's default U(±1/√fan_in)",
    };
    if (in.kind == INIT_CONSTANT)
        snprintf(buf, size, "constant(%g)", in.a);
    else if (in.kind == INIT_NORMAL || in.kind == INIT_UNIFORM)
        snprintf(buf, size, "%s(%g, %g)", words[in.kind], in.a, in.b);
    else
        snprintf(buf, size, "%s", words[in.kind]);
    return buf;
}

/* The settings of one descriptor's table with their values in force: "lr 0.01, eps 1e-08".
 * Settings the table checks by a function of its own are printed by the caller. */
static void print_specs(const Net *net, const SettingSpec *specs)
{
    const char *sep = "";
    for (const SettingSpec *s = specs; s->key; s++) {
        const char *field = (const char *)net + s->offset;
        switch (s->type) {
        case SET_INT: printf("%s%s %d", sep, s->key, *(const int *)field); break;
        case SET_LONG: printf("%s%s %lld", sep, s->key, *(const long long *)field); break;
        case SET_NUMBER:
        case SET_PART: {
            double x = *(const double *)field;
            bool off = x == 0 && !strncmp(s->key, "clip_", 5);
            printf("%s%s %g%s", sep, s->key, x, off ? " (off)" : "");
            break;
        }
        case SET_BOOL: printf("%s%s %s", sep, s->key, *(const bool *)field ? "true" : "false"); break;
        case SET_STRING: printf("%s%s \"%s\"", sep, s->key, *(const char *const *)field); break;
        case SET_CUSTOM:
        case SET_BLOCK: continue;
        }
        sep = ", ";
    }
}

static void print_settings(const Net *net)
{
    char buf[96];
    printf("initialization:\n");
    for (int i = 0; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i];
        OpTensor t[OP_MAX_TENSORS];
        int n = op_tensors(l, t);
        bool any = false;
        for (int k = 0; k < n; k++) {
            if (t[k].buffer)
                continue;
            if (!any)
                printf("  %-12s ", l->name);
            printf("%s%s %s", any ? ", " : "", t[k].torch, init_text(buf, sizeof buf, t[k].init));
            any = true;
        }
        if (any && l->weight_decay >= 0)
            printf(" (weight_decay %g)", l->weight_decay);
        if (any)
            printf("\n");
    }
    printf("loss %s (torch.nn.%s)", net->loss_name, net->loss->torch);
    if (net->loss->settings[0].key) {
        printf(": ");
        print_specs(net, net->loss->settings);
        for (const SettingSpec *t = net->loss->settings; t->key; t++)
            if (!strcmp(t->key, "reduction"))
                printf("%sreduction %s", t == net->loss->settings ? "" : ", ",
                       net->loss_sum ? "sum (over the outputs; mean over the batch)" : "mean");
    }
    printf("\noptimizer %s (torch.optim.%s): ", net->optimizer->word, net->optimizer->torch);
    print_specs(net, net->optimizer->settings);
    printf("\nschedule %s", net->schedule->word);
    if (net->schedule->settings[0].key) {
        printf(": ");
        print_specs(net, net->schedule->settings);
        if (net->nmilestones) {
            printf("%smilestones (", net->schedule->settings[0].type == SET_CUSTOM ? "" : ", ");
            for (int i = 0; i < net->nmilestones; i++)
                printf("%s%d", i ? ", " : "", net->milestones[i]);
            printf(")");
        }
        printf(", per %s", net->schedule_per_step ? "step" : "epoch");
    }
    char batch[16] = "full";
    if (net->batch)
        snprintf(batch, sizeof batch, "%d", net->batch);
    char epochs[48] = "no limit (max_steps bounds the run)";
    if (net->epochs)
        snprintf(epochs, sizeof epochs, "%d", net->epochs);
    printf("\ntrain: epochs %s, batch %s, seed %lld\n", epochs, batch, net->seed);
    printf("stopping: ");
    const char *sep = "";
    if (net->max_steps)
        printf("after %lld steps", net->max_steps), sep = "; ";
    if (net->loss_below > 0)
        printf("%swhen the training loss is below %g", sep, net->loss_below), sep = "; ";
    if (net->patience)
        printf("%searly_stop after %d epochs without a better %s", sep, net->patience,
               net->monitor_acc ? "valid_acc" : "valid_loss"), sep = "; ";
    printf("%s%s; keep_best %s", sep, *sep ? "else after the last epoch" : "after the last epoch",
           net->keep_best ? net->monitor_acc ? "true (by valid_acc)" : "true (by valid_loss)"
                          : "false");
    printf("\ndata %s: valid %g, test %g, normalize %s", check_data_word(net->data), net->valid,
           net->test, net->normalize ? "true" : "false");
    if (net->normalize && net->data != DATA_FUNCTION && net->data != DATA_CSV) {
        if (net->std)
            printf(" (mean %g, std %g)", net->mean, net->std);
        else
            printf(" (mean and std of the training set)");
    }
    if (net->data != DATA_FUNCTION && net->data != DATA_CSV)
        printf("; augment: flip %s, rotate %g, shift %g", net->flip ? "horizontal" : "none",
               net->rotate, net->shift);
    printf("\n");
}

static void print_summary(const Source *src, const Net *net, const Ir *ir)
{
    char n1[32], n2[32], n3[32], shape[48];
    printf("model %s (%s)\n", net->name, src->path);
    printf("  %-12s %-11s %-14s %12s %14s\n", "layer", "kind", "output", "parameters",
           "FLOPs/sample");
    for (int i = 0; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i];
        net_shape_text(l, shape, sizeof shape);
        long long params = op_param_count(l), flops = l->op->flops ? l->op->flops(l) : 0;
        printf("  %-12s %-11s %-14s %12s %14s\n", l->name, l->word, shape,
               fmt_count(n1, params), fmt_count(n2, flops));
    }
    printf("  %-12s %-11s %-14s %12s %14s forward, %s per training step\n", "total", "", "",
           fmt_count(n1, ir->nparams), fmt_count(n2, ir->flops_forward),
           fmt_count(n3, ir->flops_train));
    print_settings(net);
}

/* ---- netc dot: the network as a Graphviz graph -------------------------------------------------- */

/* One node per op the trainer runs: a layer, with the activation fused into it ("dense1 + relu1"),
 * its kind as written, its output shape and its parameters; then the loss. */
static void write_dot(FILE *f, const Source *src, const Net *net)
{
    char shape[48], count[32];
    fprintf(f, "// netc dot %s\n", src->path);
    fprintf(f, "digraph \"%s\" {\n", net->name);
    fprintf(f, "  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", "
               "fontname=\"Helvetica\"];\n\n");
    fprintf(f, "  label=\"model %s\";\n  labelloc=t;\n  fontname=\"Helvetica\";\n", net->name);
    const char *prev = NULL;
    for (int i = 0; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i], *act = NULL;
        if (l->op->fuses_activation && i + 1 < net->nlayers && net->layers[i + 1].op->activation)
            act = &net->layers[++i];
        const NetLayer *last = act ? act : l;
        net_shape_text(last, shape, sizeof shape);
        long long params = op_param_count(l);
        fprintf(f, "  %s [label=\"%s%s%s", l->name, l->name, act ? " + " : "",
                act ? act->name : "");
        if (!l->op->is_input)
            fprintf(f, "\\n%s", l->word);
        if (l->op->arg == ARG_SIZE && !l->op->is_input)
            fprintf(f, " %d", l->out_shape[0]);
        if (l->kernel)
            fprintf(f, " %dx%d%s", l->kernel, l->kernel, l->op->arg == ARG_SIZE ? " kernel" : "");
        if (l->stride > 1 && l->op->arg == ARG_SIZE)
            fprintf(f, " stride %d", l->stride);
        if (act)
            fprintf(f, " + %s", act->word);
        fprintf(f, "\\n%s", shape);
        if (params)
            fprintf(f, "\\n%s parameters", fmt_count(count, params));
        fprintf(f, "\"%s];\n", l->op->is_input ? ", shape=box, style=filled, fillcolor=\"#f4f4f4\""
                              : act ? ", fillcolor=\"#dce8f8\"" : "");
        if (prev)
            fprintf(f, "  %s -> %s;\n", prev, l->name);
        prev = l->name;
    }
    fprintf(f, "  loss [label=\"loss %s\", shape=ellipse, fillcolor=\"#fbeee6\"];\n", net->loss_name);
    if (prev)
        fprintf(f, "  %s -> loss;\n", prev);
    fprintf(f, "}\n");
}

static int dot_command(const Options *o, const Source *src, const Net *net)
{
    if (!o->output || !strcmp(o->output, "-")) {
        write_dot(stdout, src, net);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2;
    }
    if (!output_allowed(o->input, o->output, false))
        return 1;
    FILE *f = fopen(o->output, "w");
    if (!f) {
        fprintf(stderr, "netc: cannot write %s: %s\n", o->output, strerror(errno));
        return 2;
    }
    write_dot(f, src, net);
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "netc: cannot write %s: %s\n", o->output, strerror(errno));
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "layers")) {
        printf("layers (docs/language.md):\n");
        op_print_reference(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    if (argc == 2 && !strcmp(argv[1], "words")) { /* for tests/docs and editors/ */
        check_print_words(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("netc %s\nruntime: %s\n", NETC_VERSION, runtime_paths().library);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    if (argc >= 2 && !strcmp(argv[1], "sweep"))
        return sweep_main(argc, argv);
    Options o = {0};
    if (parse_args(argc, argv, &o))
        return 1;

    Source src;
    if (!source_load(&src, o.input))
        return 1;
    Arena *arena = arena_new();
    src.defines = o.defines;
    Stmt *prog = parse_source(&src, arena);
    Net net;
    Define defines[64];
    if (!parse_defines(o.defines, o.ndefines, NULL, arena, defines)) {
        arena_free(arena);
        source_free(&src);
        return 1;
    }
    int status = 0;
    /* after syntax errors too the checker runs, over what parsed, so that one run shows every
     * error (netc.h: what a syntax error took is marked, and the checker leaves it alone) */
    bool ok = check_program(&src, arena, prog, defines, o.ndefines, &net);
    Ir ir = {0};
    if (ok) { /* the file means something; then its trainer's buffers must fit */
        ir = ir_lower(&net, arena);
        ok = ir_check_storage(&src, &ir, emit_batch_max(&net, &o.emit), o.emit.f64 ? 8 : 4);
    }
    source_flush(&src); /* the file's messages, in source order, before anything else */
    if (!ok) {
        fprintf(stderr, "netc: %d error%s in %s; %s\n", src.nerrors, src.nerrors == 1 ? "" : "s",
                src.path, strcmp(o.command, "gen") && strcmp(o.command, "build") ? "not valid" : "no C written");
        status = 1;
        goto done;
    }

    if (!strcmp(o.command, "check")) {
        print_summary(&src, &net, &ir);
        goto done;
    }
    if (!strcmp(o.command, "dot")) {
        status = dot_command(&o, &src, &net);
        goto done;
    }
    if (!strcmp(o.command, "export")) {
        status = run_export(&o, arena, &src, &net, &ir);
        goto done;
    }

    /* the command as the header comment records it: only what changes the output */
    char batch_opt[32] = "";
    if (o.emit.batch_max)
        snprintf(batch_opt, sizeof batch_opt, " --batch-max %d", o.emit.batch_max);
    char *command = concat(arena, o.emit.f64 ? "netc gen --dtype f64" : "netc gen", batch_opt);
    if (o.emit.mpi)
        command = concat(arena, command, " --mpi");
    for (int i = 0; i < o.ndefines; i++)
        command = concat(arena, concat(arena, command, " -D "), o.defines[i]);
    o.emit.command = concat(arena, concat(arena, command, " "), o.input);

    char *base = base_name(arena, o.input);
    if (!strcmp(o.command, "gen")) {
        const char *out = o.output ? o.output : concat(arena, base, ".c");
        if (strcmp(out, "-") && !output_allowed(o.input, out, false))
            status = 1;
        else if (!write_c(out, &src, &net, &ir, &o.emit))
            status = 2;
        goto done;
    }

    /* build: TRAINER.c beside TRAINER, then the C compiler */
    const char *exe = o.output ? o.output : base;
    if (!strcmp(exe, "-")) {
        fprintf(stderr, "netc: build writes a trainer file; '-o -' (standard output) is for gen\n");
        status = 1;
        goto done;
    }
    if (exe[0] == '-') /* a file name, never an option of the C compiler */
        exe = concat(arena, "./", exe);
    char *real = realpath(exe, NULL); /* a link: the file it names is the trainer, the link stays */
    if (real) {
        struct stat st;
        if (lstat(exe, &st) == 0 && S_ISLNK(st.st_mode))
            exe = concat(arena, real, "");
        free(real);
    }
    const char *c_path = concat(arena, exe, ".c");
    if (!output_allowed(o.input, exe, true) || !output_allowed(o.input, c_path, false)) {
        status = 1;
        goto done;
    }
    if (o.emit.mpi && !runtime_paths().mpi_library[0]) {
        fprintf(stderr, "netc: --mpi: this netc was built without MPI, so it has no libnetrt_mpi "
                "to link (Debian: apt-get install libopenmpi-dev, then build netc again)\n");
        status = 2;
        goto done;
    }
    if (!write_c(c_path, &src, &net, &ir, &o.emit)) {
        status = 2;
        goto done;
    }
    status = compile_trainer(c_path, exe, o.verbose, o.emit.mpi);
    if (status == 0)
        printf("%s%s\n", strchr(exe, '/') ? "" : "./", exe);

done:
    arena_free(arena);
    source_free(&src);
    return status;
}
