/* mvoi dashboard: live KPI tiles from the gateway's SSE stream (/api/stream), texts from the
 * catalogue (/api/texts), lists from the JSON API. Loads nothing from elsewhere. */
'use strict';
(function () {
  const KPIS = ['fairtrade', 'sroi', 'nox', 'material', 'co2', 'pilots'];
  const THEMES = [['klimaat', 'co2'], ['circulair', 'material'], ['milieu', 'nox'],
                  ['isv', 'fairtrade'], ['social_return', 'sroi'], ['diversiteit_inclusie', 'pilots']];
  const params = new URLSearchParams(location.search);
  const token = params.get('access_token');
  const year = parseInt(params.get('year') || String(new Date().getFullYear()), 10);
  let T = {}, lang = 'nl', buyer = '', totals = new Map(), seq = 0, listTimer = 0;
  let trendKpi = params.get('trend') || 'co2';

  const $ = (id) => document.getElementById(id);
  const t = (k) => (k in T ? T[k] : k);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') +
    'access_token=' + encodeURIComponent(token) : url;
  const getJSON = (url) => fetch(withToken(url), { headers: { Accept: 'application/json' } })
    .then((r) => r.ok ? r.json() : Promise.reject(r.status));

  /* ---- numbers: exact integers in, a readable figure out ---- */
  function scaled(v, unit) {
    v = Number(v || 0);
    switch (unit) {
      case 'g': return [v / 1000, t('dash.unit.kg')];
      case 'mg': return [v / 1e6, t('dash.unit.kg')];
      case 'cent': return [v / 100, t('dash.unit.eur')];
      case 'products': return [v, t('dash.unit.products')];
      case 'pilots': return [v, t('dash.unit.pilots')];
      default: return [v, unit || ''];
    }
  }
  function fmt(v, unit) {
    const [n, u] = scaled(v, unit);
    const loc = lang === 'en' ? 'en-GB' : 'nl-NL';
    return [n.toLocaleString(loc, { maximumFractionDigits: n < 100 ? 1 : 0 }), u];
  }
  const key = (k, win, rest) => 'kpi.' + k + '.' + win + '.' + buyer + (rest || '');
  const get = (k) => totals.get(k);

  /* ---- tiles ---- */
  function buildTiles() {
    const box = $('tiles');
    box.textContent = '';
    for (const k of KPIS) {
      const tile = el('article', 'tile');
      tile.id = 'tile-' + k;
      tile.append(el('h3', '', t('kpi.' + k)));
      const v = el('div');
      const val = el('span', 'value', '–');
      val.id = 'val-' + k;
      val.dataset.testid = 'kpi-' + k;
      const unit = el('span', 'unit', '');
      unit.id = 'unit-' + k;
      v.append(val, unit);
      const sub = el('div', 'sub', '');
      sub.id = 'sub-' + k;
      tile.append(v, sub);
      box.append(tile);
    }
  }
  function renderTile(k) {
    const tot = get(key(k, year));
    const val = $('val-' + k);
    if (!val) return;
    if (!tot) { val.textContent = '0'; return; }
    const [n, u] = fmt(tot.realisation, tot.unit);
    if (val.textContent !== n) {
      val.textContent = n;
      val.dataset.raw = String(tot.realisation || 0);
      const tile = $('tile-' + k);
      tile.classList.add('flash');
      setTimeout(() => tile.classList.remove('flash'), 600);
    }
    $('unit-' + k).textContent = u;
    const amb = fmt(tot.ambition, tot.unit);
    let sub = t('kpi.ambition') + ' ' + amb[0] + ' · ' + t('kpi.projects') + ' ' + (tot.projects || 0);
    if (tot.target) sub += ' · ' + t('dash.of_target').replace('%s', fmt(tot.target, tot.unit)[0]);
    $('sub-' + k).textContent = sub;
  }

  /* ---- realisation per theme as a share of its ambition (units differ per theme,
   *      percentages do not); diversity and inclusion: realised pilots of the target ---- */
  function renderThemes() {
    const box = $('themes');
    box.textContent = '';
    const loc = lang === 'en' ? 'en-GB' : 'nl-NL';
    const SCALE = 200;   /* the bar spans 0..200 %; the line marks 100 % */
    for (const [th, k] of THEMES) {
      const tot = get(key(k, year, '.theme.' + th)) || {};
      const yearTot = get(key(k, year)) || {};
      const r = Number((k === 'pilots' ? yearTot : tot).realisation || 0);
      const a = k === 'pilots' ? Number(yearTot.target || 3) : Number(tot.ambition || 0);
      const unit = tot.unit || yearTot.unit;
      const row = el('div', 'bar-row');
      row.dataset.theme = th;
      const bars = el('div', 'bars share');
      let label;
      if (a > 0) {
        const pct = 100 * r / a;
        const br = el('div', 'bar real' + (pct >= 100 ? ' met' : ''));
        br.style.width = Math.min(pct, SCALE) / SCALE * 100 + '%';
        const mark = el('i', 'mark');
        mark.style.left = 100 / SCALE * 100 + '%';
        bars.append(br, mark);
        label = pct.toLocaleString(loc, { maximumFractionDigits: 0 }) + ' %';
        row.title = t('kpi.realisation') + ' ' + fmt(r, unit).join(' ') + ' / ' +
          (k === 'pilots' ? t('kpi.target') : t('kpi.ambition')) + ' ' + fmt(a, unit).join(' ');
      } else {
        label = t('dash.no_ambition');
      }
      const val = el('span', 'share-val', label);
      row.append(el('span', '', t('theme.' + th)), bars, val);
      box.append(row);
    }
    box.append(el('div', 'legend', t('dash.share_legend')));
  }

  /* ---- pilots against the target (3 a year) ---- */
  function renderPilots() {
    const tot = get(key('pilots', year)) || {};
    const target = Number(tot.target || 3), n = Number(tot.realisation || 0);
    const amb = Number(tot.ambition || 0);
    const box = $('pilots');
    box.textContent = '';
    const p = el('div', 'progress');
    const bar = el('div');
    bar.style.width = Math.min(100, 100 * n / target) + '%';
    p.append(bar);
    p.setAttribute('role', 'progressbar');
    p.setAttribute('aria-valuenow', String(n));
    p.setAttribute('aria-valuemax', String(target));
    box.append(el('div', 'tile-big', n + ' / ' + target + ' ' + t('dash.unit.pilots')), p,
      el('div', 'sub', t('kpi.ambition') + ': ' + amb));
  }

  /* ---- quarterly trend: own inline SVG ---- */
  function renderTrend() {
    const ns = 'http://www.w3.org/2000/svg';
    const W = 600, H = 200, P = 34;
    const qs = [1, 2, 3, 4].map((q) => get(key(trendKpi, year + '-q' + q)) || {});
    const vals = qs.map((x) => scaled(x.realisation, x.unit)[0]);
    const ambs = qs.map((x) => scaled(x.ambition, x.unit)[0]);
    const max = Math.max(1, ...vals, ...ambs);
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', t('dash.trend') + ' ' + t('kpi.' + trendKpi));
    const mk = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const a in attrs) e.setAttribute(a, attrs[a]);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    mk('line', { x1: P, y1: H - P, x2: W - 10, y2: H - P, stroke: '#9aa8b1' });
    const bw = (W - P - 20) / 4;
    vals.forEach((v, i) => {
      const x = P + i * bw + bw * 0.2, h = (H - 2 * P) * v / max;
      const a = (H - 2 * P) * ambs[i] / max;
      mk('rect', { x: x, y: H - P - a, width: bw * 0.28, height: a, fill: '#9ec5dc' });
      mk('rect', { x: x + bw * 0.3, y: H - P - h, width: bw * 0.28, height: h, fill: '#00689e' });
      mk('text', { x: x, y: H - P + 16 }, 'Q' + (i + 1) + ' ' + year);
      mk('text', { x: x + bw * 0.3, y: H - P - h - 4 },
        v.toLocaleString(lang === 'en' ? 'en-GB' : 'nl-NL', { maximumFractionDigits: 1 }));
    });
    const u = scaled(0, (qs.find((x) => x.unit) || {}).unit)[1];
    mk('text', { x: 2, y: 12 }, u);
    const box = $('trend');
    box.textContent = '';
    box.append(svg);
  }

  function renderAll() {
    KPIS.forEach(renderTile);
    renderThemes();
    renderPilots();
    renderTrend();
    $('seq').textContent = seq ? '#' + seq : '';
    $('updated').textContent = t('dash.updated') + ' ' + new Date().toLocaleTimeString(lang === 'en' ? 'en-GB' : 'nl-NL');
  }
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; renderAll(); });
  }

  function setStatus(kind) {
    const s = $('status');
    s.className = 'status ' + kind;
    s.textContent = kind === 'live' ? t('dash.live') : kind === 'stale' ? t('dash.stale') : t('dash.connecting');
  }

  /* ---- lists from the JSON API ---- */
  function fillList(id, items, render) {
    const ul = $(id);
    ul.textContent = '';
    if (!items || !items.length) { ul.append(el('li', '', t('dash.none'))); return; }
    for (const it of items) {
      const li = el('li');
      const [a, b] = render(it);
      li.append(el('span', '', a), el('span', '', b));
      ul.append(li);
    }
  }
  function loadLists() {
    getJSON('/api/tenders?view=upcoming&limit=8')
      .then((r) => fillList('upcoming', r.tenders, (x) => [x.title || x.id, x.planned_publication || '']))
      .catch(() => fillList('upcoming', [{ }], () => [t('dash.unavailable'), '']));
    /* the next reminders first, each kind in words, the date spelled out */
    getJSON('/api/reminders?state=scheduled&limit=50')
      .then((r) => fillList('reminders', (r.reminders || []).slice()
        .sort((a, b) => Number(a.due_ms || 0) - Number(b.due_ms || 0)).slice(0, 8), (x) => [
        (x.title || x.tender_id || '') + ' · ' + (T['dash.kind.' + x.kind] || x.kind || ''),
        x.due_ms ? new Date(Number(x.due_ms)).toLocaleDateString(lang === 'en' ? 'en-GB' : 'nl-NL',
          { day: 'numeric', month: 'long', year: 'numeric' }) : '']))
      .catch(() => fillList('reminders', [{ }], () => [t('dash.unavailable'), '']));
    getJSON('/api/measurements?limit=10')
      .then((r) => fillList('measurements', (r.records || []).slice().reverse(), (x) => {
        const m = x.measurement || {};
        return [(m.id || '') + ' · ' + (m.tender_id || ''), m.period_end || m.period_start || ''];
      }))
      .catch(() => fillList('measurements', [{ }], () => [t('dash.unavailable'), '']));
  }

  /* ---- the stream ---- */
  function connect() {
    const es = new EventSource(withToken('/api/stream'));
    es.addEventListener('snapshot', (e) => {
      const s = JSON.parse(e.data);
      totals = new Map();
      for (const x of s.totals || []) totals.set(x.key, x);
      seq = s.seq || seq;
      setStatus('live');
      schedule();
    });
    es.addEventListener('kpi', (e) => {
      const x = JSON.parse(e.data);
      const cur = totals.get(x.key);
      if (!cur || Number(cur.seq || 0) < Number(x.seq || 0)) totals.set(x.key, x);
      seq = Math.max(seq, Number(x.seq || 0));
      setStatus('live');
      schedule();
      if (!listTimer) listTimer = setTimeout(() => { listTimer = 0; loadLists(); }, 2000);
    });
    es.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      setStatus(s.fresh ? 'live' : 'stale');
    });
    es.onerror = () => setStatus('connecting');
  }

  function init() {
    lang = params.get('lang') || '';
    getJSON('/api/texts' + (lang ? '?lang=' + encodeURIComponent(lang) : '')).then((r) => {
      T = r.texts || {};
      lang = r.lang;
      buyer = r.buyer;
      document.documentElement.lang = lang;
      document.title = t('dash.title');
      $('title').textContent = t('dash.title');
      $('subtitle').textContent = t('dash.subtitle') + ' · ' + buyer;
      /* the year picker: a few years around this one; a choice reloads with ?year= */
      const ys = $('year');
      ys.setAttribute('aria-label', t('dash.year'));
      const now = new Date().getFullYear();
      for (let y = Math.min(year, now - 3); y <= Math.max(year, now + 1); y++) {
        const o = el('option', '', String(y));
        o.value = String(y);
        if (y === year) o.selected = true;
        ys.append(o);
      }
      ys.addEventListener('change', () => {
        const q = new URLSearchParams(location.search);
        q.set('year', ys.value);
        location.search = '?' + q.toString();
      });
      $('h-themes').textContent = t('dash.themes');
      $('h-pilots').textContent = t('dash.pilots_target');
      $('h-trend').textContent = t('dash.trend');
      $('h-upcoming').textContent = t('dash.upcoming');
      $('h-reminders').textContent = t('dash.reminders');
      $('h-measurements').textContent = t('dash.measurements');
      const other = lang === 'en' ? 'nl' : 'en';
      const q = new URLSearchParams(location.search);
      q.set('lang', other);
      $('lang').textContent = t('dash.language');
      $('lang').href = '?' + q.toString();
      const sel = $('trend-kpi');
      for (const k of KPIS) {
        const o = el('option', '', t('kpi.' + k));
        o.value = k;
        if (k === trendKpi) o.selected = true;
        sel.append(o);
      }
      sel.addEventListener('change', () => { trendKpi = sel.value; schedule(); });
      setStatus('connecting');
      buildTiles();
      renderAll();
      connect();
      loadLists();
      setInterval(loadLists, 30000);
    });
  }
  document.addEventListener('DOMContentLoaded', init);
})();
