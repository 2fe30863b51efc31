/*  rp_fs: the report service's directories on disk. */
#ifndef RP_FS_H
#define RP_FS_H

/* Creates path and its parents (0755); 0, or a negative errno. path is restored. */
int rp_mkdirs(char *path);

#endif
