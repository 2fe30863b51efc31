#!/usr/bin/env node
// Offline check of deploy/k8s/*.yaml:
//  1. every document against its Kubernetes schema (npm kubernetes-models: the OpenAPI
//     schemas compiled with ajv), plus unknown fields: the compiled validators do not reject
//     them, so each document is validated through a Proxy that records which fields the
//     validator looked at; a field it never read is not in the schema (a typo such as
//     `readinesProbe` is otherwise silently ignored by kubectl apply);
//  2. mvoi's own conventions (docs/design.md#operations): each LMDB owner a
//     StatefulSet with one replica and a ReadWriteOnce claim mounted at
//     /var/lib/mvoi/<service>; stateless services as Deployments; non-root 10001, fsGroup,
//     read-only root, no capabilities; startup/liveness/readiness probes; every Service,
//     PodDisruptionBudget, ConfigMap, Secret and endpoint reference resolves.
// Usage: node check-k8s.js DIR            exit 0 clean, 1 problems found
//        node check-k8s.js --self-test DIR  also checks that broken copies are caught
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const LMDB_OWNERS = ['calendar', 'impact-calculator', 'kpi-aggregator', 'notifier', 'report'];
const STATELESS = ['gateway'];
const NS = 'mvoi';
const UID = 10001;

function modelFor(apiVersion, kind) {
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  let mod;
  try {
    mod = require(`kubernetes-models/${group}`);
  } catch (e) {
    return null;
  }
  return mod[kind] || null;
}
// The compiled schema function behind a model (the model's validate() first serialises the
// whole object, which would read every field and hide unknown ones from the Proxy).
function schemaFor(apiVersion, kind) {
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  const file = require.resolve(`kubernetes-models/${group}/${kind}`);
  const m = /require\("(\.\.\/[^"]*_schemas\/[A-Za-z0-9]+\.js)"\)/.exec(fs.readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no schema found in ${file}`);
  return require(path.resolve(path.dirname(file), m[1])).validate;
}

// Deep proxy recording every property path the validator reads.
function tracked(value, p, seen) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(t, k) {
      if (typeof k !== 'string') return Reflect.get(t, k);
      seen.add(`${p}/${k}`);
      return tracked(t[k], `${p}/${k}`, seen);
    },
  });
}
function unknownFields(obj, p, seen, out) {
  if (obj === null || typeof obj !== 'object') return;
  for (const k of Object.keys(obj)) {
    const q = `${p}/${k}`;
    if (p !== '' && !seen.has(q)) out.push(q);
    else unknownFields(obj[k], q, seen, out);
  }
}

function schemaCheck(doc, where, errors) {
  if (!doc || typeof doc !== 'object') { errors.push(`${where}: not a mapping`); return; }
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    errors.push(`${where}: apiVersion and kind are required`);
    return;
  }
  if (kind === 'Kustomization') return;   // not an API object; checked below
  const Model = modelFor(apiVersion, kind);
  if (!Model) { errors.push(`${where}: unknown apiVersion/kind ${apiVersion} ${kind}`); return; }
  const top = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'data', 'stringData', 'binaryData',
                       'type', 'immutable']);
  for (const k of Object.keys(doc)) if (!top.has(k)) errors.push(`${where}: unknown top-level field ${k}`);
  try {
    new Model(doc).validate();
  } catch (e) {
    errors.push(`${where} (${kind} ${doc.metadata && doc.metadata.name}): ${e.message}`);
    return;
  }
  const seen = new Set();
  schemaFor(apiVersion, kind)(tracked(doc, '', seen));
  const unk = [];
  unknownFields(doc, '', seen, unk);
  for (const u of unk) errors.push(`${where} (${kind} ${doc.metadata.name}): unknown field ${u}`);
}

function load(dir) {
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = [];
  const errors = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const all = YAML.parseAllDocuments(text, { uniqueKeys: true });
    all.forEach((d, i) => {
      for (const e of d.errors) errors.push(`${f}#${i}: YAML: ${e.message}`);
      for (const w of d.warnings) errors.push(`${f}#${i}: YAML: ${w.message}`);
      const js = d.toJS();
      if (js !== null && js !== undefined) docs.push({ file: f, index: i, doc: js });
    });
  }
  return { files, docs, errors };
}

const labelsMatch = (sel, labels) =>
  sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels && labels[k] === v);

