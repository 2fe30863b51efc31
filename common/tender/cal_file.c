/* cal_file: see cal_file.h. */
#include "cal_file.h"
#include "cal_str.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cal_file_read(const char *path, size_t max_bytes, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    if (!b) {
        fclose(f);
        return -ENOMEM;
    }
    for (;;) {
        if (cap - n < 2) {
            if (cap > max_bytes) {
                free(b);
                fclose(f);
                return -EFBIG;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                fclose(f);
                return -ENOMEM;
            }
            b = nb, cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err || n > max_bytes) {
        free(b);
        return err ? err : -EFBIG;
    }
    b[n] = '\0';
    *buf = b;
    if (len)
        *len = n;
    return 0;
}

int cal_file_lines(const char *path, cal_line_fn *fn, void *arg)
{
    char *buf;
    int rc = cal_file_read(path, 1 << 20, &buf, NULL);
    if (rc < 0)
        return rc;
    int lineno = 0;
    /* strtok_r would merge blank lines and shift line numbers; split by hand. */
    char *line = buf;
    while (line && rc == 0) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        cal_str_trim(line);
        if (*line && *line != '#') {
            char *fields[16];
            int nf = 0;
            char *p = line;
            while (nf < 16) {
                char *sc = strchr(p, ';');
                if (sc)
                    *sc = '\0';
                fields[nf++] = cal_str_trim(p);
                if (!sc)
                    break;
                p = sc + 1;
            }
            rc = fn(arg, lineno, fields, nf);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    return rc;
}

static int s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cal_file_list(const char *dir, const char *prefix, const char *suffix, char ***paths)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    char **out = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    size_t lp = strlen(prefix), ls = strlen(suffix);
    while ((e = readdir(d))) {
        size_t ln = strlen(e->d_name);
        if (ln < lp + ls || strncmp(e->d_name, prefix, lp) != 0 ||
            strcmp(e->d_name + ln - ls, suffix) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **no = realloc(out, (size_t)cap * sizeof *out);
            if (!no) {
                rc = -ENOMEM;
                break;
            }
            out = no;
        }
        size_t need = strlen(dir) + 1 + ln + 1;
        out[n] = malloc(need);
        if (!out[n]) {
            rc = -ENOMEM;
            break;
        }
        snprintf(out[n], need, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (rc < 0) {
        for (int i = 0; i < n; i++)
            free(out[i]);
        free(out);
        return rc;
    }
    /* sorted so loading order, and therefore error messages, are reproducible */
    if (n > 1)
        qsort(out, (size_t)n, sizeof *out, s_cmp);
    *paths = out;
    return n;
}
