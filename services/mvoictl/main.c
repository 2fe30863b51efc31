/*  mvoictl: the command line of mvoi. See ctl.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "mvoi_id.h"
#include "mvoi_id_text.h"
#include "mvoi_curve.h"

/* Each group's table, from its cmd_<group>.c. */
extern const ctl_cmd_t ctl_system_cmds[];
#include "groups.h"

static const ctl_group_t s_groups[] = {
    { "system", "health of the services", ctl_system_cmds },
    CTL_GROUP_LIST
};

/* --buyer's default: MVOI_BUYER (scripts/run writes the demo's into mvoictl.env), else none.
 * It was heerlen: a venlo sheet imported without --buyer went onto heerlen's tender of the
 * same id, reported as success. Without a buyer a command for one is refused (s_needs). */
static const char *s_default_buyer(void)
{
    const char *b = getenv("MVOI_BUYER");
    return b && *b ? b : NULL;
}

/* Whether GROUP VERB acts for a buyer: all do but these, which need none (health, key
 * files, the factor tables every buyer shares) or may take it from the sheet's buyer
 * column (the CSV imports: they ask ctl_buyer_of_sheet once the file is read). */
static bool s_needs_buyer(const char *group, const char *verb)
{
    static const char *const none[][2] = {
        { "system", NULL }, { "keys", NULL }, { "measure", "factors" },
        { "tender", "import" }, { "measure", "import" },
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (strcmp(none[i][0], group) == 0 && (!none[i][1] || strcmp(none[i][1], verb) == 0))
            return false;
    return true;
}

/* A summary from the catalogue in the chosen language; the table's text if not there. */
static const char *s_summary(const ctl_t *ctl, const char *kind, const char *group,
                             const char *verb, const char *fallback)
{
    char key[96];
    if (verb)
        snprintf(key, sizeof key, "ctl.%s.%s.%s", kind, group, verb);
    else
        snprintf(key, sizeof key, "ctl.%s.%s", kind, group);
    return text_has(key) ? ctl_text(ctl, key) : fallback;
}

static void s_usage(const ctl_t *ctl, FILE *out)
{
    fprintf(out, "%s: mvoictl [--json|--raw] [--buyer ID] [--timeout MS] [--lang nl|en] GROUP "
                 "VERB [ARGS]\n\n%s\n\n", ctl_text(ctl, "ctl.help.usage"),
            ctl_text(ctl, "ctl.help.intro"));
    const char *b = s_default_buyer();
    fprintf(out, ctl_text(ctl, "ctl.help.buyer"), b ? b : ctl_text(ctl, "ctl.help.buyer_none"));
    fputs("\n\n", out);
    for (size_t g = 0; g < sizeof s_groups / sizeof s_groups[0]; g++) {
        if (!s_groups[g].cmds)
            continue;   /* a group not built into this binary */
        fprintf(out, "%s: %s\n", s_groups[g].group,
                s_summary(ctl, "group", s_groups[g].group, NULL, s_groups[g].summary));
        for (const ctl_cmd_t *c = s_groups[g].cmds; c->verb; c++)
            fprintf(out, "  mvoictl %s %s %s\n      %s\n", s_groups[g].group, c->verb,
                    c->usage ? c->usage : "",
                    s_summary(ctl, "verb", s_groups[g].group, c->verb, c->summary));
    }
    fprintf(out, "\n%s\n", ctl_text(ctl, "ctl.help.exit"));
}

/* `--help` or `-h` among a verb's arguments (before a "--"): every verb has the same help,
 * from its table entry, so no verb can lack one. */
static bool s_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

static void s_verb_help(const ctl_t *ctl, const char *group, const ctl_cmd_t *cmd)
{
    printf("%s: mvoictl %s %s %s\n\n%s\n\n%s\n", ctl_text(ctl, "ctl.help.usage"), group,
           cmd->verb, cmd->usage ? cmd->usage : "",
           s_summary(ctl, "verb", group, cmd->verb, cmd->summary),
           ctl_text(ctl, "ctl.help.global"));
}

static bool s_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

/* The group of that name if it is built into this binary, else NULL. */
static const ctl_group_t *s_group(const char *name)
{
    for (size_t g = 0; g < sizeof s_groups / sizeof s_groups[0]; g++)
        if (s_groups[g].cmds && strcmp(s_groups[g].group, name) == 0)
            return &s_groups[g];
    return NULL;
}

/* One group's verbs, as in the top-level help. */
static void s_group_usage(const ctl_t *ctl, const ctl_group_t *g, FILE *out)
{
    fprintf(out, "%s: mvoictl %s VERB [ARGS]\n\n%s\n\n", ctl_text(ctl, "ctl.help.usage"),
            g->group, s_summary(ctl, "group", g->group, NULL, g->summary));
    for (const ctl_cmd_t *c = g->cmds; c->verb; c++)
        fprintf(out, "  mvoictl %s %s %s\n      %s\n", g->group, c->verb,
                c->usage ? c->usage : "", s_summary(ctl, "verb", g->group, c->verb, c->summary));
    fprintf(out, "\n%s\n\n%s\n", ctl_text(ctl, "ctl.help.global"),
            ctl_text(ctl, "ctl.help.exit"));
}

/* `help`, `help GROUP`, `help GROUP VERB`, `GROUP` and `GROUP --help`: the help of what was
 * named, on stdout, exit 0 (a bare GROUP: on stderr, 64). -1 when args ask for no help.
 * Before any socket or key: help needs neither. */
static int s_help(const ctl_t *ctl, int rest, char **av)
{
    bool asked = rest >= 1 && strcmp(av[0], "help") == 0;
    if (asked) {
        rest--;
        av++;
        if (rest == 0) {
            s_usage(ctl, stdout);
            return CTL_EX_OK;
        }
    }
    const ctl_group_t *g = rest >= 1 ? s_group(av[0]) : NULL;
    if (!g)
        return asked ? ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.unknown_group", av[0]) : -1;
    if (asked && rest >= 2) {
        for (const ctl_cmd_t *c = g->cmds; c->verb; c++)
            if (strcmp(c->verb, av[1]) == 0) {
                s_verb_help(ctl, g->group, c);
                return CTL_EX_OK;
            }
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.unknown_verb", av[0], av[1]);
    }
    if (asked || (rest >= 2 && s_is_help(av[1]))) {
        s_group_usage(ctl, g, stdout);
        return CTL_EX_OK;
    }
    if (rest == 1) {
        s_group_usage(ctl, g, stderr);
        return CTL_EX_USAGE;
    }
    return -1;
}

/* --timeout MS, else MVOI_CTL_TIMEOUT_MS, else 5000: 1 ms to a day. 0 or an exit code:
 * atoi had made "5s" 5 ms, "abc" an error about 0, and ignored a malformed variable. */
static int s_timeout(ctl_t *ctl, const char *arg)
{
    long v = 0;
    if (arg) {
        int ex = ctl_opt_int(ctl, "timeout", arg, 1, 86400000L, &v);
        if (ex == CTL_EX_OK)
            ctl->timeout_ms = (int)v;
        return ex;
    }
    const char *t = getenv("MVOI_CTL_TIMEOUT_MS");
    if (!t || !*t)
        return CTL_EX_OK;
    if (ctl_parse_int(t, 1, 86400000L, &v) != 0)
        return ctl_fail(ctl, EX_CONFIG, "ctl.err.env_int", "MVOI_CTL_TIMEOUT_MS", t, 1L,
                        86400000L);
    ctl->timeout_ms = (int)v;
    return CTL_EX_OK;
}

/* The run of a command line: its exit code, before stdout is known to be written. */
static int s_run(ctl_t *ctl, int argc, char **argv)
{
    const char *timeout = NULL;   /* --timeout's text, parsed once the language is known */
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },   { "buyer", required_argument, NULL, 'b' },
        { "timeout", required_argument, NULL, 't' }, { "lang", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },   { "version", no_argument, NULL, 'V' },
        { "raw", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    bool help = false, bad = false;
    /* "+": stop at the first non-option, so that verbs keep their own options. */
    while ((c = getopt_long(argc, argv, "+jb:t:l:hVr", opts, NULL)) != -1) {
        switch (c) {
        case 'j': ctl->json = true; break;
        case 'r': ctl->raw = true; break;
        case 'b': ctl->buyer = optarg; break;
        case 't': timeout = optarg; break;
        case 'l': ctl->lang = optarg; break;
        case 'h': help = true; break;
        case 'V': printf("mvoictl %s\n", MVOI_VERSION); return CTL_EX_OK;
        default: bad = true; break;
        }
    }
    if (strcmp(ctl->lang, "nl") != 0 && strcmp(ctl->lang, "en") != 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.lang");
    text_lang_parse(ctl->lang, &ctl->tl);
    if (help || bad) {
        s_usage(ctl, help ? stdout : stderr);
        return help ? CTL_EX_OK : CTL_EX_USAGE;
    }
    int ex = s_timeout(ctl, timeout);
    if (ex != CTL_EX_OK)
        return ex;
    char why[MVOI_ID_WHY_MAX];
    if (ctl->buyer &&
        mvoi_id_check_in(ctl->tl, MVOI_ID_BUYER, ctl->buyer, why, sizeof why) != 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.buyer", ctl->buyer, why);
    int rest = argc - optind;
    char **av = argv + optind;
    if ((ex = s_help(ctl, rest, av)) >= 0)
        return ex;
    if ((rest >= 2 || (rest == 1 && strcmp(av[0], "health") == 0)) && strcmp(av[0], "keys") != 0
        && !s_wants_help(rest - 1, av + 1)) {
        /* Every socket of the process uses CURVE unless MVOI_CURVE=off (mvoi_curve.h). */
        static mvoi_curve_t curve;
        char err[512];
        if (mvoi_curve_from_env(&curve, err, sizeof err) != 0)
            return ctl_fail(ctl, EX_CONFIG, "ctl.err.curve", err);
        mvoi_curve_set(&curve);
    }
    if (rest >= 1 && strcmp(av[0], "health") == 0)   /* shorthand */
        return ctl_system_cmds[0].fn(ctl, rest, av);
    if (rest < 2) {
        s_usage(ctl, stderr);
        return CTL_EX_USAGE;
    }
    for (size_t g = 0; g < sizeof s_groups / sizeof s_groups[0]; g++) {
        if (!s_groups[g].cmds || strcmp(s_groups[g].group, av[0]) != 0)
            continue;
        for (const ctl_cmd_t *cmd = s_groups[g].cmds; cmd->verb; cmd++)
            if (strcmp(cmd->verb, av[1]) == 0) {
                if (s_wants_help(rest - 1, av + 1)) {
                    s_verb_help(ctl, s_groups[g].group, cmd);
                    return CTL_EX_OK;
                }
                if (s_needs_buyer(av[0], av[1]) && (ex = ctl_buyer_required(ctl)) != 0)
                    return ex;   /* before anything is sent */
                optind = 1;   /* verbs parse their own options from argv[0] = verb */
                return cmd->fn(ctl, rest - 1, av + 1);
            }
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.unknown_verb", av[0], av[1]);
    }
    return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.unknown_group", av[0]);
}

int main(int argc, char **argv)
{
    ctl_t ctl = { .json = false, .buyer = s_default_buyer(), .timeout_ms = 5000,
                  .lang = getenv("MVOI_LANG") };
    if (!ctl.lang || !*ctl.lang)
        ctl.lang = "nl";
    /* every path's output, help and --version's too, is checked as written */
    return ctl_out_close(&ctl, s_run(&ctl, argc, argv));
}
