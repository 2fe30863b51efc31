/*  kpi_projkey: the key of a project counter, buyer \0 tender \0 <topic after kpi.<buyer>.>.
 *
 *  The counter is the buyer's and the tender's already by the first two parts of its key;
 *  the topic's own "kpi.<buyer>." would repeat the buyer in every one of millions of keys
 *  (the largest database of a store of many buyers), so it is left out and put back when
 *  the total is named (kpi_tender.c). Counters of the tender dimension are not kept at all:
 *  a tender's count in its own tender total is, contribution for contribution, its count in
 *  the all-dimensions total of the same KPI and window (every project contribution feeds
 *  both), so that one counter answers for both totals (kpi_add.c, kpi_tender.c). */
#include "kpi_int.h"

#include <errno.h>
#include <string.h>

#include "mvoi_topic.h"

/* The length of "kpi.<encoded buyer>." at the start of topic, 0 if it does not start so. */
static size_t s_buyer_part(const char *topic, const char *buyer)
{
    char pre[MVOI_TOPIC_SEG_MAX + 8];
    if (mvoi_topic_kpi_buyer_prefix(pre, sizeof pre, buyer) != 0)
        return 0;
    size_t n = strlen(pre);
    return strncmp(topic, pre, n) == 0 ? n : 0;
}

size_t kpi_project_key(uint8_t *buf, size_t cap, const char *buyer, const char *tender,
                       const char *topic)
{
    size_t skip = s_buyer_part(topic, buyer);
    if (!skip)
        return 0;
    return mvoi_id_key3(buf, cap, buyer, tender, topic + skip);
}

int kpi_project_topic(const char *buyer, const char *rest, size_t n, char *out, size_t cap)
{
    if (mvoi_topic_kpi_buyer_prefix(out, cap, buyer) != 0)
        return -ENAMETOOLONG;
    size_t l = strlen(out);
    if (l + n + 1 > cap)
        return -ENAMETOOLONG;
    memcpy(out + l, rest, n);
    out[l + n] = 0;
    mvoi_topic_t tp;
    return mvoi_topic_parse(out, &tp) == 0 ? 0 : -EINVAL;
}