function conventions({ files, docs }, errors) {
  const E = (where, msg) => errors.push(`${where}: ${msg}`);
  const by = (kind) => docs.filter((d) => d.doc && d.doc.kind === kind);
  const name = (d) => d.doc.metadata && d.doc.metadata.name;
  const where = (d) => `${d.file}#${d.index} ${d.doc.kind} ${name(d)}`;

  if (!by('Namespace').some((d) => name(d) === NS)) E('k8s', `no Namespace ${NS}`);
  for (const d of docs) {
    if (['Namespace', 'Kustomization'].includes(d.doc.kind)) continue;
    if (!d.doc.metadata || d.doc.metadata.namespace !== NS) E(where(d), `metadata.namespace must be ${NS}`);
  }

  const services = by('Service');
  const configMaps = Object.fromEntries(by('ConfigMap').map((d) => [name(d), d.doc.data || {}]));
  const secrets = Object.fromEntries(by('Secret').map((d) => [name(d),
    Object.assign({}, d.doc.data || {}, d.doc.stringData || {})]));
  const workloads = [...by('StatefulSet'), ...by('Deployment')];
  const images = new Set();

  for (const svc of LMDB_OWNERS) {
    const sts = by('StatefulSet').find((d) => name(d) === svc);
    if (!sts) { E('k8s', `LMDB owner ${svc} must be a StatefulSet`); continue; }
    const s = sts.doc.spec;
    if (s.replicas !== 1) E(where(sts), 'replicas must be 1 (one writer per LMDB environment)');
    const vcts = s.volumeClaimTemplates || [];
    if (vcts.length !== 1) E(where(sts), 'needs exactly one volumeClaimTemplate');
    for (const v of vcts) {
      const modes = (v.spec && v.spec.accessModes) || [];
      if (modes.length !== 1 || modes[0] !== 'ReadWriteOnce') E(where(sts), `claim ${v.metadata.name}: accessModes must be [ReadWriteOnce]`);
      const c = s.template.spec.containers[0];
      const m = (c.volumeMounts || []).find((vm) => vm.name === v.metadata.name);
      if (!m || m.mountPath !== `/var/lib/mvoi/${svc}`) E(where(sts), `claim ${v.metadata.name} must be mounted at /var/lib/mvoi/${svc}`);
    }
    const gov = services.find((d) => name(d) === s.serviceName);
    if (!gov) E(where(sts), `serviceName ${s.serviceName} has no Service`);
    else if (gov.doc.spec.clusterIP !== 'None') E(where(gov), 'the governing Service of a StatefulSet must be headless');
  }
  for (const svc of STATELESS) {
    const dep = by('Deployment').find((d) => name(d) === svc);
    if (!dep) { E('k8s', `stateless ${svc} must be a Deployment`); continue; }
    if ((dep.doc.spec.template.spec.volumes || []).some((v) => v.persistentVolumeClaim)) E(where(dep), 'a stateless Deployment must not mount a PVC');
  }

  for (const w of workloads) {
    const spec = w.doc.spec;
    if (!labelsMatch(spec.selector && spec.selector.matchLabels, spec.template.metadata.labels)) E(where(w), 'selector does not match the pod labels');
    const ps = spec.template.spec;
    const psc = ps.securityContext || {};
    if (psc.runAsNonRoot !== true) E(where(w), 'pod securityContext.runAsNonRoot must be true');
    if (psc.runAsUser !== UID || psc.runAsGroup !== UID || psc.fsGroup !== UID) E(where(w), `runAsUser, runAsGroup and fsGroup must be ${UID}`);
    if (!psc.seccompProfile || psc.seccompProfile.type !== 'RuntimeDefault') E(where(w), 'seccompProfile RuntimeDefault required');
    if (ps.automountServiceAccountToken !== false) E(where(w), 'automountServiceAccountToken must be false');
    const vols = Object.fromEntries((ps.volumes || []).map((v) => [v.name, v]));
    for (const v of spec.volumeClaimTemplates || []) vols[v.metadata.name] = { pvc: true };
    for (const c of ps.containers) {
      const cw = `${where(w)} container ${c.name}`;
      images.add(c.image);
      const csc = c.securityContext || {};
      if (csc.readOnlyRootFilesystem !== true) E(cw, 'readOnlyRootFilesystem must be true');
      if (csc.allowPrivilegeEscalation !== false) E(cw, 'allowPrivilegeEscalation must be false');
      if (!(csc.capabilities && (csc.capabilities.drop || []).includes('ALL'))) E(cw, 'capabilities must drop ALL');
      for (const p of ['startupProbe', 'livenessProbe', 'readinessProbe']) if (!c[p]) E(cw, `${p} missing`);
      const exe = (c.command || [])[0] || '';
      if (exe !== `/usr/local/bin/mvoi-${name(w)}`) E(cw, `command must start /usr/local/bin/mvoi-${name(w)}`);
      for (const p of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const pr = c[p];
        if (pr && pr.exec) {
          const cmd = pr.exec.command || [];
          if (cmd[0] !== exe || !/^--healthcheck(=(live|ready))?$/.test(cmd[1] || '')) E(cw, `${p} must run ${exe} --healthcheck[=live|ready]`);
          if (p === 'readinessProbe' && cmd[1] === '--healthcheck=live') E(cw, 'readinessProbe must ask for ready');
          if (p !== 'readinessProbe' && cmd[1] !== '--healthcheck=live') E(cw, `${p} must ask for live (ready depends on upstreams)`);
        }
      }
      if (!(c.resources && c.resources.limits && c.resources.limits.memory)) E(cw, 'resources.limits.memory missing');
      if (!(c.resources && c.resources.requests)) E(cw, 'resources.requests missing');
      const mounts = c.volumeMounts || [];
      if (!mounts.some((m) => m.mountPath === '/tmp')) E(cw, 'needs a writable /tmp (emptyDir) with a read-only root');
      for (const m of mounts) if (!vols[m.name]) E(cw, `volumeMount ${m.name} has no volume`);
      for (const ef of c.envFrom || []) {
        if (ef.configMapRef && !configMaps[ef.configMapRef.name]) E(cw, `envFrom ConfigMap ${ef.configMapRef.name} not defined`);
        if (ef.secretRef && !secrets[ef.secretRef.name]) E(cw, `envFrom Secret ${ef.secretRef.name} not defined`);
      }
      // Every MVOI_* variable: bind addresses use this container's ports; other endpoints
      // name a Service of this set with that port.
      const env = {};
      for (const ef of c.envFrom || []) if (ef.configMapRef) Object.assign(env, configMaps[ef.configMapRef.name] || {});
      for (const e of c.env || []) env[e.name] = e.value;
      const cports = new Set((c.ports || []).map((p) => p.containerPort));
      const pfx = `MVOI_${name(w).toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
      for (const [k, v] of Object.entries(env)) {
        const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(String(v));
        if (!m) continue;
        const port = Number(m[2]);
        if (m[1] === '0.0.0.0' || m[1] === '*') {
          if (!k.startsWith(pfx)) E(cw, `${k} binds ${v} but is not one of this service's keys`);
          if (!cports.has(port)) E(cw, `${k} binds port ${port}, which is not a containerPort`);
        } else {
          const target = services.find((s) => name(s) === m[1]);
          if (!target) E(cw, `${k}=${v}: no Service named ${m[1]}`);
          else if (!(target.doc.spec.ports || []).some((p) => p.port === port)) E(cw, `${k}=${v}: Service ${m[1]} has no port ${port}`);
        }
        if (k.startsWith(pfx) && /_(API|PUB)$/.test(k) && k.split('_').length === pfx.split('_').length
            && m[1] !== '0.0.0.0') E(cw, `${k} is this service's own endpoint: it must bind tcp://0.0.0.0:<port>`);
      }
      for (const [k] of Object.entries(env)) if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) E(cw, `bad environment variable name ${k}`);
    }
    for (const v of Object.values(vols)) {
      if (v.secret) {
        const sec = secrets[v.secret.secretName];
        if (!sec) E(where(w), `Secret ${v.secret.secretName} not defined`);
        else for (const it of v.secret.items || []) if (!(it.key in sec)) E(where(w), `Secret ${v.secret.secretName} has no key ${it.key}`);
      }
      if (v.configMap && !configMaps[v.configMap.name]) E(where(w), `ConfigMap ${v.configMap.name} not defined`);
    }
    if (!by('PodDisruptionBudget').some((p) => labelsMatch(p.doc.spec.selector.matchLabels, spec.template.metadata.labels))) E(where(w), 'no PodDisruptionBudget selects it');
  }
  if (images.size !== 1) E('k8s', `every workload should run the same image, found ${[...images].join(', ')}`);

  for (const s of services) {
    const target = workloads.find((w) => labelsMatch(s.doc.spec.selector, w.doc.spec.template.metadata.labels));
    if (!target) { E(where(s), 'selects no workload'); continue; }
    const names = new Set(target.doc.spec.template.spec.containers.flatMap((c) => (c.ports || []).map((p) => p.name)));
    for (const p of s.doc.spec.ports || []) if (typeof p.targetPort === 'string' && !names.has(p.targetPort)) E(where(s), `targetPort ${p.targetPort} is not a named container port`);
  }
  for (const p of by('PodDisruptionBudget')) {
    if (!workloads.some((w) => labelsMatch(p.doc.spec.selector.matchLabels, w.doc.spec.template.metadata.labels))) E(where(p), 'selects no workload');
    const sts = by('StatefulSet').find((w) => labelsMatch(p.doc.spec.selector.matchLabels, w.doc.spec.template.metadata.labels));
    if (sts && p.doc.spec.minAvailable !== undefined) E(where(p), 'minAvailable on a one-replica StatefulSet blocks every node drain; use maxUnavailable: 1');
  }
  for (const h of by('HorizontalPodAutoscaler')) {
    const t = h.doc.spec.scaleTargetRef;
    if (t.kind !== 'Deployment' || !STATELESS.includes(t.name)) E(where(h), 'only stateless Deployments may autoscale');
  }
  for (const [cm, data] of Object.entries(configMaps)) for (const k of Object.keys(data)) if (!/^MVOI_[A-Z0-9_]+$/.test(k)) E(`ConfigMap ${cm}`, `key ${k} is not an MVOI_* variable`);

  const kust = docs.find((d) => d.doc.kind === 'Kustomization');
  if (!kust) E('k8s', 'no kustomization.yaml');
  else {
    const res = kust.doc.resources || [];
    for (const r of res) if (!files.includes(r)) E(where(kust), `resource ${r} does not exist`);
    for (const f of files) {
      if (f === kust.file || res.includes(f)) continue;
      const kinds = docs.filter((d) => d.file === f).map((d) => d.doc.kind);
      if (!kinds.every((k) => k === 'Secret')) E(where(kust), `${f} is not listed in resources`);
    }
  }
}

