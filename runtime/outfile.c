/* outfile.c: atomic replacement of regular files, writing through everything else (outfile.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_clear(NetrtOut *o)
{
    free(o->path);
    free(o->tmp);
    o->f = NULL;
    o->path = o->tmp = NULL;
}

/* The mode a new file gets from open(…, 0666): 0666 less the umask. umask can only be read by
 * setting it, so it is set back at once. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Write in place: a device, a FIFO, a socket. O_TRUNC is harmless on those. */
static int open_in_place(NetrtOut *o)
{
    o->f = fopen(o->path, "w");
    if (!o->f) {
        int saved = errno;
        out_clear(o);
        errno = saved;
        return -1;
    }
    return 0;
}

int netrt_out_open(NetrtOut *o, const char *path)
{
    memset(o, 0, sizeof *o);
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (exists && S_ISLNK(st.st_mode)) {
        /* follow the link to what it names; a dangling link is created through, as fopen does */
        char *target = realpath(path, NULL);
        if (!target) {
            o->path = strdup(path);
            if (!o->path)
                return -1;
            return open_in_place(o);
        }
        o->path = target;
        exists = stat(target, &st) == 0;
    } else {
        o->path = strdup(path);
        if (!o->path)
            return -1;
    }
    if (exists && S_ISDIR(st.st_mode)) {
        out_clear(o);
        errno = EISDIR;
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode))
        return open_in_place(o);

    size_t n = strlen(o->path) + sizeof ".tmpXXXXXX";
    o->tmp = malloc(n);
    if (!o->tmp) {
        out_clear(o);
        errno = ENOMEM;
        return -1;
    }
    snprintf(o->tmp, n, "%s.tmpXXXXXX", o->path);
    int fd = mkstemp(o->tmp); /* unique: two writers of one path never meet */
    if (fd < 0) {
        int saved = errno;
        out_clear(o);
        errno = saved;
        return -1;
    }
    mode_t mode = exists ? st.st_mode & 07777 : new_file_mode();
    if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))) {
        int saved = errno;
        close(fd);
        unlink(o->tmp);
        out_clear(o);
        errno = saved;
        return -1;
    }
    return 0;
}

int netrt_out_commit(NetrtOut *o, bool durable)
{
    errno = 0;
    int failed = fflush(o->f) != 0 || ferror(o->f);
    if (!failed && o->tmp && durable && fsync(fileno(o->f)) != 0)
        failed = 1;
    int saved = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!failed && o->tmp && rename(o->tmp, o->path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed && o->tmp)
        unlink(o->tmp);
    out_clear(o);
    if (failed) {
        errno = saved;
        return -1;
    }
    return 0;
}

void netrt_out_abort(NetrtOut *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    out_clear(o);
}

bool netrt_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
