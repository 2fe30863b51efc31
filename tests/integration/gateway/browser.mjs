// The dashboard in headless Chromium: load it, submit a measurement through the API, see the
// CO2 tile change without a reload; Dutch by default, English with ?lang=en; nothing loaded
// from outside the gateway; no horizontal scrolling on a phone. Screenshots are artifacts.
// Usage: node browser.mjs <http port> <artifact dir> <submitter token>
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [port, outDir, token] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvoi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
const outside = [];
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.error('console: ' + m.text()); });
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
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
  await page.screenshot({ path: path.join(outDir, 'dashboard-phone.png'), fullPage: true });
  if (outside.length) fail('requests outside the gateway: ' + outside.join(', '));
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
if (!process.exitCode) console.log('browser test passed; screenshots in ' + outDir);
