/* outfile.h: writing an output file so that nothing is lost that should not be.
 *
 * netc (its generated C) and the trainers (CSV logs, pictures) write through these three calls:
 *   - a regular file, or a name that does not exist yet, is written to a temporary of a unique
 *     name beside it and renamed over it only when complete: a full disk, a crash or a kill never
 *     leaves a half-written file under the real name, and two writers never share a temporary;
 *     the file keeps the mode it had, and a new one gets 0666 less the umask, as fopen would;
 *   - a symbolic link is followed: the file it points to is replaced that way, the link stays;
 *   - anything else (a device such as /dev/null, a FIFO, a socket) is opened and written in
 *     place, never replaced by a regular file.
 * It depends on nothing but POSIX, so the compiler builds it too. */
#ifndef NETRT_OUTFILE_H
#define NETRT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    FILE *f;    /* write here between open and commit                             */
    char *path; /* where the data ends up: the path given, or a link's target      */
    char *tmp;  /* the temporary renamed over path at commit; NULL when in place     */
} NetrtOut;

/* Open `path` for writing. 0 on success; -1 with errno set (nothing created). */
int netrt_out_open(NetrtOut *o, const char *path);
/* Flush and close; for a temporary, fsync it when `durable`, then rename it over the path.
 * 0 on success; -1 with errno set, in which case the temporary is gone and the old file intact. */
int netrt_out_commit(NetrtOut *o, bool durable);
/* Give up: close, and remove the temporary. The old file is untouched. */
void netrt_out_abort(NetrtOut *o);

/* Whether two paths name the same existing file (device and inode): an output that would
 * overwrite an input. False when either does not exist. */
bool netrt_same_file(const char *a, const char *b);

#endif
