/* plot.c: the curves of a run as a PNG (--plot), drawn by gnuplot through a pipe.
 *
 * The page: the loss of train, valid and test against the epochs (log scale when every value is
 * above 0), then their accuracy (or, for regression, their MSE, log scale likewise), and for a
 * regression on `data function` a third panel: the model's y against f(x) over the interval.
 * (The training samples lie on f(x), so they would only hide it.) With --log-every, the training loss and metric of every N steps are a
 * thin line under the per-epoch points, at x = steps / steps per epoch.
 *
 * gnuplot reads the script and the data (inline datablocks) on its standard input and writes the
 * PNG to the temporary that outfile.h made beside the target; only a complete, checked PNG is
 * renamed over it (a device is written in place, never replaced). gnuplot's own messages go to a
 * temporary file, quoted in the error when it fails. gnuplot is found on PATH before training
 * (netrt_gnuplot), so that a missing one is said at once, not after an hour of training. */
#define _POSIX_C_SOURCE 200809L /* popen, mkstemp, sigaction */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netrt_internal.h"

int netrt_gnuplot(char *path, size_t size)
{
    const char *dirs = getenv("PATH");
    if (!dirs || !*dirs)
        dirs = "/usr/bin:/bin";
    while (*dirs) {
        size_t len = strcspn(dirs, ":");
        struct stat st;
        if (len > 0 && (size_t)snprintf(path, size, "%.*s/gnuplot", (int)len, dirs) < size &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return 0;
        dirs += len + (dirs[len] == ':');
    }
    path[0] = '\0';
    return -1;
}

/* text as a gnuplot string in single quotes, where a quote is written twice; a newline (which
 * would end the command) as a space. */
static void put_string(FILE *f, const char *text)
{
    fputc('\'', f);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputc('\'', f);
        fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
    }
    fputc('\'', f);
}

/* A value of the data: "?" (gnuplot's missing value) when not evaluated, or when it cannot be
 * drawn on a log axis. */
static void put_value(FILE *f, double v, int log_axis, double scale)
{
    if (!isfinite(v) || (log_axis && v <= 0))
        fprintf(f, " ?");
    else
        fprintf(f, " %.9g", v * scale);
}

/* Whether column `split` of the loss (metric 0) or metric (1) has a value somewhere, and whether
 * all of them are above 0 (a log axis can take them). */
typedef struct {
    int any, positive;
} Column;

static Column column(const NetrtPlotPoint *p, int n, int metric, int split)
{
    Column c = {0, 1};
    for (int i = 0; i < n; i++) {
        double v = metric ? p[i].metric[split] : p[i].loss[split];
        if (isfinite(v)) {
            c.any = 1;
            c.positive &= v > 0;
        }
    }
    return c;
}

static void put_block(FILE *f, const char *name, const NetrtPlotPoint *p, int n, int log_loss,
                      int log_metric, double metric_scale)
{
    fprintf(f, "%s << EOD\n", name);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%.9g", p[i].x);
        for (int s = 0; s < 3; s++)
            put_value(f, p[i].loss[s], log_loss, 1);
        for (int s = 0; s < 3; s++)
            put_value(f, p[i].metric[s], log_metric, metric_scale);
        fputc('\n', f);
    }
    fprintf(f, "EOD\n");
}

/* One panel: the per-step line of the training split, then a line with points per split that
 * has values. metric: 0 the loss (columns 2-4), 1 the metric (columns 5-7). */
static void put_panel(FILE *f, const NetrtPlot *p, int metric, const char *title, int log_axis)
{
    static const char *const names[] = {"train", "valid", "test"};
    static const char *const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
    fprintf(f, "set title ");
    put_string(f, title);
    fprintf(f, "\nset xlabel 'epoch'\n%s\n", log_axis ? "set logscale y" : "unset logscale y");
    /* the key where the curves are not: a loss and an MSE fall, an accuracy rises */
    fprintf(f, "set key %s right\n", metric && !p->regress ? "bottom" : "top");
    fprintf(f, "plot");
    const char *sep = " ";
    if (column(p->steps, p->n_steps, metric, 0).any) {
        fprintf(f, "%s$steps using 1:%d with lines lw 1 lc rgb '#9ecae1' title 'train, every %d "
                   "steps'", sep, 2 + 3 * metric, p->log_every);
        sep = ", \\\n    ";
    }
    for (int s = 0; s < 3; s++)
        if (column(p->epochs, p->n_epochs, metric, s).any) {
            /* points while they can be told apart, a line alone for long runs */
            fprintf(f, "%s$epochs using 1:%d with %s lw 2 lc rgb '%s' title '%s'", sep,
                    2 + 3 * metric + s, p->n_epochs <= 60 ? "linespoints pt 7 ps 0.6" : "lines",
                    colors[s], names[s]);
            sep = ", \\\n    ";
        }
    if (!strcmp(sep, " ")) /* nothing at all: an empty panel, not a gnuplot error */
        fprintf(f, " NaN notitle");
    fprintf(f, "\n");
}

