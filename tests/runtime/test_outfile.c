/* test_outfile.c: outfile.h keeps what it should not destroy.
 *
 * A regular file is replaced whole through a temporary of a unique name, with the umask or the
 * old mode honoured; a failed write leaves the old file as it was and no temporary; a symlink is
 * followed and stays a link; a device and a FIFO are written in place and stay what they were
 * (the device is a stand-in made with mknod in the test's directory, never a real /dev node). */
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outfile.h"
#include "test_util.h"

#define DIR "outfile_test_files"

static int write_text(const char *path, const char *text)
{
    NetrtOut o;
    if (netrt_out_open(&o, path) != 0)
        return -1;
    fputs(text, o.f);
    return netrt_out_commit(&o, true);
}

static void read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static void test_regular(void)
{
    char buf[64];
    const char *path = DIR "/a.csv";
    mode_t old = umask(027);
    CHECK(write_text(path, "one\n") == 0);
    CHECK((mode_of(path) & 0777) == 0640); /* 0666 less the umask, as fopen would */
    umask(old);
    read_text(path, buf, sizeof buf);
    CHECK(strcmp(buf, "one\n") == 0);
    CHECK(chmod(path, 0604) == 0);
    CHECK(write_text(path, "two\n") == 0);
    CHECK((mode_of(path) & 0777) == 0604); /* an existing file keeps its mode */
    read_text(path, buf, sizeof buf);
    CHECK(strcmp(buf, "two\n") == 0);
    CHECK(count_entries(DIR, "a.csv") == 1);

    /* two writers of one path at once: each has its own temporary; the last commit wins */
    NetrtOut x, y;
    CHECK(netrt_out_open(&x, path) == 0 && netrt_out_open(&y, path) == 0);
    CHECK(strcmp(x.tmp, y.tmp) != 0);
    fputs("x\n", x.f);
    fputs("y\n", y.f);
    CHECK(netrt_out_commit(&x, false) == 0 && netrt_out_commit(&y, false) == 0);
    read_text(path, buf, sizeof buf);
    CHECK(strcmp(buf, "y\n") == 0);

    /* abort: the old file stays, the temporary goes */
    CHECK(netrt_out_open(&x, path) == 0);
    fputs("lost\n", x.f);
    netrt_out_abort(&x);
    read_text(path, buf, sizeof buf);
    CHECK(strcmp(buf, "y\n") == 0);
    CHECK(count_entries(DIR, "a.csv") == 1);

    /* a full disk: a file size limit, writes past it fail with EFBIG */
    struct rlimit lim, small;
    getrlimit(RLIMIT_FSIZE, &lim);
    small = lim;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(netrt_out_open(&x, path) == 0);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    for (int i = 0; i < 2000; i++)
        fputs("0123456789\n", x.f);
    errno = 0;
    CHECK(netrt_out_commit(&x, true) == -1 && errno == EFBIG);
    setrlimit(RLIMIT_FSIZE, &lim);
    read_text(path, buf, sizeof buf);
    CHECK(strcmp(buf, "y\n") == 0);
    CHECK(count_entries(DIR, "a.csv") == 1);

    /* a directory cannot be written */
    errno = 0;
    CHECK(netrt_out_open(&x, DIR) == -1 && errno == EISDIR);
    /* nor a file in a missing directory */
    CHECK(netrt_out_open(&x, DIR "/missing/a.csv") == -1 && errno == ENOENT);
}

static void test_link(void)
{
    char buf[64];
    CHECK(write_text(DIR "/target.csv", "old\n") == 0);
    CHECK(symlink("target.csv", DIR "/link.csv") == 0);
    CHECK(write_text(DIR "/link.csv", "new\n") == 0);
    CHECK(S_ISLNK(mode_of(DIR "/link.csv")));
    read_text(DIR "/target.csv", buf, sizeof buf);
    CHECK(strcmp(buf, "new\n") == 0);
    CHECK(count_entries(DIR, "target.csv") == 1);
    /* a dangling link: its target is created, the link stays */
    CHECK(symlink("made.csv", DIR "/dangling.csv") == 0);
    CHECK(write_text(DIR "/dangling.csv", "made\n") == 0);
    CHECK(S_ISLNK(mode_of(DIR "/dangling.csv")));
    read_text(DIR "/made.csv", buf, sizeof buf);
    CHECK(strcmp(buf, "made\n") == 0);
    CHECK(netrt_same_file(DIR "/link.csv", DIR "/target.csv"));
    CHECK(!netrt_same_file(DIR "/link.csv", DIR "/made.csv"));
    CHECK(!netrt_same_file(DIR "/link.csv", DIR "/none.csv"));
}

static void test_special(void)
{
    /* stand-ins for /dev/null and /dev/full: character devices 1,3 and 1,7 */
    if (mknod(DIR "/null", S_IFCHR | 0666, makedev(1, 3)) == 0 &&
        mknod(DIR "/full", S_IFCHR | 0666, makedev(1, 7)) == 0) {
        CHECK(write_text(DIR "/null", "gone\n") == 0);
        CHECK(S_ISCHR(mode_of(DIR "/null")));
        CHECK(write_text(DIR "/full", "no room\n") == -1 && errno == ENOSPC);
        CHECK(S_ISCHR(mode_of(DIR "/full")));
        CHECK(count_entries(DIR, "null") == 1 && count_entries(DIR, "full") == 1);
    } else {
        fprintf(stderr, "test_outfile: mknod not permitted (%s): device checks skipped\n",
                strerror(errno));
    }

    /* a FIFO: written through to a reader, still a FIFO after */
    CHECK(mkfifo(DIR "/pipe", 0666) == 0);
    pid_t child = fork();
    if (child == 0) {
        char buf[64];
        alarm(5); /* a writer that replaced the FIFO never opens it: fail, do not hang */
        read_text(DIR "/pipe", buf, sizeof buf);
        _exit(strcmp(buf, "through\n") == 0 ? 0 : 1);
    }
    CHECK(write_text(DIR "/pipe", "through\n") == 0);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(S_ISFIFO(mode_of(DIR "/pipe")));
}

int main(void)
{
    if (system("rm -rf " DIR) != 0 || mkdir(DIR, 0777) != 0) {
        fprintf(stderr, "test_outfile: cannot create %s: %s\n", DIR, strerror(errno));
        return 1;
    }
    test_regular();
    test_link();
    test_special();
    if (test_failures)
        fprintf(stderr, "test_outfile: %d checks failed\n", test_failures);
    return test_failures;
}
