// The dashboard in headless Chromium: load it, submit a measurement through the API, see the
// CO2 tile change without a reload, the measurement first in "Recente metingen", the drill-down
// from the CO2 tile to the measurement's factor table edition and public source; Dutch by default, English with ?lang=en; nothing loaded
// from outside the gateway; no horizontal scrolling on a phone. Before the first snapshot every
// tile shows "–" (never a 0 that was not counted); a broken stream is said, not shown as live.
// The header names the buyer by its display name; a buyer picker switches to another buyer's
// own figures; money reads "€ 5.000"; the report links serve the buyer's report; a narrative
// entered in the form (role admin) appears in that report; bad narratives get named errors.
// A first load before the buyer's snapshot is in says "Laden", never "Verouderd".
// Screenshots are artifacts.
// Usage: node browser.mjs <http port> <artifact dir> <submitter token> <admin token> <gateway pid>
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [port, outDir, token, admin, gwPid] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvoi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
  // Accept-Language: en-US, as many Dutch readers' browsers say: without ?lang= the page
  // is in the gateway's Dutch all the same (dash.js loadTexts), checked first below
  locale: 'en-US',
});
const outside = [];

/* Every status the page shows, in order (a MutationObserver set up before the page's own
 * script), so a status that lasts only until the stream's end is seen. */
