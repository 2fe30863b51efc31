/* mvoi dashboard: live KPI tiles from the gateway's SSE stream (/api/stream), texts from the
 * catalogue (/api/texts), lists from the JSON API. Loads nothing from elsewhere. */
'use strict';
(function () {
  const KPIS = ['fairtrade', 'sroi', 'nox', 'material', 'co2', 'pilots'];
  const THEMES = [['klimaat', 'co2'], ['circulair', 'material'], ['milieu', 'nox'],
                  ['isv', 'fairtrade'], ['social_return', 'sroi'], ['diversiteit_inclusie', 'pilots']];
  const params = new URLSearchParams(location.search);
  const token = params.get('access_token');
  /* the buyer whose figures are shown: ?buyer= (the gateway's default when absent); every
   * request names it, so a page never mixes two buyers */
  const wantBuyer = params.get('buyer') || '';
  /* the year shown: ?year= exactly as the gateway accepts it (four digits, 2000..2100),
   * else NaN: a year the page cannot read shows no figures at all (parseInt("abc") would
   * match no total and every tile would read 0, shown as live) */
  const yearParam = params.get('year');
  const year = yearParam === null ? new Date().getFullYear()
    : /^\d{4}$/.test(yearParam) && +yearParam >= 2000 && +yearParam <= 2100 ? +yearParam : NaN;
  let T = {}, lang = '', buyer = '', totals = new Map(), seq = 0, listTimer = 0;
  /* no figure before the first snapshot: a tile shows "–", never a 0 that was not counted;
   * after a disconnect the figures stay but are marked as not live (class "offline") */
  /* fresh: the gateway's last word on this stream ({"fresh":false} until a snapshot or
   * {"fresh":true}); an update after {"fresh":false} does not make the figures live */
  let haveSnapshot = false, lastLive = 0, fresh = true;
  let trendKpi = params.get('trend') || 'co2';

  const $ = (id) => document.getElementById(id);
  const t = (k) => (k in T ? T[k] : k);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const addArg = (url, k, v) => url + (url.includes('?') ? '&' : '?') + k + '=' + encodeURIComponent(v);
  const withToken = (url) => {
    if (wantBuyer && !/[?&]buyer=/.test(url)) url = addArg(url, 'buyer', wantBuyer);
    /* the page's language, once known (its ?lang=, else the gateway's, from /api/texts):
     * every answer of the gateway, refusals too, in it */
    if (lang && !/[?&]lang=/.test(url)) url = addArg(url, 'lang', lang);
    return token ? addArg(url, 'access_token', token) : url;
  };
  const getJSON = (url) => fetch(withToken(url), { headers: { Accept: 'application/json' } })
    .then((r) => r.ok ? r.json() : Promise.reject(r.status));

  /* ---- numbers: exact integers in, a readable figure out ---- */
  function scaled(v, unit) {
    v = Number(v || 0);
    switch (unit) {
      case 'g': return [v / 1000, t('dash.unit.kg')];
      case 'mg': return [v / 1e6, t('dash.unit.kg')];
      case 'cent': return [v / 100, t('dash.unit.eur')];
      case 'products': return [v, t(v === 1 ? 'dash.unit.product' : 'dash.unit.products')];
      case 'pilots': return [v, t(v === 1 ? 'dash.unit.pilot' : 'dash.unit.pilots')];
      default: return [v, unit || ''];
    }
  }
  /* [figure, unit]; money as a Dutch reader writes it: the sign first, "€ 728.750"
   * (English "€728,750"), with an empty unit */
  function fmt(v, unit) {
    const [n, u] = scaled(v, unit);
    const loc = lang === 'en' ? 'en-GB' : 'nl-NL';
    const s = n.toLocaleString(loc, { maximumFractionDigits: Math.abs(n) < 100 ? 1 : 0 });
    if (unit === 'cent') return [u + (lang === 'en' ? '' : ' ') + s, ''];
    return [s, u];
  }
  const show = (v, unit) => fmt(v, unit).filter(Boolean).join(' ');
  /* buyer first: kpi.<buyer>.<kpi>.<window>[.theme.x|.group.x|.tender.x]; the buyer is a
   * segment: every byte outside [A-Za-z0-9_-] as %XX (upper-case hex), as the aggregator */
  const seg = (s) => Array.from(new TextEncoder().encode(s), (c) =>
    /[A-Za-z0-9_-]/.test(String.fromCharCode(c)) ? String.fromCharCode(c)
      : '%' + c.toString(16).toUpperCase().padStart(2, '0')).join('');
  const key = (k, win, rest) => 'kpi.' + seg(buyer) + '.' + k + '.' + win + (rest || '');
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
      tile.setAttribute('role', 'button');
      tile.tabIndex = 0;
      tile.setAttribute('aria-controls', 'drill');
      tile.addEventListener('click', () => openDrill(k));
      tile.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openDrill(k); }
      });
      box.append(tile);
    }
  }
  function renderTile(k) {
    const tot = get(key(k, year));
    const val = $('val-' + k);
    if (!val) return;
    if (!haveSnapshot) {
      /* nothing received yet: no figure at all */
      val.textContent = '–';
      delete val.dataset.raw;
      $('unit-' + k).textContent = '';
      $('sub-' + k).textContent = '';
      return;
    }
    if (!tot) {
      /* the snapshot has arrived and holds no total for this KPI: nothing counted yet */
      val.textContent = '0';
      val.dataset.raw = '0';
      $('unit-' + k).textContent = '';
      $('sub-' + k).textContent = '';
      return;
    }
    const [n, u] = fmt(tot.realisation, tot.unit);
    if (val.textContent !== n) {
      val.textContent = n;
      val.dataset.raw = String(tot.realisation || 0);
      const tile = $('tile-' + k);
      tile.classList.add('flash');
      setTimeout(() => tile.classList.remove('flash'), 600);
    }
    $('unit-' + k).textContent = u;
    /* ambition and target with the unit of the figure above them ("1.320.962 kg"); a sum of
     * no committed ambition is said in words: "Ambitie € 0" read as an ambition of nothing */
    const amb = tot.ambition ? t('kpi.ambition') + ' ' + show(tot.ambition, tot.unit)
      : t('dash.tile_no_ambition');
    let sub = amb + ' · ' + t('kpi.projects') + ' ' + (tot.projects || 0);
    if (tot.target) sub += ' · ' + t('dash.of_target').replace('%s', show(tot.target, tot.unit));
    $('sub-' + k).textContent = sub;
  }

  /* ---- realisation per theme as a share of its ambition (units differ per theme,
   *      percentages do not); diversity and inclusion: realised pilots of the target ---- */
  function renderThemes() {
    const box = $('themes');
    box.textContent = '';
    if (!haveSnapshot) { box.textContent = '–'; return; }
    const loc = lang === 'en' ? 'en-GB' : 'nl-NL';
    const SCALE = 200;   /* the bar spans 0..200 %; the line marks 100 % */
    for (const [th, k] of THEMES) {
      const tot = get(key(k, year, '.theme.' + th)) || {};
      const yearTot = get(key(k, year)) || {};
      const r = Number((k === 'pilots' ? yearTot : tot).realisation || 0);
      /* Social Return's quantified ambition is its obligation (pct x contract value, plan
       * 5f), which the aggregator keeps as the target; its ambition field stays 0 */
      const obligation = k === 'sroi' && Number(tot.target || 0) > 0;
      const a = k === 'pilots' ? Number(yearTot.target || 3)
        : obligation ? Number(tot.target) : Number(tot.ambition || 0);
      const against = k === 'pilots' ? t('kpi.target') : obligation ? t('dash.obligation')
        : t('kpi.ambition');
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
        row.title = t('kpi.realisation') + ' ' + show(r, unit) + ' / ' + against + ' ' + show(a, unit);
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
    if (!haveSnapshot) { box.textContent = '–'; return; }
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
  let trendWidth = 0;
  window.addEventListener('resize', () => {
    if (trendWidth && Math.max(300, Math.min(600, $('trend').clientWidth || 600)) !== trendWidth)
      renderTrend();
  });
  function renderTrend() {
    const ns = 'http://www.w3.org/2000/svg';
    /* as wide as its box up to 600 units: on a phone a unit stays a pixel and the labels
     * stay readable (a 600-unit chart drawn 320 pixels wide had 6-pixel text) */
    const W = Math.max(300, Math.min(600, $('trend').clientWidth || 600)), H = 200, P = 34;
    trendWidth = W;
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
      if (haveSnapshot) mk('text', { x: x + bw * 0.3, y: H - P - h - 4 }, fmt(qs[i].realisation, qs[i].unit)[0]);
    });
    const u = scaled(0, (qs.find((x) => x.unit) || {}).unit)[1];
    mk('text', { x: 2, y: 12 }, u);
    /* which bar is which, in the colours of the bars */
    [['#9ec5dc', t('kpi.ambition')], ['#00689e', t('kpi.realisation')]].forEach(([fill, name], i) => {
      const lx = W - 190 + i * 95;
      mk('rect', { x: lx, y: 3, width: 10, height: 10, fill: fill });
      mk('text', { x: lx + 14, y: 12, class: 'trend-legend' }, name);
    });
    const box = $('trend');
    box.textContent = '';
    box.append(svg);
  }

  /* ---- drill-down: a tile -> its themes, tenders and measurements; a measurement -> the
   *      factor tables it used (edition, public source) and the calculation ---- */
  let drillKpi = null, factorTables = null;
  const loc = () => (lang === 'en' ? 'en-GB' : 'nl-NL');
  const when = (ms) => new Date(Number(ms)).toLocaleString(loc(), { day: 'numeric',
    month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  const decodeKey = (s) => { try { return decodeURIComponent(s); } catch (e) { return s; } };
  const linkButton = (text, fn) => {
    const b = el('button', 'link', text);
    b.type = 'button';
    b.addEventListener('click', fn);
    return b;
  };
  function openDrill(k) {
    drillKpi = k;
    document.querySelectorAll('.tile.open').forEach((x) => x.classList.remove('open'));
    $('tile-' + k).classList.add('open');
    const box = $('drill');
    box.hidden = false;
    box.textContent = '';
    const head = el('div', 'drill-head');
    const h = el('h2', '', t('dash.drill') + ': ' + t('kpi.' + k) + ' ' + year);
    h.id = 'drill-title';
    head.append(h, linkButton(t('dash.close'), () => { box.hidden = true; drillKpi = null;
      $('tile-' + k).classList.remove('open'); }));
    const cols = el('div', 'drill-cols');
    const th = el('div'), tn = el('div'), ms = el('div');
    th.append(el('h3', '', t('dash.drill.themes')), Object.assign(el('ul', 'list'), { id: 'drill-themes' }));
    tn.append(el('h3', '', t('dash.drill.tenders')), Object.assign(el('ul', 'list'), { id: 'drill-tenders' }));
    ms.append(el('h3', '', t('dash.drill.measurements')), Object.assign(el('ul', 'list'), { id: 'drill-measurements' }));
    cols.append(th, tn, ms);
    const detail = el('div');
    detail.id = 'drill-detail';
    box.append(head, cols, detail);
    renderDrillTotals();
    getJSON('/api/breakdown?limit=50&key=' + encodeURIComponent(key(k, year)))
      .then((r) => fillRows('drill-measurements', r.items, (x) => [
        linkButton((x.measurement_id || '') + ' · ' + (x.tender_id || ''),
                   () => openMeasurement(x.measurement_id)),
        show(x.realisation, (get(key(k, year)) || {}).unit)]))
      .catch(() => fillRows('drill-measurements', [{}], () => [t('dash.unavailable'), '']));
    box.scrollIntoView({ block: 'start' });
  }
  /* the rows of one list: [left (text or node), right text] per item */
  function fillRows(id, items, render) {
    const ul = $(id);
    if (!ul) return;
    ul.textContent = '';
    if (!items || !items.length) { ul.append(el('li', '', t('dash.none'))); return; }
    for (const it of items) {
      const li = el('li');
      const [a, b] = render(it);
      const left = el('span');
      left.append(a);
      li.append(left, el('span', '', b));
      ul.append(li);
    }
  }
  function renderDrillTotals() {
    if (!drillKpi) return;
    const k = drillKpi, all = [...totals.values()];
    const part = (dim) => all.filter((x) => x.key.startsWith(key(k, year, dim)))
      .sort((a, b) => Number(b.realisation || 0) - Number(a.realisation || 0));
    fillRows('drill-themes', part('.theme.'), (x) => [
      t('theme.' + x.key.slice(key(k, year, '.theme.').length)),
      show(x.realisation, x.unit)]);
    fillRows('drill-tenders', part('.tender.'), (x) => [
      decodeKey(x.key.slice(key(k, year, '.tender.').length)), show(x.realisation, x.unit)]);
  }
  function openMeasurement(id) {
    const box = $('drill-detail') || (() => { openDrill(drillKpi || 'co2'); return $('drill-detail'); })();
    const tables = factorTables ? Promise.resolve(factorTables)
      : getJSON('/api/factors').then((r) => (factorTables = r.tables || []));
    Promise.all([getJSON('/api/measurements/' + encodeURIComponent(id) + (lang ? '?lang=' + encodeURIComponent(lang) : '')), tables.catch(() => [])])
      .then(([rec, ft]) => {
        const m = rec.measurement || {}, imp = rec.impact || {};
        box.textContent = '';
        const h = el('h3', '', t('dash.drill.factors') + ': ' + (m.id || id) + ' · ' + (m.tender_id || ''));
        h.id = 'drill-measurement';
        const tab = el('table', 'factors');
        const hr = el('tr');
        for (const c of ['dash.factor.table', 'dash.factor.edition', 'dash.factor.source',
                         'dash.factor.variant']) hr.append(el('th', '', t(c)));
        tab.append(hr);
        for (const f of imp.factors || []) {
          const tr = el('tr');
          tr.dataset.table = f.table || '';
          const info = ft.find((x) => x.table === f.table && x.edition === f.edition);
          const src = el('td');
          if (/^https?:\/\//.test(f.source || '')) {
            const a = el('a', '', f.source);
            a.href = f.source;
            a.rel = 'noopener';
            src.append(a);
          } else src.textContent = f.source || '–';
          tr.append(el('td', '', f.table || ''),
            el('td', '', (f.edition || '') + (info ? ' (' + info.rows + ' ' + t('dash.factor.rows') + ')' : '')),
            src, el('td', '', (f.reference_variant || '') + (f.unverified ? ' · ' + t('dash.factor.unverified') : '')));
          tab.append(tr);
        }
        box.append(h, tab);
        if (rec.explanation) box.append(el('h3', '', t('dash.drill.calc')), el('pre', '', rec.explanation));
        h.scrollIntoView({ block: 'nearest' });
      })
      .catch(() => { box.textContent = t('dash.unavailable'); });
  }

  function renderAll() {
    KPIS.forEach(renderTile);
    renderDrillTotals();
    renderThemes();
    renderPilots();
    renderTrend();
    $('seq').textContent = seq ? '#' + seq : '';
    /* "updated" only over figures that came: not over dashes or a refusal */
    $('updated').textContent = !haveSnapshot ? ''
      : t('dash.updated') + ' ' + new Date().toLocaleTimeString(lang === 'en' ? 'en-GB' : 'nl-NL');
  }
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; renderAll(); });
  }

  /* live: figures current; stale: figures that were live are no longer being updated (the
   * gateway says its view is not current); loading: the stream is open but the buyer's first
   * figures are not in yet (nothing shown was ever live, so nothing is "stale"); offline: the
   * stream broke, the figures shown are those of the time named; connecting: none yet */
  function setStatus(kind) {
    const s = $('status');
    s.className = 'status ' + kind;
    const hhmm = (ms) => new Date(ms).toLocaleTimeString(loc(), { hour: '2-digit', minute: '2-digit' });
    s.textContent = kind === 'live' ? t('dash.live') : kind === 'stale' ? t('dash.stale')
      : kind === 'loading' ? t('dash.loading')
      : kind === 'invalid' ? t('dash.invalid')
      : kind === 'offline' ? (haveSnapshot && lastLive ? t('dash.offline_since').replace('%s', hhmm(lastLive))
                                                       : t('dash.offline'))
      : t('dash.connecting');
    if (kind === 'live') lastLive = Date.now();
    $('tiles').classList.toggle('not-live', kind !== 'live');
    document.body.classList.toggle('not-live', kind !== 'live');
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
  /* A date as its reader writes it ("7 december 2026"); a YYYY-MM-DD string is a calendar
   * day, not an instant, so it is read in local time and cannot shift a day. */
  function dayLong(d) {
    const m = typeof d === 'string' && /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
    const v = m ? new Date(+m[1], +m[2] - 1, +m[3]) : new Date(Number(d));
    return isNaN(v) ? String(d) : v.toLocaleDateString(lang === 'en' ? 'en-GB' : 'nl-NL',
      { day: 'numeric', month: 'long', year: 'numeric' });
  }
  function loadLists() {
    getJSON('/api/tenders?view=upcoming&limit=8')
      .then((r) => fillList('upcoming', r.tenders, (x) => [x.title || x.id,
        x.planned_publication ? dayLong(x.planned_publication) : '']))
      .catch(() => fillList('upcoming', [{ }], () => [t('dash.unavailable'), '']));
    /* the next reminders first, each kind in words, the date spelled out */
    getJSON('/api/reminders?state=scheduled&limit=50')
      .then((r) => fillList('reminders', (r.reminders || []).slice()
        .sort((a, b) => Number(a.due_ms || 0) - Number(b.due_ms || 0)).slice(0, 8), (x) => [
        (x.title || x.tender_id || '') + ' · ' + (T['dash.kind.' + x.kind] || x.kind || ''),
        x.due_ms ? dayLong(x.due_ms) : '']))
      .catch(() => fillList('reminders', [{ }], () => [t('dash.unavailable'), '']));
    /* the latest recorded first, with tender, impact and when; a click shows its sources */
    getJSON('/api/measurements?recent=true&limit=10')
      .then((r) => {
        fillRows('measurements', r.records, (x) => {
          const m = x.measurement || {};
          const b = linkButton((m.id || '') + ' · ' + (m.tender_id || ''), () => openMeasurement(m.id));
          const span = el('span');
          span.append(b, ' ', el('span', 'imp', x.withdrawn ? t('dash.withdrawn') : impactText(x.impact)));
          return [span, x.recorded_ms ? when(x.recorded_ms) : (m.period_end || '')];
        });
      })
      .catch(() => fillRows('measurements', [{ }], () => [t('dash.unavailable'), '']));
  }

  /* the measurement's impact in words: each non-zero figure with its KPI name */
  function impactText(imp) {
    if (!imp) return '';
    const parts = [['co2', 'co2_avoided_g', 'g'], ['nox', 'nox_avoided_mg', 'mg'],
      ['material', 'primary_material_g', 'g'], ['sroi', 'sroi_realised_cents', 'cent'],
      ['fairtrade', 'fairtrade_products', 'products'], ['pilots', 'pilots', 'pilots']]
      .filter(([, f]) => Number(imp[f] || 0) !== 0)
      .map(([k, f, u]) => t('kpi.' + k) + ' ' + show(imp[f], u));
    return parts.join(' · ');
  }

  /* ---- the stream ---- */
  /* A broken stream is closed and opened anew (after retryMs) rather than resumed: a new
   * stream begins with a snapshot (or a status saying the view is stale), so the page is
   * live again only from figures it has just received. */
  let es = null, retryTimer = 0, refusedAccess = false;
  function refuseAccess(status) {
    refusedAccess = true;
    retryTimer = 0;
    const name = $('buyer-name').textContent || buyer;
    refuse(status === 401 ? t('dash.error.token') : t('dash.error.buyer').replace('%s', name));
  }
  const retryMs = 2000;
  function connect() {
    es = new EventSource(withToken('/api/stream'));
    es.addEventListener('snapshot', (e) => {
      const s = JSON.parse(e.data);
      totals = new Map();
      for (const x of s.totals || []) totals.set(x.key, x);
      seq = Number(s.seq || 0);   /* a snapshot may be of a new epoch: its seq counts anew */
      haveSnapshot = true;
      fresh = true;   /* the gateway sends a snapshot only of fresh figures */
      setStatus('live');
      schedule();
    });
    es.addEventListener('kpi', (e) => {
      const x = JSON.parse(e.data);
      const cur = totals.get(x.key);
      if (!cur || Number(cur.seq || 0) < Number(x.seq || 0)) totals.set(x.key, x);
      seq = Math.max(seq, Number(x.seq || 0));
      if (haveSnapshot && fresh) setStatus('live');
      schedule();
      if (!listTimer) listTimer = setTimeout(() => { listTimer = 0; loadLists(); }, 2000);
    });
    es.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      fresh = !!s.fresh;
      setStatus(!haveSnapshot ? 'loading' : s.fresh ? 'live' : 'stale');
    });
    es.onerror = () => {
      es.close();
      setStatus('offline');
      schedule();
      if (retryTimer || refusedAccess) return;
      /* EventSource does not tell a refusal from a broken connection: a cheap read asks. A
       * token that may not read this buyer (403) or is not accepted (401) is said, and the
       * stream is not tried again every 2 s as if the network were down. */
      retryTimer = -1;
      fetch(withToken('/api/buyers'), { headers: { Accept: 'application/json' } }).then((r) => {
        if (r.status === 401 || r.status === 403) return refuseAccess(r.status);
        retryTimer = setTimeout(() => { retryTimer = 0; connect(); }, retryMs);
      }, () => { retryTimer = setTimeout(() => { retryTimer = 0; connect(); }, retryMs); });
    };
  }

  /* ---- the buyer: its display name in the header; a picker when several are served ---- */
  function loadBuyers() {
    $('buyer-name').textContent = buyer;
    getJSON('/api/buyers').then((r) => {
      const list = r.buyers || [];
      if (!r.reports) {
        /* this gateway cannot read the report files (deploy/README-ops.md) */
        const ul = $('reports');
        ul.textContent = '';
        ul.append(el('li', 'muted', t('dash.reports.unavailable')));
      }
      if (!r.narratives) $('narrative-panel').hidden = true;
      const me = list.find((b) => b.id === buyer);
      const name = me ? me.name : buyer === r.default ? r.default_name : buyer;
      $('buyer-name').textContent = name;
      document.title = t('dash.title') + ' · ' + name;
      if (list.length < 2) return;
      const sel = $('buyer');
      sel.hidden = false;
      sel.setAttribute('aria-label', t('dash.buyer'));
      for (const b of list.slice().sort((a, c) => a.name.localeCompare(c.name, loc()))) {
        const o = el('option', '', b.name);
        o.value = b.id;
        if (b.id === buyer) o.selected = true;
        sel.append(o);
      }
      sel.addEventListener('change', () => {
        const q = new URLSearchParams(location.search);
        q.set('buyer', sel.value);
        location.search = '?' + q.toString();
      });
    }).catch(() => {});
  }

  /* ---- the reports of the buyer and year shown, generated on demand by the report service ---- */
  function reportUrl(quarter, format) {
    let u = '/api/report?year=' + year + '&quarter=' + quarter + '&format=' + format +
      '&lang=' + lang + '&buyer=' + encodeURIComponent(buyer);
    if (token) u = addArg(u, 'access_token', token);
    return u;
  }
  function buildReports() {
    const ul = $('reports');
    ul.textContent = '';
    const now = new Date();
    const periods = [[0, t('dash.report.annual').replace('%s', year)]];
    for (let q = 1; q <= 4; q++) {
      /* quarters that have begun */
      if (year < now.getFullYear() || (year === now.getFullYear() && (q - 1) * 3 <= now.getMonth()))
        periods.push([q, t('dash.report.quarter').replace('%d', q).replace('%s', year)]);
    }
    for (const [q, label] of periods) {
      const li = el('li');
      li.dataset.quarter = String(q);
      const links = el('span', 'formats');
      for (const [f, name] of [['html', 'HTML'], ['pdf', 'PDF'], ['xlsx', 'Excel']]) {
        const a = el('a', '', name);
        a.href = reportUrl(q, f);
        a.dataset.format = f;
        if (f !== 'html') a.setAttribute('download', '');
        else a.target = '_blank';
        a.rel = 'noopener';
        links.append(a, ' ');
      }
      li.append(el('span', '', label), links);
      ul.append(li);
    }
  }

  /* ---- the adviser's narrative per theme: POST /api/narratives (role admin) ---- */
  function buildNarrativeForm() {
    $('h-narrative').textContent = t('dash.narrative');
    $('narrative-help').textContent = t('dash.narrative.help');
    const f = $('narrative-form');
    const period = f.elements.quarter, theme = f.elements.theme;
    period.append(Object.assign(el('option', '', t('dash.report.annual').replace('%s', year)), { value: '0' }));
    for (let q = 1; q <= 4; q++)
      period.append(Object.assign(el('option', '', t('dash.report.quarter').replace('%d', q).replace('%s', year)),
                                  { value: String(q) }));
    for (const [th] of THEMES) theme.append(Object.assign(el('option', '', t('theme.' + th)), { value: th }));
    for (const [id, k] of [['lbl-n-period', 'dash.narrative.period'], ['lbl-n-theme', 'dash.theme'],
                           ['lbl-n-text', 'dash.narrative.text'], ['lbl-n-token', 'dash.narrative.token']])
      $(id).textContent = t(k);
    $('n-save').textContent = t('dash.narrative.save');
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const out = $('narrative-result');
      out.className = 'result';
      out.textContent = '…';
      const auth = f.elements.token.value || token;
      fetch(withToken('/api/narratives'), { method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/json', Accept: 'application/json' },
                               auth ? { Authorization: 'Bearer ' + auth } : {}),
        body: JSON.stringify({ year: year, quarter: Number(period.value), theme: theme.value,
                               text: f.elements.text.value }) })
        .then((r) => r.json().then((j) => [r, j], () => [r, {}]))
        .then(([r, j]) => {
          if (r.ok) {
            out.className = 'result ok';
            out.textContent = j.text ? t('dash.narrative.saved') : t('dash.narrative.removed');
          } else {
            out.className = 'result error';
            out.textContent = t('dash.narrative.failed') + ' (' + r.status + ')' +
              (j.field ? ' · ' + j.field : '') + (j.detail ? ': ' + j.detail : '');
          }
        })
        .catch(() => { out.className = 'result error'; out.textContent = t('dash.unavailable'); });
    });
  }

  /* The page cannot show what it was asked for: the message in place of every figure, the
   * status says so, nothing is fetched or streamed. */
  function refuse(message, pill) {
    const f = $('fatal');
    f.textContent = message;
    f.hidden = false;
    document.body.classList.add('refused');
    setStatus('invalid');
    if (pill) $('status').textContent = pill;
  }
  /* Without the catalogue there are no texts to say it in: this one message is the page's
   * own, in the language asked for (Dutch unless English), with the gateway's reason. */
  function textsFailed(status, detail) {
    const en = /^en\b/i.test(params.get('lang') || '');
    document.documentElement.lang = en ? 'en' : 'nl';
    refuse((en ? 'The dashboard texts could not be loaded (HTTP ' + status + ')'
               : 'De teksten van het dashboard konden niet worden geladen (HTTP ' + status + ')') +
           (detail ? ': ' + detail : '') + (en ? '. No figures are shown.' : '. Er worden geen cijfers getoond.'),
           en ? 'Error: no figures' : 'Fout: geen cijfers');
  }
  /* Without ?lang= the page is in the gateway's own language (Dutch unless configured), not
   * the browser's: many Dutch readers' browsers ask for en-US. "*" leaves the choice to the
   * gateway (gw_lang.h); the page's switch offers the other language. */
  function loadTexts(url) {
    const headers = { Accept: 'application/json', 'Accept-Language': '*' };
    return fetch(withToken(url), { headers }).then((r) => r.ok ? r.json()
      : r.json().catch(() => ({})).then((p) => Promise.reject({ status: r.status, detail: p.detail })));
  }

  function init() {
    lang = params.get('lang') || '';
    loadTexts('/api/texts' + (lang ? '?lang=' + encodeURIComponent(lang) : '')).then((r) => {
      T = r.texts || {};
      lang = r.lang;
      buyer = r.buyer;
      document.documentElement.lang = lang;
      document.title = t('dash.title');
      $('title').textContent = t('dash.title');
      $('subtitle').textContent = t('dash.subtitle');
      if (isNaN(year)) {
        $('buyer-name').textContent = buyer;
        refuse(t('dash.error.year').replace('%s', yearParam));
        return;
      }
      loadBuyers();
      buildReports();
      buildNarrativeForm();
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
      $('h-reports').textContent = t('dash.reports');
      $('drill-hint').textContent = t('dash.drill.hint');
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
    }, (e) => textsFailed(e && e.status || '?', e && e.detail));
  }
  document.addEventListener('DOMContentLoaded', init);
})();
