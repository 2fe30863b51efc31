/* The notifier's file outbox (no SMTP: one .eml file per mail): a mail counts as sent only
 * once the rename that publishes its file is on the device, i.e. once the directory was
 * flushed. A failed directory flush (tests/integration/plumbing/failflush.c preloaded) leaves the copy retrying, and
 * the retry delivers it exactly once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nt_it.h"

Test(notifier_outbox_sync, a_failed_directory_flush_is_no_delivery, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    char arm[600];
    snprintf(arm, sizeof arm, "%s/fsync.arm", c.dir);
    FILE *f = fopen(arm, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(access(FAILFSYNC_SO, R_OK), 0, "%s not built", FAILFSYNC_SO);
    it_env(&c, "LD_PRELOAD=%s", FAILFSYNC_SO);
    it_env(&c, "MVOI_FAILFSYNC_ARM=%s", arm);
    it_env(&c, "MVOI_FAILFSYNC_DIR=/outbox-mail");
    /* a sanitizer build: the preloaded library comes before the ASan runtime */
    const char *ao = getenv("ASAN_OPTIONS");
    it_env(&c, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", ao ? ao : "", ao && *ao ? ":" : "");
    it_env(&c, "MVOI_NOTIFIER_RETRY_BASE_MS=100");
    it_env(&c, "MVOI_NOTIFIER_RETRY_MAX_MS=300");
    it_start_nt(&c);
    char outbox[700];
    snprintf(outbox, sizeof outbox, "%s/nt/notifier/outbox-mail", c.dir);
    if (access(outbox, F_OK) != 0)
        snprintf(outbox, sizeof outbox, "%s/nt/outbox-mail", c.dir);

    Mvoi__Tender t = it_tender("T-300", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[16];
    int n = 0;
    uint32_t sent = 0, retried = 0;
    int64_t t0 = h_now_ms(), end = t0 + 20000;
    while (h_now_ms() < end) {
        it_clock_set(&c, CLOCK0 + (h_now_ms() - t0));
        n = it_mails(&c, outbox, m, 16);
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
        sent = retried = 0;
        for (size_t i = 0; i < l->n_reminders; i++)
            if (l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION) {
                sent++;
                retried += l->reminders[i]->attempts >= 2;
            }
        mvoi__envelope__free_unpacked(keep, NULL);
        if (sent == 5 && n >= 5)
            break;
        h_sleep_ms(50);
    }
    cr_assert_neq(access(arm, F_OK), 0, "the outbox directory was never flushed");
    cr_assert_eq(sent, 5, "every attendee's copy sent in the end: %u", sent);
    cr_assert_eq(retried, 1, "the copy whose directory flush failed was tried again: %u",
                 retried);
    h_sleep_ms(500);
    cr_assert_eq(it_mails(&c, outbox, m, 16), 5, "one file per attendee, none twice");
    it_teardown(&c);
}
