#!/usr/bin/env node
// Offline check of deploy/docker/Dockerfile (no Docker engine needed):
//  1. npm dockerfile-utils' validator (the Docker builder's own parse rules: instructions,
//     flags, JSON forms, stage names, durations, signals, ports), every optional rule raised
//     to an error; any error fails;
//  2. mvoi's conventions (docs/design.md#operations): stages built FROM
//     debian:bookworm-slim; the runtime stage runs as a fixed numeric non-root user,
//     installs with --no-install-recommends and drops the apt lists; no ADD; every
//     ENTRYPOINT, CMD and HEALTHCHECK in exec (JSON) form; one target per service whose
//     ENTRYPOINT is /usr/local/bin/mvoi-<service> and whose HEALTHCHECK runs it with
//     --healthcheck; every COPY source exists in the build context (the repository root)
//     and is not excluded by .dockerignore.
// Usage: node check-dockerfile.js REPO_ROOT [--self-test]   exit 0 clean, 1 problems found
'use strict';
const fs = require('fs');
const path = require('path');
const { validate } = require('dockerfile-utils');
const { DockerfileParser } = require('dockerfile-ast');

const SERVICES = ['calendar', 'impact-calculator', 'kpi-aggregator', 'notifier', 'report', 'gateway'];
const BASE = 'debian:bookworm-slim';
const UID = '10001';

function lint(text) {
  const all = 'error';
  const diags = validate(text, {
    deprecatedMaintainer: all, directiveCasing: all, emptyContinuationLine: all,
    instructionCasing: all, instructionCmdMultiple: all, instructionEntrypointMultiple: all,
    instructionHealthcheckMultiple: all, instructionJSONInSingleQuotes: all,
    instructionWorkdirRelative: all,
  });
  return diags.map((d) => ({
    error: d.severity === 1,
    msg: `line ${d.range.start.line + 1}: ${d.message}`,
  }));
}

function conventions(text, root, ignore) {
  const errors = [];
  const df = DockerfileParser.parse(text);
  const args = {};
  for (const a of df.getInitialARGs()) {
    const p = a.getProperty();
    if (p) args[p.getName()] = p.getValue();
  }
  const stages = [];
  let cur = null;
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    const line = ins.getRange().start.line + 1;
    const raw = (ins.getRawArgumentsContent() || '').replace(/\\\n/g, ' ');
    if (kw === 'FROM') {
      cur = { name: ins.getBuildStage(), line, ins: [], from: ins.getImage() };
      stages.push(cur);
      continue;
    }
    if (!cur) continue;
    cur.ins.push({ kw, line, raw, ins });
  }
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  const E = (line, msg) => errors.push(`line ${line}: ${msg}`);
  const isJSON = (raw) => /^\s*\[/.test(raw);

  for (const s of stages) {
    const img = s.from.replace(/^\$\{?(\w+)\}?$/, (_, v) => args[v] || `$${v}`);
    if (img !== BASE && !names.has(img)) E(s.line, `stage ${s.name}: FROM ${s.from} is neither ${BASE} nor an earlier stage`);
    for (const i of s.ins) {
      if (i.kw === 'ADD') E(i.line, 'use COPY, not ADD');
      if (['ENTRYPOINT', 'CMD'].includes(i.kw) && !isJSON(i.raw)) E(i.line, `${i.kw} must be in exec (JSON) form: a shell form does not forward signals`);
      if (i.kw === 'HEALTHCHECK' && !/^NONE$/.test(i.raw.trim())) {
        const m = /\bCMD\s+(.*)$/s.exec(i.raw);
        if (!m || !isJSON(m[1])) E(i.line, 'HEALTHCHECK CMD must be in exec (JSON) form');
      }
      if (i.kw === 'COPY' && !i.ins.getFlags().some((f) => f.getName() === 'from') && !/--from=/.test(i.raw)) {
        const parts = i.raw.trim().split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          if (!fs.existsSync(path.join(root, src))) E(i.line, `COPY source ${src} does not exist in the build context`);
          else if (src !== '.' && ignore.some((re) => re.test(src))) E(i.line, `COPY source ${src} is excluded by .dockerignore`);
        }
      }
      if (i.kw === 'RUN' && /apt-get\s+install/.test(i.raw) && !/--no-install-recommends/.test(i.raw)) E(i.line, 'apt-get install without --no-install-recommends');
    }
  }

  // The runtime stage: the one the service targets are built FROM.
  const runtimeName = (stages.find((s) => s.name === SERVICES[0]) || {}).from;
  const runtime = stages.find((s) => s.name === runtimeName);
  if (!runtime) E(1, `no runtime stage (the stage ${SERVICES[0]} is built FROM)`);
  else {
    const users = runtime.ins.filter((i) => i.kw === 'USER');
    const u = users.length ? users[users.length - 1].raw.trim() : '';
    if (!/^\d+(:\d+)?$/.test(u) || u.split(':')[0] !== UID) E(runtime.line, `runtime stage must end with USER ${UID} (numeric, non-root), found '${u}'`);
    const runs = runtime.ins.filter((i) => i.kw === 'RUN' && /apt-get\s+install/.test(i.raw));
    if (!runs.length) E(runtime.line, 'runtime stage installs no packages?');
    for (const r of runs) if (!/rm -rf \/var\/lib\/apt\/lists/.test(r.raw)) E(r.line, 'remove /var/lib/apt/lists/* in the same RUN as apt-get install');
    if (!runtime.ins.some((i) => i.kw === 'ENV' && /MVOI_DATA_DIR=/.test(i.raw))) E(runtime.line, 'runtime stage must set MVOI_DATA_DIR');
    if (runtime.ins.some((i) => i.kw === 'ENTRYPOINT')) E(runtime.line, 'the shared runtime stage must not choose a service');
  }
  for (const svc of SERVICES) {
    const st = stages.find((s) => s.name === svc);
    if (!st) { E(1, `no build target for ${svc}`); continue; }
    const ep = st.ins.find((i) => i.kw === 'ENTRYPOINT');
    const exe = `/usr/local/bin/mvoi-${svc}`;
    let epv = null;
    try { epv = ep && JSON.parse(ep.raw); } catch (e) { epv = null; }
    if (JSON.stringify(epv) !== JSON.stringify([exe])) E(st.line, `target ${svc}: ENTRYPOINT must be ["${exe}"]`);
    const hc = st.ins.find((i) => i.kw === 'HEALTHCHECK');
    const m = hc && /\bCMD\s+(\[.*\])\s*$/s.exec(hc.raw);
    let cmd = null;
    try { cmd = m && JSON.parse(m[1]); } catch (e) { cmd = null; }
    if (!cmd || cmd[0] !== exe || !/^--healthcheck(=(live|ready))?$/.test(cmd[1] || '')) E(st.line, `target ${svc}: HEALTHCHECK CMD must be ["${exe}", "--healthcheck..."]`);
  }
  return errors;
}

