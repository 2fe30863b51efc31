/*  mvoictl: the command line of mvoi. See ctl.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Each group's table, from its cmd_<group>.c. */
extern const ctl_cmd_t ctl_system_cmds[];
#include "groups.h"

static const ctl_group_t s_groups[] = {
    { "system", "health of the services", ctl_system_cmds },
    CTL_GROUP_LIST
};

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: mvoictl [--json] [--buyer ID] [--timeout MS] [--lang nl|en] GROUP VERB [ARGS]\n"
            "\n"
            "The command line of mvoi: talks to the services over ZeroMQ.\n"
            "Endpoints come from MVOI_<SERVICE>_API (defaults tcp://127.0.0.1:7101 calendar,\n"
            "7201 impact, 7301 kpi, 7401 notifier, 7501 report).\n\n");
    for (size_t g = 0; g < sizeof s_groups / sizeof s_groups[0]; g++) {
        if (!s_groups[g].cmds)
            continue;   /* a group not built into this binary */
        fprintf(out, "%s: %s\n", s_groups[g].group, s_groups[g].summary);
        for (const ctl_cmd_t *c = s_groups[g].cmds; c->verb; c++)
            fprintf(out, "  mvoictl %s %s %s\n      %s\n", s_groups[g].group, c->verb,
                    c->usage ? c->usage : "", c->summary);
    }
    fprintf(out, "\nexit codes: 0 ok, 1 refused, 64 usage, 65 bad data, 66 no input, "
                 "69 service unavailable, 70 internal, 71 no ZeroMQ context or socket\n");
}

int main(int argc, char **argv)
{
    ctl_t ctl = { .json = false, .buyer = getenv("MVOI_BUYER"), .timeout_ms = 5000,
                  .lang = getenv("MVOI_LANG") };
    if (!ctl.buyer || !*ctl.buyer)
        ctl.buyer = "heerlen";
    if (!ctl.lang || !*ctl.lang)
        ctl.lang = "nl";
    const char *t = getenv("MVOI_CTL_TIMEOUT_MS");
    if (t && atoi(t) > 0)
        ctl.timeout_ms = atoi(t);
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },   { "buyer", required_argument, NULL, 'b' },
        { "timeout", required_argument, NULL, 't' }, { "lang", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },   { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    /* "+": stop at the first non-option, so that verbs keep their own options. */
    while ((c = getopt_long(argc, argv, "+jb:t:l:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'j': ctl.json = true; break;
        case 'b': ctl.buyer = optarg; break;
        case 't': ctl.timeout_ms = atoi(optarg); break;
        case 'l': ctl.lang = optarg; break;
        case 'h': s_usage(stdout); return 0;
        case 'V': printf("mvoictl %s\n", MVOI_VERSION); return 0;
        default: s_usage(stderr); return CTL_EX_USAGE;
        }
    }
    if (ctl.timeout_ms <= 0) {
        fprintf(stderr, "mvoictl: --timeout must be a positive number of ms\n");
        return CTL_EX_USAGE;
    }
    if (strcmp(ctl.lang, "nl") != 0 && strcmp(ctl.lang, "en") != 0) {
        fprintf(stderr, "mvoictl: --lang must be nl or en\n");
        return CTL_EX_USAGE;
    }
    int rest = argc - optind;
    char **av = argv + optind;
    if (rest >= 1 && strcmp(av[0], "health") == 0)   /* shorthand */
        return ctl_system_cmds[0].fn(&ctl, rest, av);
    if (rest < 2) {
        s_usage(stderr);
        return CTL_EX_USAGE;
    }
    for (size_t g = 0; g < sizeof s_groups / sizeof s_groups[0]; g++) {
        if (!s_groups[g].cmds || strcmp(s_groups[g].group, av[0]) != 0)
            continue;
        for (const ctl_cmd_t *cmd = s_groups[g].cmds; cmd->verb; cmd++)
            if (strcmp(cmd->verb, av[1]) == 0) {
                optind = 1;   /* verbs parse their own options from argv[0] = verb */
                return cmd->fn(&ctl, rest - 1, av + 1);
            }
        fprintf(stderr, "mvoictl: unknown command '%s %s'\n", av[0], av[1]);
        return CTL_EX_USAGE;
    }
    fprintf(stderr, "mvoictl: unknown group '%s' (try --help)\n", av[0]);
    return CTL_EX_USAGE;
}