function check(set) {
  const errors = [...set.errors];
  set.docs.forEach((d) => schemaCheck(d.doc, `${d.file}#${d.index}`, errors));
  conventions(set, errors);
  return errors;
}

// The checker must catch what it claims to catch: each mutation of a deep copy must fail.
function selfTest(set) {
  const copy = () => ({ files: set.files, errors: [], docs: JSON.parse(JSON.stringify(set.docs)) });
  const find = (s, kind, n) => s.docs.find((d) => d.doc.kind === kind && d.doc.metadata.name === n).doc;
  const cases = {
    'schema type': [(s) => { find(s, 'StatefulSet', 'calendar').spec.replicas = 'one'; }, /must be integer/],
    'unknown field': [(s) => { find(s, 'StatefulSet', 'kpi-aggregator').spec.template.spec.containers[0].readinesProbe = {}; }, /unknown field .*readinesProbe/],
    'unknown nested field': [(s) => { find(s, 'Service', 'calendar').spec.ports[0].targetport = 7101; }, /unknown field .*targetport/],
    'two replicas': [(s) => { find(s, 'StatefulSet', 'notifier').spec.replicas = 2; }, /replicas must be 1/],
    'root user': [(s) => { find(s, 'Deployment', 'gateway').spec.template.spec.securityContext.runAsUser = 0; }, /must be 10001/],
    'dangling endpoint': [(s) => { find(s, 'ConfigMap', 'mvoi-env').data.MVOI_REPORT_KPI_API = 'tcp://kpi:7301'; }, /no Service named kpi/],
    'wrong port': [(s) => { find(s, 'ConfigMap', 'mvoi-env').data.MVOI_KPI_AGGREGATOR_IMPACT_PUB = 'tcp://impact-calculator:7203'; }, /has no port 7203/],
    'missing secret key': [(s) => { delete find(s, 'Secret', 'mvoi-secrets').stringData['gateway-tokens']; }, /has no key gateway-tokens/],
    'writable root': [(s) => { find(s, 'StatefulSet', 'report').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem/],
    'shared volume mode': [(s) => { find(s, 'StatefulSet', 'impact-calculator').spec.volumeClaimTemplates[0].spec.accessModes = ['ReadWriteMany']; }, /ReadWriteOnce/],
  };
  const failed = [];
  for (const [n, [mutate, expect]] of Object.entries(cases)) {
    const s = copy();
    mutate(s);
    const errs = check(s);
    const hit = errs.find((e) => expect.test(e));
    if (!hit) failed.push(`${n} (got: ${errs[0] || 'no error'})`);
    else console.log(`self-test ${n}: caught (${hit})`);
  }
  return failed;
}

function main() {
  const args = process.argv.slice(2);
  const self = args[0] === '--self-test';
  const dir = self ? args[1] : args[0];
  if (!dir) { console.error('usage: check-k8s.js [--self-test] DIR'); process.exit(64); }
  const set = load(dir);
  const errors = check(set);
  const kinds = {};
  for (const d of set.docs) kinds[d.doc.kind] = (kinds[d.doc.kind] || 0) + 1;
  console.log(`${set.files.length} files, ${set.docs.length} documents: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  for (const e of errors) console.error(`FAIL ${e}`);
  let bad = errors.length > 0;
  if (self && !bad) {
    const missed = selfTest(set);
    for (const m of missed) console.error(`FAIL self-test: a broken copy (${m}) passed`);
    bad = missed.length > 0;
  }
  if (!bad) console.log('k8s manifests: ok');
  process.exit(bad ? 1 : 0);
}
main();
