/*  bench_redis: the Redis 7 peer of bench_e2e (see bench_redis.h). */
#define _GNU_SOURCE
#include "bench_redis.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The whole job of one measurement, as one Lua function. */
static const char s_lua[] =
    "#!lua name=mvoi\n"
    "local G_PER_L = 2783 -- HVO100 instead of diesel B7: 3.251 - 0.468 kg CO2 per litre\n"
    "local function submit(keys, args)\n"
    "  local buyer, id, tender, group, theme = args[1], args[2], args[3], args[4], args[5]\n"
    "  local litres = tonumber(args[6])\n"
    "  local year, quarter = args[7], args[7] .. '-q' .. args[8]\n"
    "  local co2 = litres * G_PER_L\n"
    "  local mkey = 'meas:' .. buyer .. ':' .. id\n"
    "  if redis.call('HSETNX', mkey, 'co2_g', co2) == 0 then\n"
    "    return tonumber(redis.call('HGET', mkey, 'co2_g'))  -- a repeat changes nothing\n"
    "  end\n"
    "  redis.call('HSET', mkey, 'tender', tender, 'litres', litres, 'quarter', quarter)\n"
    "  redis.call('XADD', 'impact:' .. buyer, '*', 'id', id, 'tender', tender, 'co2_g', co2)\n"
    "  local totals, count = {}, 0\n"
    "  for _, w in ipairs({ year, quarter }) do\n"
    "    for _, d in ipairs({ '', '.theme.' .. theme, '.group.' .. group,\n"
    "                         '.tender.' .. tender }) do\n"
    "      local k = 'kpi.' .. buyer .. '.co2.' .. w .. d\n"
    "      totals[#totals + 1] = k .. '=' .. redis.call('HINCRBY', k, 'realisation', co2)\n"
    "      if d == '' and w == year then count = redis.call('HINCRBY', k, 'count', 1) end\n"
    "    end\n"
    "  end\n"
    "  redis.call('PUBLISH', 'kpi.' .. buyer .. '.co2.' .. year,\n"
    "             count .. ' ' .. table.concat(totals, ' '))\n"
    "  return co2\n"
    "end\n"
    "redis.register_function('submit', submit)\n";

#define R_CHANNEL "kpi.heerlen.co2.2026"

struct bench_redis {
    pid_t pid;
    char dir[256], sock[300];
    redisContext *cmd, *sub;
    uint64_t sent;          /* measurements submitted so far = the year total's count */
};

static int64_t s_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pid_t bench_redis_pid(bench_redis_t *self) { return self->pid; }

static int s_write_conf(bench_redis_t *self, char *path, size_t len)
{
    snprintf(path, len, "%s/redis.conf", self->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "port 0\nunixsocket %s\nunixsocketperm 700\ndir %s\nappendonly yes\n"
               "appendfsync always\nappenddirname aof\nsave \"\"\ndaemonize no\n"
               "logfile %s/redis.log\nprotected-mode no\n", self->sock, self->dir, self->dir);
    return fclose(f) == 0 ? 0 : -EIO;
}

static redisContext *s_connect(bench_redis_t *self, int timeout_ms)
{
    int64_t end = s_ns() + (int64_t)timeout_ms * 1000000;
    do {
        redisContext *c = redisConnectUnix(self->sock);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            bool ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            if (ok)
                return c;
        }
        if (c)
            redisFree(c);
        usleep(20000);
    } while (s_ns() < end);
    return NULL;
}

