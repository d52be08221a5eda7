// Phone fit and finish: the smallest supported screen (360 px), thumb-sized targets, what the page
// weighs, sign-in failures, and the commissioner ending an auction early.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, phone, shot, text } from './lib/browser.mjs';
import { ROOT, Stack, setup, token } from './lib/stack.mjs';

const ID = 'web-e2e-2';
let stack, browser;

before(async () => {
  stack = await new Stack().start();
  await stack.createAuction(
    setup({ id: ID, managers: [['dee', 'Deepika Padukone-Smythe'], ['eli', 'Eli']], assets: [['brighton', 'Brighton & Hove Albion'], ['wolves', 'Wolverhampton Wanderers'], ['forest', 'Nottingham Forest']], slots: 3, clockMs: 60000, antiSnipeMs: 10000 }),
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

function staticFiles(dir = join(ROOT, 'web/static')) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? staticFiles(join(dir, f)) : [join(dir, f)]));
}

/** The bytes a phone downloads for one file: gzip-encoded by the gateway. */
function onTheWire(url) {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
    }).on('error', reject);
  });
}

test('the page is small and needs nothing from outside', async () => {
  const files = staticFiles();
  const total = files.reduce((a, f) => a + statSync(f).size, 0);
  assert.ok(total < 64000, `web/static is ${total} bytes (budget: 64 kB uncompressed)`);
  let wire = 0;
  for (const f of files) {
    const served = await onTheWire(`${stack.base}/${relative(join(ROOT, 'web/static'), f)}`);
    assert.equal(served.encoding, 'gzip', `${f} is served compressed`);
    wire += served.bytes;
  }
  assert.ok(wire < 25000, `the page costs ${wire} bytes on the wire (budget: 25 kB gzip)`);
  console.log(`# web/static: ${files.length} files, ${total} bytes uncompressed, ${wire} bytes gzip on the wire`);
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${f} must not load anything from another host`);
    assert.doesNotMatch(src, /@import|fonts\.googleapis|cdn\./i, f);
  }
});

test('an expired or forged session sends the person to sign in, with the reason', async () => {
  const page = await phone(browser, 'expired', { width: 360, height: 640 });
  await page.goto(`${stack.base}/#auction=${ID}&token=${token('dee', 'Dee', -60)}`);
  await page.waitForSelector('#signin-msg');
  assert.match(await text(page, '#signin-msg'), /session has expired/);
  const forged = token('dee', 'Dee').replace(/.{4}$/, 'AAAA');
  await page.goto(`${stack.base}/#auction=${ID}&token=${forged}`);
  await page.waitForSelector('#signin-msg');
  assert.match(await text(page, '#signin-msg'), /not valid|sign in again/i);
  await shot(page, '20-sign-in-needed');
  await page.context().close();
});

