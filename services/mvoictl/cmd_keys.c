/*  mvoictl keys generate: a CURVE key pair as files (mvoi_curve.h), and the key registry
 *  stanza that admits it (mvoi_auth.h). The secret never goes to stdout or argv. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "mvoi_auth.h"
#include "mvoi_curve.h"
#include "mvoi_id.h"

static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MVOI_AUTH_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'
              || *s == '.'))
            return false;
    return true;
}

static int s_generate(ctl_t *ctl, int argc, char **argv)
{
    const char *dir = ".", *role = "service", *buyers = "*";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' }, { "role", required_argument, NULL, 'r' },
        { "buyers", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 0;   /* a full reset: the name may come before the options (permuted) */
    while ((c = getopt_long(argc, argv, "d:r:b:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'r': role = optarg; break;
        case 'b': buyers = optarg; break;
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.keys_usage");
        }
    }
    if (optind != argc - 1 || !s_name_ok(argv[optind]))
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.keys_usage");
    const char *name = argv[optind];
    mvoi_role_t r;
    if (mvoi_role_parse(role, &r) != 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.keys_role", role);
    if (strcmp(buyers, "*") != 0) {
        char buf[1024], *save = NULL;
        if (strlen(buyers) >= sizeof buf)
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.keys_buyer", buyers);
        snprintf(buf, sizeof buf, "%s", buyers);
        for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save))
            if (mvoi_id_check_str(MVOI_ID_BUYER, t, NULL, 0) != 0)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.keys_buyer", t);
    }
    char pub[41];
    int rc = mvoi_curve_generate(dir, name, pub);
    if (rc == -EEXIST)
        return ctl_fail(ctl, CTL_EX_FAIL, "ctl.err.keys_exist", dir, name);
    if (rc != 0)
        return ctl_fail(ctl, CTL_EX_FAIL, "ctl.err.keys_write", dir, name, strerror(-rc));
    /* The stanza for MVOI_KEYS_FILE on stdout; where the files are on stderr. */
    printf("[%s]\npublic = %s\nrole = %s\nbuyers = %s\n", name, pub, role, buyers);
    fprintf(stderr, ctl_text(ctl, "ctl.keys.written"), dir, name, dir, name);
    fputc('\n', stderr);
    return CTL_EX_OK;
}

const ctl_cmd_t ctl_keys_cmds[] = {
    { "generate", "NAME [--dir DIR] [--role ROLE] [--buyers IDS|*]",
      "a CURVE key pair: DIR/NAME.key (secret, 0600, never overwritten) and DIR/NAME.pub; "
      "prints the key registry entry", s_generate },
    { NULL },
};
