// The benchmark page: this buyer's place per KPI and normalisation on the anonymous
// distribution of its class (GET /api/benchmark), refreshed every few seconds. It never
// receives another buyer's figures: the gateway sends only the quartiles of classes with at
// least k buyers and this buyer's own value; of one KPI only one normalisation's quartiles
// (the others are "withheld": their sentence says why, the own value stays).
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const token = params.get('access_token');
  const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') +
    'access_token=' + encodeURIComponent(token) : url;
  const svgNS = 'http://www.w3.org/2000/svg';
  let data = null, year = params.get('year') || '';
  let cardsOf = '';   // the figures the cards show now (render)
  let shownAt = null;   // when the figures shown came (a failed refresh says so)
  let T0 = null, T0lang = 'nl';   // the texts before any figures came (GET /api/texts)
  const askedEn = () => /^en\b/i.test(params.get('lang') || '');

  const query = () => {
    const q = new URLSearchParams();
    for (const k of ['buyer', 'lang']) if (params.get(k)) q.set(k, params.get(k));
    if (year) q.set('year', year);
    return q;
  };
  // as bm_num (common/bm/bm_text.c): three significant digits below 100, whole above
  const dec = (a) => a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a === 0 ? 0 :
    Math.min(9, 2 - Math.floor(Math.log10(a)));
  const num = (v) => {
    const loc = data && data.lang === 'en' ? 'en-GB' : 'nl-NL';
    const a = Math.abs(v);
    // rounding can carry into the next magnitude (99,96 is "100", not "100,0")
    const d = Math.min(dec(a), dec(Number(a.toFixed(dec(a)))));
    return v.toLocaleString(loc, { minimumFractionDigits: d, maximumFractionDigits: d });
  };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svgEl = (tag, attrs) => {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };

  // A strip: 0 .. max(Q3, own) x 1.15; grey box Q1..Q3, median line, own dot.
  // top: the end of the axis when the measure has one (a share: 100 %, a level: 5)
  // width: the units across, best the pixels it is drawn in (fitCharts), so that its labels
  // keep their size; a 520-unit strip in a phone's or a narrow card's width had 8-pixel ones
  function chart(n, top0, width) {
    const W = Math.max(200, Math.min(520, Math.round(width || 520)));
    const H = 46, L = 8, R = 8, top = 10, h = 18;
    const hi = top0 || Math.max(n.q3 || 0, n.value || 0, 1e-12) * 1.15;
    const lo = Math.min(0, n.q1 || 0, n.value || 0);
    const x = (v) => L + (W - L - R) * (v - lo) / (hi - lo);
    const s = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
                             'aria-label': n.sentence });
    s.appendChild(svgEl('line', { x1: L, x2: W - R, y1: top + h / 2, y2: top + h / 2, class: 'axis' }));
    s.appendChild(svgEl('rect', { x: x(n.q1), y: top, width: Math.max(1, x(n.q3) - x(n.q1)),
                                  height: h, rx: 3, class: 'box' }));
    s.appendChild(svgEl('line', { x1: x(n.median), x2: x(n.median), y1: top - 3, y2: top + h + 3,
                                  class: 'med' }));
    // Q1 and Q3 labels; one label when they are equal (no spread), kept inside the strip
    // (Q1 at the strip's left end is written to its right: to its left it was cut off).
    // Q1 written to its right and Q3 too close after it read as one figure ("02,50" for 0
    // and 2,50): then one label "0 – 2,50". Widths are estimated at 7 units a character
    // (the labels' 11 px font; one unit is one pixel, fitCharts).
    const q1End = x(n.q1) < L + 40;
    const near = q1End && x(n.q3) - x(n.q1) < num(n.q1).length * 7 + 8;
    const labels = n.q1 === n.q3 ? [[num(n.q1), n.q1, x(n.q1) < W / 2 ? 'start' : 'end']]
      : near ? [[num(n.q1) + ' \u2013 ' + num(n.q3), n.q1, 'start']]
        : [[num(n.q1), n.q1, q1End ? 'start' : 'end'], [num(n.q3), n.q3, 'start']];
    for (const [text, v, anchor] of labels) {
      const t = svgEl('text', { x: x(v) + (anchor === 'end' ? -3 : 3), y: top + h + 14,
                                'text-anchor': anchor });
      t.textContent = text;
      s.appendChild(t);
    }
    if (n.value !== undefined) {
      s.appendChild(svgEl('circle', { cx: x(n.value), cy: top + h / 2, r: 6, class: 'own' }));
    }
    s.redraw = (w) => chart(n, top0, w);
    return s;
  }

  // Each chart drawn again in as many units as it is wide on screen (after layout, and when
  // the window changes size).
  function fitCharts() {
    for (const s of document.querySelectorAll('.bench-row svg')) {
      const w = Math.round(s.getBoundingClientRect().width);
      if (s.redraw && w > 0 && w !== s.viewBox.baseVal.width) s.replaceWith(s.redraw(w));
    }
  }
  window.addEventListener('resize', fitCharts);

  // One normalisation of one measure: its heading, strip chart and sentence.
  function row(title, n, top0) {
    const T = data.texts;
    const r = el('div', 'bench-row');
    r.dataset.norm = n.norm;
    r.dataset.status = n.status;
    r.appendChild(el('h3', '', title));
    if (n.status === 'ok') r.appendChild(chart(n, top0));
    r.appendChild(el('p', n.status === 'ok' ? 'sentence' : 'why', n.sentence));
    // no distribution to stand in, but the organisation's own figure is still its own
    if (n.status !== 'ok' && n.value !== undefined) {
      // a level (top0 5) is a whole number, as in the sentence: "3", not "3,00"
      const v = top0 === 5 ? String(Math.round(n.value)) : num(n.value);
      r.appendChild(el('p', 'hint own', T['bench.col.value'] + ' ' + v + ' ' + n.unit));
    }
    if (n.status === 'ok') {
      r.appendChild(el('p', 'hint', T['bench.col.percentile'] + ' ' + num(n.percentile) +
        ' · ' + T['bench.col.median'] + ' ' + num(n.median) + ' · ' + T['bench.col.count'] +
        ' ' + n.count));
    }
    return r;
  }

  // The page's frame in lang: title, the way back to the dashboard, the other language.
  function frame(T, lang) {
    document.documentElement.lang = lang;
    if (T['bench.title']) $('title').textContent = T['bench.title'];
    if (T['bench.back']) $('back').textContent = T['bench.back'];
    const other = lang === 'en' ? 'nl' : 'en';
    const lq = new URLSearchParams(location.search);
    lq.set('lang', other);
    $('lang').textContent = other.toUpperCase();
    $('lang').href = '?' + lq.toString();
    const bq = new URLSearchParams();
    if (params.get('buyer')) bq.set('buyer', params.get('buyer'));
    if (params.get('lang')) bq.set('lang', params.get('lang'));
    $('back').href = '/' + (bq.toString() ? '?' + bq.toString() : '');
  }

  function render() {
    const T = data.texts;
    frame(T, data.lang);
    $('year').hidden = false;
    $('subtitle').textContent = T['bench.subtitle'].replace('%s', data.k);
    $('legend').textContent = T['bench.legend'];
    $('export').textContent = T['bench.export'];
    $('who').textContent = data.name + (data.class ? ' · ' + data.class.label : '');
    const sel = $('year');
    const years = (data.years || []).slice();
    if (!years.includes(data.year)) years.push(data.year);
    years.sort();
    // rebuilt only when the years change: replacing the options on every refresh (3 s)
    // closed the menu under the hand of whoever was choosing a year
    if (sel.dataset.years !== years.join(',')) {
      sel.dataset.years = years.join(',');
      sel.replaceChildren(...years.map((y) => {
        const o = el('option', '', String(y));
        o.value = String(y);
        return o;
      }));
    }
    if (document.activeElement !== sel) sel.value = String(data.year);
    // The cards are rebuilt only when their figures change: rebuilding them on every
    // refresh (3 s) took away a reader's text selection and whatever element a script or
    // a screen reader held on to.
    const now = JSON.stringify([data.lang, data.year, data.kpis, T]);
    if (now !== cardsOf) {
      cardsOf = now;
      renderCards(T);
    }
    $('updated').textContent = '· ' + new Date().toLocaleTimeString(data.lang === 'en' ? 'en-GB' : 'nl-NL');
    document.body.dataset.loaded = '1';
  }

  function renderCards(T) {
    const box = $('kpis');
    // KPIs with a place in a distribution first: on a phone they are what one scrolls to
    const shown = (k) => k.norms.some((n) => n.status === 'ok') ? 0 : 1;
    const kpis = data.kpis.filter((k) => !k.group).sort((a, b) => shown(a) - shown(b));
    const cards = kpis.map((k) => {
      const card = el('article', 'bench-kpi');
      card.id = 'bench-' + k.kpi;
      card.appendChild(el('h2', '', k.label));
      // the normalisation with a distribution first, the withheld ones (own value only) below
      const first = (n) => n.status === 'ok' ? 0 : 1;
      for (const n of k.norms.slice().sort((a, b) => first(a) - first(b))) {
        card.appendChild(row(T['bench.norm.' + n.norm] + ' (' + n.unit + ')', n));
      }
      return card;
    });
    // shares and levels: one card per group, one row per theme
    for (const g of ['share', 'level']) {
      const ms = data.kpis.filter((k) => k.group === g);
      if (!ms.length) continue;
      const card = el('article', 'bench-kpi bench-themes');
      card.id = 'bench-' + g;
      card.appendChild(el('h2', '', T['bench.group.' + g]));
      card.appendChild(el('p', 'hint', T['bench.group.' + g + '.hint']));
      for (const k of ms.slice().sort((a, b) => shown(a) - shown(b))) {
        const r = row(k.theme_label + ' (' + k.norms[0].unit + ')', k.norms[0],
                      g === 'share' ? 100 : 5);
        r.id = 'bench-' + k.kpi.replace('.', '-');
        if (k.tenders !== undefined) {
          r.appendChild(el('p', 'hint', T['bench.counts'].replace('%s', k.with_ambition)
            .replace('%s', k.tenders)));
        }
        card.appendChild(r);
      }
      cards.push(card);
    }
    box.replaceChildren(...cards);
    fitCharts();
  }

  /* without ?lang= the gateway's language, not the browser's ("*": dash.js loadTexts) */
  const headers = { Accept: 'application/json', 'Accept-Language': '*' };

  // The texts of a failed refresh: the figures' own texts once some came; before, the
  // gateway's (GET /api/texts); when it cannot be reached at all, these (as dash.js does
  // when its texts cannot be loaded).
  async function statusTexts() {
    if (data) return data.texts;
    if (!T0) {
      const lq = params.get('lang') ? '?lang=' + encodeURIComponent(params.get('lang')) : '';
      T0 = await fetch(withToken('/api/texts' + lq), { headers })
        .then((r) => r.ok ? r.json() : Promise.reject(r.status))
        .then((j) => { T0lang = j.lang; return j.texts; }).catch(() => null);
    }
    if (T0) return T0;
    return askedEn() ? {
      'bench.status.none': 'No figures yet: %s. Tried again every 3 seconds.',
      'bench.status.unreachable': 'the gateway cannot be reached',
    } : {
      'bench.status.none': 'Nog geen cijfers: %s. Elke 3 seconden opnieuw geprobeerd.',
      'bench.status.unreachable': 'de gateway is niet bereikbaar',
    };
  }

  // A refresh failed (reason: the gateway's problem detail; null: no answer at all). The
  // figures shown stay, greyed, with the time they are of: never shown as if current.
  async function failed(reason) {
    const T = await statusTexts();
    const why = reason || T['bench.status.unreachable'];
    const s = $('status');
    s.textContent = shownAt
      ? T['bench.status.since'].replace('%s', shownAt.toLocaleTimeString(
          data.lang === 'en' ? 'en-GB' : 'nl-NL', { hour: '2-digit', minute: '2-digit' }))
        .replace('%s', why)
      : T['bench.status.none'].replace('%s', why);
    s.hidden = false;
    if (!data) {   // nothing shown yet: the frame in the language asked, no year to choose
      frame(T, T0 ? T0lang : askedEn() ? 'en' : 'nl');
      $('year').hidden = true;
    }
    $('kpis').classList.toggle('offline', !!shownAt);
    document.body.dataset.failed = '1';
  }

  async function load() {
    let r;
    try {
      r = await fetch(withToken('/api/benchmark?' + query().toString()), { headers });
    } catch (e) {
      return failed(null);
    }
    if (!r.ok) {
      const p = await r.json().catch(() => ({}));
      return failed(p.detail || 'HTTP ' + r.status);
    }
    data = await r.json();
    shownAt = new Date();
    $('status').hidden = true;
    $('kpis').classList.remove('offline');
    delete document.body.dataset.failed;
    render();
  }

  $('year').addEventListener('change', (e) => { year = e.target.value; load(); });
  const ex = query();
  ex.delete('year');
  ex.delete('buyer');
  $('export-csv').href = withToken('/api/benchmark/open-data.csv' + (ex.toString() ? '?' + ex : ''));
  $('export-json').href = withToken('/api/benchmark/open-data.json' + (ex.toString() ? '?' + ex : ''));
  load();
  setInterval(load, 3000);
})();