function dockerignore(root) {
  const f = path.join(root, '.dockerignore');
  if (!fs.existsSync(f)) return { missing: true, res: [] };
  const res = fs.readFileSync(f, 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((p) => new RegExp('^' + p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*\*\//g, '(.*/)?')
      .replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '(/.*)?$'));
  return { missing: false, res };
}

function checkAll(text, root) {
  const ign = dockerignore(root);
  const out = [];
  const diags = lint(text);
  for (const d of diags) out.push({ error: d.error, msg: `dockerfile-utils: ${d.msg}` });
  for (const e of conventions(text, root, ign.res)) out.push({ error: true, msg: e });
  if (ign.missing) out.push({ error: true, msg: '.dockerignore missing at the repository root' });
  else for (const must of ['.git', 'build']) if (!ign.res.some((re) => re.test(must))) out.push({ error: true, msg: `.dockerignore should exclude ${must}` });
  return out;
}

function main() {
  const root = process.argv[2];
  const self = process.argv.includes('--self-test');
  if (!root) { console.error('usage: check-dockerfile.js REPO_ROOT [--self-test]'); process.exit(64); }
  const file = path.join(root, 'deploy/docker/Dockerfile');
  const text = fs.readFileSync(file, 'utf8');
  const res = checkAll(text, root);
  for (const r of res) (r.error ? console.error : console.log)(`${r.error ? 'FAIL' : 'warn'} ${file}: ${r.msg}`);
  let bad = res.some((r) => r.error);
  if (self && !bad) {
    // Each broken variant must be caught, or the check proves nothing.
    const cases = {
      'shell-form entrypoint': [text.replace(/^ENTRYPOINT \["\/usr\/local\/bin\/mvoi-calendar"\]$/m, 'ENTRYPOINT /usr/local/bin/mvoi-calendar'), /exec \(JSON\) form|ENTRYPOINT must be/],
      'root user': [text.replace(/^USER 10001:10001$/m, 'USER root'), /USER 10001/],
      'bad flag': [text.replace('--interval=10s', '--interval=10parsecs'), /dockerfile-utils/],
      'unknown instruction': [text.replace('STOPSIGNAL SIGTERM', 'STOPSIGNALS SIGTERM'), /dockerfile-utils/],
      'missing COPY source': [text.replace('COPY scripts/bootstrap', 'COPY scripts/bootstrapp'), /does not exist/],
      'other base': [text.replace(/^ARG DEBIAN=.*$/m, 'ARG DEBIAN=ubuntu:24.04'), /neither debian:bookworm-slim/],
      'shell healthcheck': [text.replace('CMD ["/usr/local/bin/mvoi-notifier", "--healthcheck=ready"]', 'CMD /usr/local/bin/mvoi-notifier --healthcheck'), /HEALTHCHECK/],
    };
    for (const [n, [variant, expect]] of Object.entries(cases)) {
      if (variant === text) { console.error(`FAIL self-test ${n}: the mutation did not apply`); bad = true; continue; }
      const hit = checkAll(variant, root).find((r) => r.error && expect.test(r.msg));
      if (!hit) { console.error(`FAIL self-test ${n}: a broken Dockerfile passed`); bad = true; }
      else console.log(`self-test ${n}: caught (${hit.msg})`);
    }
  }
  if (!bad) console.log('Dockerfile: ok');
  process.exit(bad ? 1 : 0);
}
if (require.main === module) main();
module.exports = { checkAll };