async function statuses(page, url, sse) {
  await page.route('**/api/stream*', (r) => r.fulfill({ status: 200, body: sse,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' } }));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('offline'),
                             null, { timeout: 15000 });
  await page.unroute('**/api/stream*');
  return page.evaluate(() => window.__statuses.join('\n'));
}

/* A first load: the gateway's stream is open but the buyer's first snapshot is not in (it
 * says {"fresh":false}): the page says it is loading, never "Verouderd" (nothing shown was
 * ever live). Figures that were live and then stop being updated are "Verouderd". */
async function firstLoad(page) {
  await page.addInitScript(() => {
    window.__statuses = [];
    document.addEventListener('DOMContentLoaded', () => {
      const s = document.querySelector('#status');
      const note = () => window.__statuses.push(s.className + ' | ' + s.textContent);
      new MutationObserver(note).observe(s, { attributes: true, childList: true, subtree: true });
    });
  });
  const notFresh = 'event: status\ndata: {"fresh":false}\n\n';
  const loading = await statuses(page, base + '/', notFresh + 'event: status\ndata: {"fresh":true}\n\n');
  if (!loading.includes('status loading | Laden: de cijfers worden opgehaald'))
    fail('first load without the loading status:\n' + loading);
  if (loading.includes('Verouderd') || loading.includes('status live'))
    fail('first load shown as stale or live before any figures:\n' + loading);
  const en = await statuses(page, base + '/?lang=en', notFresh);
  if (!en.includes('status loading | Loading: the figures are being fetched'))
    fail('English first load:\n' + en);
  const year = new Date().getFullYear();
  const snap = 'event: snapshot\ndata: ' + JSON.stringify({ seq: 7, totals: [{ key: `kpi.heerlen.co2.${year}`,
    kpi: 'co2', year, value: 1000, seq: 7 }] }) + '\n\n';
  const stale = await statuses(page, base + '/', snap + notFresh);
  if (!/status live \| Live[^]*status stale \| Verouderd: de cijfers worden niet bijgewerkt/.test(stale))
    fail('live figures that stop being updated are not "Verouderd":\n' + stale);
  /* an update after {"fresh":false} (the aggregator rebuilding, its totals half counted)
   * does not make the figures live again: only a snapshot or {"fresh":true} does */
  const upd = 'event: kpi\ndata: ' + JSON.stringify({ key: `kpi.heerlen.co2.${year}`, kpi: 'co2', year,
    value: 5, seq: 8 }) + '\n\n';
  const after = await statuses(page, base + '/', snap + notFresh + upd);
  const tail = after.slice(after.indexOf('status stale'));
  if (!after.includes('status stale') || tail.includes('status live'))
    fail('an update after {"fresh":false} shown as live:\n' + after);
  console.log('first load: "Laden: de cijfers worden opgehaald" / "Loading: ..."; live then not fresh: "Verouderd", also after an update');
}

/* What the page cannot show it refuses, visibly: the gateway answers 400 for a year it cannot
 * read or a language without texts; a page that gets through anyway (served before the
 * check, a cached copy) shows a message instead of figures, never zeros as live, and a
 * failed texts request does not leave an empty skeleton with an uncaught error. */
/* A token that may not read the buyer asked for (403 buyer-not-allowed on the stream and on
 * every read) is said in place of the figures, not shown as "Geen verbinding" with the
 * stream tried again every 2 s as if the network were down. */
async function accessRefused() {
  const page = await ctx.newPage();
  let streams = 0;
  const problem = JSON.stringify({ type: 'urn:mvoi:problem:buyer-not-allowed', title: 'Forbidden',
    status: 403, detail: 'this token acts for buyer heerlen only, not for venlo', field: 'buyer' });
  const forbid = (r) => r.fulfill({ status: 403, body: problem,
    headers: { 'Content-Type': 'application/problem+json' } });
  await page.route('**/api/stream*', (r) => { streams++; return forbid(r); });
  await page.route('**/api/buyers*', forbid);
  await page.goto(base + '/?buyer=venlo', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('invalid'),
                             null, { timeout: 15000 }).catch(() => {});
  await page.waitForTimeout(5000);   // two retry periods: no stream is asked for again
  const status = await page.textContent('#status');
  const fatal = await page.textContent('#fatal');
  if (status !== 'Ongeldig: geen cijfers' || !fatal.includes('mag de cijfers van venlo niet lezen'))
    fail(`a refused buyer shown as "${status}" / "${fatal}"`);
  if (streams !== 1) fail(`the refused stream was asked ${streams} times`);
  await page.close();
  console.log('a token that may not read the buyer: "' + fatal + '", asked once');
}

async function refusals() {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  for (const [q, field] of [['year=abc', 'year'], ['lang=de', 'lang'], ['year=2025&year=2024', 'year']]) {
    const res = await page.goto(base + '/?' + q, { waitUntil: 'domcontentloaded' });
    const body = await res.text();
    if (res.status() !== 400 || !body.includes('"field":"' + field + '"')) fail(`/?${q}: ${res.status()} ${body}`);
  }
  const html = await (await fetch(base + '/')).text();
  let streamed = 0;
  await page.route('**/api/stream*', (r) => { streamed++; r.abort(); });
  // dash.js's own guard: the page served for ?year=abc anyway
  await page.route(/\/\?year=abc$/, (r) => r.fulfill({ status: 200, body: html,
    headers: { 'Content-Type': 'text/html; charset=utf-8' } }));
  await page.goto(base + '/?year=abc', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#fatal:not([hidden])', { timeout: 10000 });
  const msg = await page.textContent('#fatal');
  if (!msg.includes('Ongeldig jaar "abc"')) fail('?year=abc message: ' + msg);
  if (await page.isVisible('#tiles')) fail('?year=abc: the tiles are shown');
  const pill = await page.getAttribute('#status', 'class');
  if (!pill.includes('invalid') || (await page.textContent('#status')).includes('Live')) fail('?year=abc status: ' + pill);
  if (streamed) fail('?year=abc: the stream was opened');
  if ((await page.$$eval('#reports a', (as) => as.map((a) => a.textContent))).length) fail('?year=abc: report links');
  await page.screenshot({ path: path.join(outDir, 'dashboard-invalid-year.png'), fullPage: false });
  // the texts cannot be loaded: a visible message, no uncaught error
  await page.route('**/api/texts*', (r) => r.fulfill({ status: 400, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:mvoi:problem:invalid-argument', title: 'Bad Request', status: 400,
                           detail: 'expected nl or en', field: 'lang' }) }));
  for (const [u, want] of [['/', 'De teksten van het dashboard konden niet worden geladen (HTTP 400): expected nl or en'],
                           ['/?lang=en', 'The dashboard texts could not be loaded (HTTP 400): expected nl or en']]) {
    await page.goto(base + u, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#fatal:not([hidden])', { timeout: 10000 });
    const m = await page.textContent('#fatal');
    if (!m.includes(want)) fail(`texts refused at ${u}: "${m}"`);
  }
  await page.screenshot({ path: path.join(outDir, 'dashboard-no-texts.png'), fullPage: false });
  if (errors.length) fail('uncaught page errors: ' + errors.join('; '));
  console.log('refused: ?year=abc, ?lang=de, a repeated year 400; a page without a readable year or texts says so');
  await page.close();
}

/* Every tile's ambition carries the figure's unit; Social Return's theme row compares the
 * realisation with the SROI obligation (the theme total's target; its ambition is 0). */
async function ambitionsAndObligation(page) {
  const co2 = await page.textContent('#sub-co2');
  if (!/^Ambitie [\d.]+ kg · /.test(co2)) fail('CO2 ambition without its unit: ' + co2);
  const sroi = await page.textContent('#sub-sroi');
  if (!/^Ambitie € [\d.]+ · /.test(sroi)) fail('SROI ambition without the euro sign: ' + sroi);
  const pil = await page.textContent('#sub-pilots');
  if (!/^Ambitie 2 pilots · .* · van doel 3 pilots$/.test(pil)) fail('pilots ambition/target: ' + pil);
  const row = await page.$('#themes .bar-row[data-theme="social_return"]');
  const share = await row.$eval('.share-val', (x) => x.textContent);
  const title = await row.getAttribute('title');
  if (share !== '60 %') fail(`Social Return theme "${share}", expected "60 %" (€ 6.000 of the € 10.000 obligation)`);
  if (!title || !title.includes('Verplichting € 10.000')) fail('Social Return theme title: ' + title);
  console.log(`ambitions: "${co2}" / "${sroi}"; Social Return ${share} (${title})`);
}

try {
  await refusals().catch((e) => fail(e.message.split("\n")[0]));
  await accessRefused().catch((e) => fail(e.message.split("\n")[0]));
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.error('console: ' + m.text()); });
  // no stream yet (refused): every tile shows "–", the status says there are no figures
  await page.route('**/api/stream*', (r) => r.abort());
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('offline'),
                             null, { timeout: 15000 });
  for (const k of ['fairtrade', 'sroi', 'nox', 'material', 'co2', 'pilots']) {
    const v = await page.textContent('#val-' + k);
    if (v !== '–') fail(`before the snapshot tile ${k} shows "${v}", expected "–"`);
  }
  const noFigures = await page.textContent('#status');
  if (!noFigures.includes('nog geen cijfers')) fail('status before any snapshot: ' + noFigures);
  if ((await page.textContent('#themes')) !== '–') fail('theme shares before the snapshot');
  console.log('before the snapshot: every tile "–", status "' + noFigures + '"');
  await page.screenshot({ path: path.join(outDir, 'dashboard-before-snapshot.png'), fullPage: false });
  await page.unroute('**/api/stream*');
  await firstLoad(page);
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  const title = await page.textContent('#title');
  if (title !== 'MVOI-dashboard') fail(`Dutch title expected, got "${title}"`);
  const heading = await page.textContent('#tile-co2 h3');
  if (heading !== 'Vermeden CO2') fail(`Dutch CO2 tile expected, got "${heading}"`);
  const before = Number(await page.getAttribute('#val-co2', 'data-raw'));
  const shownBefore = await page.textContent('#val-co2');
  await page.evaluate(() => { window.__noReload = 42; });

  // Submit a measurement through the JSON API: 2,500 litres of HVO100 -> the fake
  // aggregator adds 2,500,000 g CO2 to kpi.co2.<year>.heerlen and publishes it.
  const body = { measurements: [{ id: 'browser-' + Date.now(), tender_id: 'T-1', phase: 'realisation',
    period_end: '2026-05-20', energy: { carrier: 'hvo100', quantity_milli: 2500000 } }] };
  const res = await fetch(base + '/api/measurements', { method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify(body) });
  if (res.status !== 201) fail('POST /api/measurements: ' + res.status + ' ' + await res.text());

  const want = before + 2500000;
  await page.waitForFunction((w) => Number(document.querySelector('#val-co2').dataset.raw) === w,
                             want, { timeout: 10000 });
  const shownAfter = await page.textContent('#val-co2');
  if (shownAfter === shownBefore) fail('the CO2 tile text did not change');
  if (await page.evaluate(() => window.__noReload) !== 42) fail('the page was reloaded');
  console.log(`CO2 tile: ${shownBefore} -> ${shownAfter} kg without reload`);
  await page.waitForTimeout(700);   // let the highlight fade
  await page.screenshot({ path: path.join(outDir, 'dashboard.png'), fullPage: true });

  // lists from the JSON API
  const upcoming = await page.textContent('#upcoming');
  if (!upcoming.includes('Pancratiusplein')) fail('upcoming kick-offs missing: ' + upcoming);

  // "Recente metingen": the new measurement first (the list refreshes after a KPI update)
  const mid = body.measurements[0].id;
  await page.waitForFunction((id) => document.querySelector('#measurements li')?.textContent.includes(id),
                             mid, { timeout: 10000 });
  const firstRecent = await page.textContent('#measurements li');
  if (!firstRecent.includes('T-1') || !firstRecent.includes('2.500 kg'))
    fail('recent measurement without tender or impact: ' + firstRecent);
  console.log('recent: ' + firstRecent);

  // drill-down: the CO2 tile -> its themes, tenders and measurements -> the factor source
  await page.click('#tile-co2');
  await page.waitForSelector('#drill:not([hidden]) #drill-themes li');
  const themes = await page.textContent('#drill-themes');
  if (!themes.includes('Klimaat')) fail('drill-down without the climate theme: ' + themes);
  const tenders = await page.textContent('#drill-tenders');
  if (!tenders.includes('T-1')) fail('drill-down without tender T-1: ' + tenders);
  await page.waitForFunction((id) => document.querySelector('#drill-measurements')?.textContent.includes(id),
                             mid, { timeout: 10000 });
  await page.click(`#drill-measurements button:has-text("${mid}")`);
  await page.waitForSelector('#drill-detail table.factors tr[data-table="co2"]');
  const row = await page.textContent('#drill-detail tr[data-table="co2"]');
  if (!row.includes('2026')) fail('factor edition missing: ' + row);
  const src = await page.getAttribute('#drill-detail tr[data-table="co2"] a', 'href');
  if (src !== 'https://www.co2emissiefactoren.nl/lijst-emissiefactoren/') fail('factor source: ' + src);
  console.log('drill-down: co2 -> ' + mid + ' -> ' + row);
  await page.screenshot({ path: path.join(outDir, 'dashboard-drill.png'), fullPage: true });
  const fav = await fetch(base + '/favicon.ico');
  if (fav.status !== 200 || !(fav.headers.get('content-type') || '').startsWith('image/'))
    fail('/favicon.ico: ' + fav.status);

  // the year picker: choosing the previous year reloads the dashboard for that year
  const thisYear = Number(await page.inputValue('#year'));
  await Promise.all([page.waitForURL((u) => u.searchParams.get('year') === String(thisYear - 1)),
                     page.selectOption('#year', String(thisYear - 1))]);
  await page.waitForFunction((y) => document.querySelector('#year')?.value === y,
                             String(thisYear - 1), { timeout: 15000 });
  const picked = await page.inputValue('#year');
  if (picked !== String(thisYear - 1)) fail(`year picker shows ${picked} after choosing ${thisYear - 1}`);
  const icon = await page.getAttribute('link[rel=icon]', 'href');
  if (!icon || !icon.startsWith('data:image/svg+xml')) fail('no favicon link');

  // the buyer: display name, not id; money with the euro sign first
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#buyer-name')?.textContent === 'Gemeente Heerlen',
                             null, { timeout: 10000 }).catch(() => {});
  const bname = await page.textContent('#buyer-name');
  if (bname !== 'Gemeente Heerlen') fail(`header names the buyer "${bname}"`);
  const sroi = await page.textContent('#val-sroi');
  if (sroi !== '€ 5.000') fail(`SROI tile "${sroi}", expected "€ 5.000" (500,000 cents)`);   // 250000 x 2 cents
  if (await page.textContent('#unit-sroi')) fail('SROI tile keeps a unit after the euro sign');
  await ambitionsAndObligation(page);
  // the quarterly chart names its two bars
  const legend = await page.$$eval('#trend svg text.trend-legend', (ts) => ts.map((x) => x.textContent));
  if (legend.join('|') !== 'Ambitie|Realisatie') fail(`trend legend "${legend.join('|')}"`);
  const pilotUnit = await page.textContent('#unit-pilots');   // the fake has 1 pilot realised
  if (pilotUnit !== 'pilot') fail(`pilots tile "${pilotUnit}" after 1, expected "pilot"`);
  console.log(`buyer "${bname}", SROI tile "${sroi}"`);

  // reports: the links of the year shown, for this buyer; the file comes through the gateway
  const annual = await page.getAttribute('#reports li[data-quarter="0"] a[data-format="html"]', 'href');
  const yr = await page.inputValue('#year');
  if (!annual.includes('buyer=heerlen') || !annual.includes('year=' + yr) || !annual.includes('quarter=0'))
    fail('annual report link: ' + annual);
  for (const f of ['pdf', 'xlsx'])
    if (!(await page.$(`#reports li[data-quarter="0"] a[data-format="${f}"]`))) fail('no ' + f + ' link');
  let rep = await fetch(base + annual);
  let repText = await rep.text();
  if (rep.status !== 200 || !repText.includes(`Rapport heerlen ${yr} Q0`)) fail('report via the link: ' + rep.status + ' ' + repText);
  if (!(rep.headers.get('content-disposition') || '').startsWith('inline')) fail('report disposition');

  // a narrative through the form: needs the admin role; then it is in the report
  await page.click('#narrative-form >> xpath=ancestor::details/summary');
  await page.selectOption('#narrative-form select[name=theme]', 'klimaat');
  await page.selectOption('#narrative-form select[name=quarter]', '0');
  const story = 'De HVO-inzet bij de veegdienst loopt voor op plan.';
  await page.fill('#narrative-form textarea', story);
  await page.fill('#narrative-form input[name=token]', token);   // a submitter: refused
  await page.click('#n-save');
  await page.waitForFunction(() => document.querySelector('#narrative-result')?.classList.contains('error'));
  const refused = await page.textContent('#narrative-result');
  if (!refused.includes('403')) fail('narrative with a submitter token: ' + refused);
  await page.fill('#narrative-form input[name=token]', admin);
  await page.click('#n-save');
  await page.waitForFunction(() => document.querySelector('#narrative-result')?.classList.contains('ok'));
  console.log('narrative: submitter "' + refused + '", admin "' + await page.textContent('#narrative-result') + '"');
  await page.screenshot({ path: path.join(outDir, 'dashboard-narrative.png'), fullPage: true });
  repText = await (await fetch(base + annual)).text();
  if (!repText.includes(story)) fail('the narrative is not in the report: ' + repText);
  const post = (b) => fetch(base + '/api/narratives', { method: 'POST', body: JSON.stringify(b),
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + admin } })
    .then(async (r) => [r.status, (await r.json()).field]);
  for (const [b, want] of [[{ year: 2026, theme: 'weer', text: 'x' }, 'theme'],
                           [{ year: 1999, theme: 'klimaat', text: 'x' }, 'year'],
                           [{ year: 2026, quarter: 5, theme: 'klimaat', text: 'x' }, 'quarter'],
                           [{ year: 2026, theme: 'klimaat', text: 'x'.repeat(4001) }, 'text'],
                           [{ year: 2026, theme: 'klimaat', text: 'x', who: 'me' }, 'who']]) {
    const [st, field] = await post(b);
    if (st !== 400 || field !== want) fail(`narrative ${JSON.stringify(b).slice(0, 60)}: ${st} ${field}`);
  }

  // the buyer picker: another buyer, its own figures only
  const names = await page.$$eval('#buyer option', (os) => os.map((o) => o.textContent));
  if (!names.includes('Gemeente Venlo') || !names.includes('Gemeente Heerlen')) fail('buyer picker: ' + names);
  await Promise.all([page.waitForURL((u) => u.searchParams.get('buyer') === 'venlo'),
                     page.selectOption('#buyer', 'venlo')]);
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#buyer-name')?.textContent === 'Gemeente Venlo',
                             null, { timeout: 10000 });
  // the snapshot sets "live" and then draws the tiles in the next frame: wait for the draw
  await page.waitForFunction(() => document.querySelector('#val-co2')?.textContent !== '–',
                             null, { timeout: 10000 }).catch(() => {});
  const vco2 = await page.textContent('#val-co2'), vsroi = await page.textContent('#val-sroi');
  if (vco2 !== '777' || vsroi !== '0') fail(`venlo tiles CO2 "${vco2}" (777,000 g) SROI "${vsroi}"`);
  const vft = await page.textContent('#sub-fairtrade');
  if (vft !== 'Geen ambitie vastgelegd · Projecten 1') fail(`venlo fair trade without an ambition: "${vft}"`);
  const vlink = await page.getAttribute('#reports li[data-quarter="0"] a[data-format="html"]', 'href');
  if (!vlink.includes('buyer=venlo')) fail('venlo report link: ' + vlink);
  repText = await (await fetch(base + vlink)).text();
  if (repText.includes(story) || !repText.includes('Rapport venlo')) fail('venlo report shows heerlen: ' + repText);
  console.log(`picker: ${names.length} buyers; venlo CO2 ${vco2} kg, SROI ${vsroi}`);
  await page.screenshot({ path: path.join(outDir, 'dashboard-venlo.png'), fullPage: false });

  // English
  await page.goto(base + '/?lang=en', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  const en = await page.textContent('#tile-co2 h3');
  if (en !== 'Avoided CO2') fail(`English CO2 tile expected, got "${en}"`);

  // a phone
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`horizontal overflow of ${overflow}px on a phone`);
  // the quarterly chart's labels are drawn at a readable size, not scaled down with it
  const labelPx = await page.$eval('#trend svg text.trend-legend', (x) => x.getBoundingClientRect().height);
  if (labelPx < 10) fail(`the trend chart's text is ${labelPx.toFixed(1)} px high on a phone`);
  console.log(`phone: trend chart text ${labelPx.toFixed(1)} px high`);
  await page.screenshot({ path: path.join(outDir, 'dashboard-phone.png'), fullPage: true });

  // the stream breaks (the gateway stops): the figures stay, marked as not live, and the
  // status says since when
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('live'),
                             null, { timeout: 15000 });
  const kept = await page.textContent('#val-co2');
  process.kill(Number(gwPid), 'SIGTERM');
  await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('offline'),
                             null, { timeout: 15000 });
  const off = await page.textContent('#status');
  if (!/Verbinding verbroken: cijfers van \d\d:\d\d, niet live/.test(off)) fail('after a disconnect: ' + off);
  if (!(await page.$('#tiles.not-live'))) fail('tiles not marked as not live');
  if ((await page.textContent('#val-co2')) !== kept) fail('the figure changed on disconnect');
  console.log('disconnected: "' + off + '", CO2 still ' + kept + ' (greyed)');
  await page.screenshot({ path: path.join(outDir, 'dashboard-offline.png'), fullPage: false });
  if (outside.length) fail('requests outside the gateway: ' + outside.join(', '));
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
if (!process.exitCode) console.log('browser test passed; screenshots in ' + outDir);