bench_redis_t *bench_redis_start(const char *dir)
{
    bench_redis_t *self = calloc(1, sizeof *self);
    char conf[400];
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    snprintf(self->sock, sizeof self->sock, "%s/redis.sock", dir);
    mkdir(dir, 0700);
    if (s_write_conf(self, conf, sizeof conf) != 0) {
        free(self);
        return NULL;
    }
    self->pid = fork();
    if (self->pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        execlp("redis-server", "redis-server", conf, (char *)NULL);
        _exit(127);
    }
    self->cmd = s_connect(self, 10000);
    self->sub = self->cmd ? s_connect(self, 1000) : NULL;
    redisReply *r = self->sub ? redisCommand(self->cmd, "FUNCTION LOAD REPLACE %s", s_lua)
                              : NULL;
    bool ok = r && r->type == REDIS_REPLY_STRING;
    if (r && !ok)
        fprintf(stderr, "bench_redis: FUNCTION LOAD: %s\n", r->str ? r->str : "?");
    if (r)
        freeReplyObject(r);
    if (ok && (r = redisCommand(self->sub, "SUBSCRIBE %s", R_CHANNEL)) != NULL)
        freeReplyObject(r);
    else
        ok = false;
    if (!ok) {
        fprintf(stderr, "bench_redis: redis-server did not come up in %s (installed? "
                        "scripts/bootstrap)\n", dir);
        bench_redis_stop(&self);
    }
    return self;
}

void bench_redis_stop(bench_redis_t **self_p)
{
    bench_redis_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (self->cmd)
        redisFree(self->cmd);
    if (self->sub)
        redisFree(self->sub);
    if (self->pid > 0) {
        kill(self->pid, SIGTERM);
        waitpid(self->pid, NULL, 0);
    }
    free(self);
}

/* Append one FCALL for measurement id (litres 10..1000, the mvoi bench's quantities). */
static void s_append(bench_redis_t *self)
{
    uint64_t id = ++self->sent;
    redisAppendCommand(self->cmd, "FCALL submit 0 heerlen m%llu T0001 g1 klimaat %llu 2026 1",
                       (unsigned long long)id, (unsigned long long)(10 + id % 991));
}

static void s_flush_out(bench_redis_t *self)
{
    int done = 0;
    while (!done && redisBufferWrite(self->cmd, &done) == REDIS_OK)
        ;
}

/* Replies of the command connection; counts them and their errors. */
static uint32_t s_drain_cmd(bench_redis_t *self, uint32_t *errors)
{
    uint32_t n = 0;
    void *r;
    if (redisBufferRead(self->cmd) != REDIS_OK)
        return 0;
    while (redisGetReplyFromReader(self->cmd, &r) == REDIS_OK && r) {
        if (((redisReply *)r)->type == REDIS_REPLY_ERROR && (*errors)++ < 3)
            fprintf(stderr, "bench_redis: %s\n", ((redisReply *)r)->str);
        freeReplyObject(r);
        n++;
    }
    return n;
}

/* Published counts of the year total; the highest seen. */
static uint64_t s_drain_sub(bench_redis_t *self, uint64_t have)
{
    void *r;
    if (redisBufferRead(self->sub) != REDIS_OK)
        return have;
    while (redisGetReplyFromReader(self->sub, &r) == REDIS_OK && r) {
        redisReply *m = r;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->str) {
            uint64_t c = strtoull(m->element[2]->str, NULL, 10);
            if (c > have)
                have = c;
        }
        freeReplyObject(r);
    }
    return have;
}