test('at 360 px wide nothing overflows, every control is at least 44 px, and the dock hides nothing vital', async () => {
  const casey = await phone(browser, 'Casey');
  const dee = await phone(browser, 'Dee', { width: 360, height: 640 });
  const eli = await phone(browser, 'Eli', { width: 360, height: 640 });
  await casey.goto(`${stack.base}/#auction=${ID}&token=${token('commish', 'Casey')}`);
  await dee.goto(`${stack.base}/#auction=${ID}&token=${token('dee', 'Deepika Padukone-Smythe')}`);
  await eli.goto(`${stack.base}/#auction=${ID}&token=${token('eli', 'Eli')}`);
  for (const p of [casey, dee, eli]) await p.waitForSelector('#waiting:visible');
  await casey.waitForSelector('#present li[data-user="dee"][data-online="true"]');
  await casey.tap('#c-begin');
  await dee.waitForSelector('#qb button');
  await dee.locator('#qb button').first().tap();
  await eli.waitForFunction(() => document.getElementById('leader').textContent == 'Deepika Padukone-Smythe');
  await dee.waitForSelector('#me-banner[data-state="leading"]');
  await shot(dee, '21-360px-leading');
  await shot(eli, '22-360px-bidding');
  for (const [p, who] of [[dee, 'leading'], [eli, 'bidder']]) {
    const m = await p.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const overflow = document.documentElement.scrollWidth - vw;
      const small = [...document.querySelectorAll('button, input, a.btn')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => ({ id: e.id || e.textContent.trim().slice(0, 20), r: e.getBoundingClientRect() }))
        .filter((x) => x.r.height < 44 || x.r.width < 44)
        .map((x) => `${x.id} ${Math.round(x.r.width)}x${Math.round(x.r.height)}`);
      const dockTop = document.getElementById('dock').getBoundingClientRect().top;
      const vital = ['price', 'leader', 'clock', 'me-banner'].map((id) => ({ id, bottom: document.getElementById(id).getBoundingClientRect().bottom }));
      return { vw, overflow, small, dockTop, vital };
    });
    assert.equal(m.vw, 360);
    assert.ok(m.overflow <= 0, `${who}: page is ${m.overflow}px wider than the screen`);
    assert.deepEqual(m.small, [], `${who}: targets under 44 px`);
    console.log(`# ${who}: dock top ${m.dockTop}, ${JSON.stringify(m.vital)}`);
    for (const v of m.vital) assert.ok(v.bottom <= m.dockTop, `${who}: #${v.id} is hidden behind the bid panel (${v.bottom} > ${m.dockTop})`);
  }
  // The bid panel stays on screen when the amount field is focused.
  await eli.tap('#more');
  await eli.tap('#amt');
  await eli.waitForSelector('#autopass:visible');
  const box = await eli.locator('#amt-bid').boundingBox();
  assert.ok(box && box.y + box.height <= 640, 'the Bid button is visible while typing');

  // Eli turns auto-pass on: everybody but the leader is out, so the lot closes at once.
  await eli.tap('#autopass');
  await eli.waitForSelector('#autopass[aria-pressed="true"]');
  await casey.waitForFunction(() => window.__auction.view.sold.length === 1);
  await dee.waitForFunction(() => window.__auction.view.phase.state === 'lot_open' && window.__auction.view.lot.lot === 2);

  // The commissioner ends the auction early (two taps); the open lot is withdrawn.
  await casey.tap('#c-end');
  await casey.waitForSelector('#c-end:has-text("Tap again to end")');
  await casey.tap('#c-end');
  for (const p of [casey, dee, eli]) {
    await p.waitForSelector('#results:visible');
    assert.match(await text(p, '#end-reason'), /the commissioner ended it/);
  }
  assert.equal(await dee.locator('#dock').isVisible(), false);
  await shot(eli, '23-ended-by-commissioner', true);
  const dees = (await dee.evaluate(() => window.__auction.view.managers)).find((m) => m.id === 'dee');
  assert.deepEqual(dees.roster.map((r) => [r.asset, r.price]), [['brighton', 1000000]], 'the sale before the end stands');
  for (const p of [casey, dee, eli]) assert.deepEqual(p.errors, [], `${p.label} errors`);
  for (const p of [casey, dee, eli]) await p.context().close();
});

test('rotation: the manager whose turn it is picks the next asset and leads it at the opening bid', async () => {
  const id = 'web-e2e-rotation';
  await stack.createAuction(setup({ id, managers: [['dee', 'Dee'], ['eli', 'Eli']], assets: [['brighton', 'Brighton & Hove Albion'], ['wolves', 'Wolverhampton Wanderers']],
    slots: 1, clockMs: 30000, antiSnipeMs: 10000, nomination: { mode: 'rotation', nomination_clock: 60000 } }));
  const pages = {};
  for (const [user, name] of [['commish', 'Casey'], ['dee', 'Dee'], ['eli', 'Eli']]) {
    pages[user] = await phone(browser, name);
    await pages[user].goto(`${stack.base}/#auction=${id}&token=${token(user, name)}`);
    await pages[user].waitForSelector('#waiting:visible');
  }
  await pages.commish.waitForSelector('#present li[data-user="eli"][data-online="true"]');
  await pages.commish.tap('#c-begin');
  await pages.dee.waitForFunction(() => window.__auction.view?.phase.state === 'nominating');
  const nominator = await pages.dee.evaluate(() => window.__auction.view.phase.nominator);
  const other = nominator === 'dee' ? 'eli' : 'dee';
  await pages[nominator].waitForSelector('#nominate [data-asset="wolves"]');
  assert.match(await text(pages[nominator], '#lot-asset'), /Your turn to choose the next asset/);
  assert.match(await text(pages[other], '#lot-asset'), /is choosing the next asset/);
  assert.equal(await pages[other].locator('#nominate').isVisible(), false);
  await shot(pages[nominator], '24-rotation-your-turn');
  await pages[nominator].tap('#nominate [data-asset="wolves"]');
  await pages[nominator].waitForSelector('#me-banner[data-state="leading"]');
  assert.equal(await text(pages[other], '#lot-asset'), 'Wolverhampton Wanderers');
  assert.equal(await text(pages[other], '#price'), '£1m');
  for (const p of Object.values(pages)) assert.deepEqual(p.errors, [], `${p.label} errors`);
  for (const p of Object.values(pages)) await p.context().close();
});
