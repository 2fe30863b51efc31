/*  mvoi-notifier: kick-off invitations and reminders (docs/domain.md#rules; services/notifier). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "nt_service.h"
#include "service.h"

static void s_stop(void *arg) { nt_service_stop(arg); }

int main(int argc, char **argv)
{
    static service_def_t def = { "notifier",
                                 "kick-off invitations, reminders and measurement requests "
                                 "(SMTP, .eml files, webhooks)" };
    def.config = nt_config_specs;
    def.nconfig = nt_config_count;
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    int err = 0;
    char why[512] = "";
    nt_service_t *nt = nt_service_new(service_loop(svc), service_bus(svc), service_cfg(svc),
                                      service_data_dir(svc), service_buyers(svc), &err, why,
                                      sizeof why);
    if (!nt) {
        log_error("start_failed", "cannot start: %s (%s)", why, strerror(err < 0 ? -err : err));
        service_destroy(&svc);
        return strstr(why, ":") && strncmp(why, "data_dir", 8) != 0 ? SERVICE_EX_CONFIG : 1;
    }
    service_on_stop(svc, s_stop, nt);
    rc = service_run(svc);
    nt_service_destroy(&nt);
    service_destroy(&svc);
    return rc;
}