static double s_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_redis_throughput(bench_redis_t *self, uint32_t n, uint32_t per, int window,
                              double *cpu_us)
{
    double cpu0 = s_cpu_s(self->pid);
    uint64_t base = self->sent, have = base;
    uint32_t sent = 0, replied = 0, errors = 0;
    int64_t t0 = s_ns(), t_last = t0;
    while (replied < n || have < base + n) {
        while (sent < n && (sent - replied) / per < (uint32_t)window) {
            uint32_t k = n - sent < per ? n - sent : per;
            for (uint32_t i = 0; i < k; i++)
                s_append(self);
            s_flush_out(self);
            sent += k;
        }
        struct pollfd p[2] = { { self->cmd->fd, POLLIN, 0 }, { self->sub->fd, POLLIN, 0 } };
        if (poll(p, 2, 5000) == 0 && s_ns() - t_last > 30000000000LL)
            return -1;
        if (p[0].revents)
            replied += s_drain_cmd(self, &errors);
        if (p[1].revents) {
            uint64_t h = s_drain_sub(self, have);
            if (h > have) {
                have = h;
                t_last = s_ns();
            }
        }
    }
    double cpu1 = s_cpu_s(self->pid);
    if (cpu_us)
        *cpu_us = cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) * 1e6 / n : -1;
    return errors ? -1 : n / ((t_last - t0) / 1e9);
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int bench_redis_latency(bench_redis_t *self, double rate, double seconds, bench_lat_t *out)
{
    uint32_t n = (uint32_t)(rate * seconds), next = 0, done = 0, errors = 0;
    int64_t *intended = calloc(n, sizeof *intended), *lat = calloc(n, sizeof *lat);
    uint64_t base = self->sent, have = base;
    int64_t period = (int64_t)(1e9 / rate), t0 = s_ns() + 10000000;
    for (uint32_t i = 0; i < n; i++)
        intended[i] = t0 + (int64_t)i * period;
    int64_t deadline = t0 + (int64_t)(seconds * 1e9) + 30000000000LL;
    while (done < n && s_ns() < deadline) {
        int64_t now = s_ns();
        if (next < n && intended[next] <= now) {
            while (next < n && intended[next] <= now) {
                s_append(self);
                next++;
            }
            s_flush_out(self);
        }
        int64_t wait = next < n ? intended[next] - s_ns() : 100000000;
        if (wait < 0)
            wait = 0;
        struct pollfd p[2] = { { self->cmd->fd, POLLIN, 0 }, { self->sub->fd, POLLIN, 0 } };
        struct timespec ts = { wait / 1000000000, wait % 1000000000 };
        ppoll(p, 2, &ts, NULL);
        if (p[0].revents)
            s_drain_cmd(self, &errors);
        if (p[1].revents) {
            uint64_t h = s_drain_sub(self, have);
            if (h > have) {
                int64_t t = s_ns();
                for (; done < n && base + done + 1 <= h; done++)
                    lat[done] = t - intended[done];
                have = h;
            }
        }
    }
    uint32_t skip = (uint32_t)rate < done ? (uint32_t)rate : 0, cnt = done - skip;
    qsort(lat + skip, cnt, sizeof *lat, s_cmp64);
#define P(q) (cnt ? lat[skip + (uint32_t)((cnt - 1) * (q))] / 1e6 : -1.0)
    *out = (bench_lat_t){ P(0.5), P(0.9), P(0.99), P(0.999), cnt ? lat[skip + cnt - 1] / 1e6 : -1,
                          cnt, done == n && !errors };
#undef P
    free(intended);
    free(lat);
    return 0;
}

int bench_fdatasync(const char *dir, int rounds, int gap_us, double *p50, double *p99)
{
    char path[400];
    snprintf(path, sizeof path, "%s/fdatasync.probe", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -errno;
    int64_t *t = calloc((size_t)rounds, sizeof *t);
    char page[4096];
    memset(page, 'x', sizeof page);
    /* written and flushed before the clock starts, as the log is: a timed write then
     * overwrites data and changes no metadata */
    int rc = 0;
    for (int i = 0; i < 64 && rc == 0; i++)
        if (pwrite(fd, page, sizeof page, (off_t)i * 4096) != (ssize_t)sizeof page)
            rc = -EIO;
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    int done = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (; rc == 0 && done < rounds; done++) {
        if (gap_us > 0) {   /* open loop: each write at its own time, the device idle between */
            next.tv_nsec += (long)gap_us * 1000;
            next.tv_sec += next.tv_nsec / 1000000000;
            next.tv_nsec %= 1000000000;
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        int64_t a = s_ns();
        if (pwrite(fd, page, sizeof page, (off_t)(done % 64) * 4096) != (ssize_t)sizeof page
            || fdatasync(fd) != 0)
            rc = -EIO;
        t[done] = s_ns() - a;
    }
    close(fd);
    unlink(path);
    if (rc == 0) {
        qsort(t, (size_t)rounds, sizeof *t, s_cmp64);
        *p50 = t[rounds / 2] / 1e6;
        *p99 = t[(rounds * 99) / 100] / 1e6;
    }
    free(t);
    return rc;
}