/* The whole script, with its data, for gnuplot to write the PNG to output. */
static void put_script(FILE *f, const NetrtPlot *p, const char *output)
{
    int fit = p->n_grid > 0;
    int width = fit ? 1650 : 1200, height = 520;
    int log_loss = 1, log_metric = p->regress;
    for (int s = 0; s < 3; s++) {
        Column l = column(p->epochs, p->n_epochs, 0, s), m = column(p->epochs, p->n_epochs, 1, s);
        Column ls = column(p->steps, p->n_steps, 0, s), ms = column(p->steps, p->n_steps, 1, s);
        log_loss &= l.positive && ls.positive;
        log_metric &= m.positive && ms.positive;
    }
    double metric_scale = p->regress ? 1 : 100; /* accuracy in % */
    /* pngcairo draws smooth lines; the libgd png terminal is the fallback */
    fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
               "  set terminal pngcairo size %d,%d font 'Sans,10' noenhanced\n"
               "} else {\n"
               "  set terminal png size %d,%d noenhanced\n"
               "}\n", width, height, width, height);
    fprintf(f, "set output ");
    put_string(f, output);
    fprintf(f, "\nset datafile missing '?'\nset grid\nset format y '%%g'\n");
    put_block(f, "$epochs", p->epochs, p->n_epochs, log_loss, log_metric, metric_scale);
    put_block(f, "$steps", p->steps, p->n_steps, log_loss, log_metric, metric_scale);
    if (fit) {
        fprintf(f, "$grid << EOD\n");
        for (int i = 0; i < p->n_grid; i++) {
            fprintf(f, "%.9g", p->grid_x[i]);
            put_value(f, p->grid_true[i], 0, 1);
            put_value(f, p->grid_model[i], 0, 1);
            fputc('\n', f);
        }
        fprintf(f, "EOD\n");
    }
    fprintf(f, "set multiplot layout 1,%d title ", fit ? 3 : 2);
    put_string(f, p->title);
    fprintf(f, "\n");
    put_panel(f, p, 0, log_loss ? "loss (log scale)" : "loss", log_loss);
    if (p->regress)
        put_panel(f, p, 1, log_metric ? "MSE (log scale)" : "MSE", log_metric);
    else
        put_panel(f, p, 1, "accuracy (%)", 0);
    if (fit) {
        fprintf(f, "unset logscale y\nset xlabel 'x'\nset title ");
        char title[512];
        snprintf(title, sizeof title, "the model against y = %s", p->expr ? p->expr : "f(x)");
        put_string(f, title);
        fprintf(f, "\nset key top left\n"
                   "plot $grid using 1:2 with lines lw 3 lc rgb '#2ca02c' title 'f(x)', \\\n"
                   "    $grid using 1:3 with lines lw 2 dt 2 lc rgb '#d62728' title 'model'\n");
    }
    fprintf(f, "unset multiplot\nset output\n");
}

/* Whether path holds a PNG: its signature and an IHDR chunk first. */
static int is_png(const char *path)
{
    static const unsigned char sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && !memcmp(head, sig, 8) && !memcmp(head + 12, "IHDR", 4);
}

/* The first line of what gnuplot said (in log), for the error message. */
static void first_message(const char *log, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* gnuplot repeats the offending command and a caret line before the message */
        if (line[strspn(line, " ^")] != '\0' && strstr(line, "error")) {
            snprintf(out, size, ": %s", line + strspn(line, " "));
            break;
        }
        if (!out[0] && line[strspn(line, " ^")] != '\0')
            snprintf(out, size, ": %s", line + strspn(line, " "));
    }
    fclose(f);
}

int netrt_plot_write(const char *path, const NetrtPlot *plot, NetrtErr *err)
{
    char gnuplot[NETRT_PATH_MAX];
    if (netrt_gnuplot(gnuplot, sizeof gnuplot) < 0) {
        netrt_err(err, "--plot %s: gnuplot is not installed, so no picture was drawn", path);
        netrt_err_hint(err, "install it (Debian: apt-get install gnuplot-nox), then run again");
        return -1;
    }
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0)
        return netrt_err(err, "--plot %s: %s", path, strerror(errno));
    const char *target = out.tmp ? out.tmp : out.path;
    char log[] = "/tmp/netrt-gnuplot-XXXXXX";
    int log_fd = mkstemp(log);
    if (log_fd < 0) {
        netrt_out_abort(&out);
        return netrt_err(err, "--plot %s: a temporary file for gnuplot's messages: %s", path,
                         strerror(errno));
    }
    close(log_fd);
    /* the command: gnuplot by its full path, quoted for the shell, its messages into log */
    char command[3 * NETRT_PATH_MAX];
    size_t used = 0;
    command[used++] = '\'';
    for (const char *c = gnuplot; *c && used + 8 < sizeof command / 2; c++) {
        if (*c == '\'') {
            memcpy(command + used, "'\\''", 4);
            used += 4;
        } else {
            command[used++] = *c;
        }
    }
    snprintf(command + used, sizeof command - used, "' 2>'%s'", log);
    /* a gnuplot that dies early must not take the trainer with it by SIGPIPE */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, saved;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &saved);
    fflush(NULL);
    FILE *pipe = popen(command, "w");
    int status = -1;
    if (pipe) {
        put_script(pipe, plot, target);
        status = pclose(pipe);
    }
    sigaction(SIGPIPE, &saved, NULL);
    int drawn = pipe && status == 0 && (!out.tmp || is_png(out.tmp));
    if (!drawn) {
        char said[600];
        first_message(log, said, sizeof said);
        unlink(log);
        netrt_out_abort(&out);
        if (!pipe)
            return netrt_err(err, "--plot %s: cannot run %s: %s", path, gnuplot, strerror(errno));
        if (status != 0)
            return netrt_err(err, "--plot %s: gnuplot failed (%s %d)%s", path,
                             WIFEXITED(status) ? "exit status" : "signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), said);
        return netrt_err(err, "--plot %s: gnuplot wrote no PNG%s", path, said);
    }
    unlink(log);
    /* nothing went through out.f: the commit closes it and renames gnuplot's file into place */
    if (netrt_out_commit(&out, false) != 0)
        return netrt_err(err, "--plot %s: %s", path, strerror(errno));
    return 0;
}
