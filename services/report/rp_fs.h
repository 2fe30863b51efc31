/*  rp_fs: the report's directories and files on disk (no storage, no sockets). */
#ifndef RP_FS_H
#define RP_FS_H

/* Creates path and its parents (0755); 0, or a negative errno. path is restored. */
int rp_mkdirs(char *path);

/* A file written as path.tmp: the stream's errors, fsync, rename (0 or a negative errno;
 * the temporary file is removed on failure). */
int rp_disk_commit(const char *tmp, const char *path);
/* The PDF Chromium printed to path.tmp: complete (%PDF- ... %%EOF) and renamed into place. */
int rp_disk_commit_pdf(const char *path);

#endif
