// A complete auction on phones: three managers, a commissioner and a spectator, each in their own
// browser context, against real store-server, node and gateway processes on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, lockScreen, phone, shot, state, text } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';

const LEAGUE = 'Pilot Test League';
const ASSETS = [['arsenal', 'Arsenal'], ['chelsea', 'Chelsea'], ['everton', 'Everton'], ['fulham', 'Fulham'], ['liverpool', 'Liverpool'], ['spurs', 'Tottenham Hotspur']];
const CLOCK = 20000;
const SNIPE = 15000;
const SETTINGS = { budget: 100_000_000, roster_slots: 2, bid_clock: CLOCK, anti_snipe: SNIPE, gap_between_lots: 1000, nomination: { mode: 'fixed_order' } };

let stack, browser, px, league;
const invites = {};
const P = {}; // pages by person
const ID = {}; // user ids by person (the league service makes them)
const KEY = {}; // person by user id

before(async () => {
  stack = await new Stack().start();
  // The commissioner's league, made through the league API, with two invite codes.
  const boss = await stack.signUp('casey@club.example', 'Casey');
  league = await stack.league(boss, LEAGUE, SETTINGS, ASSETS);
  for (const role of ['manager', 'spectator']) invites[role] = await stack.api(`/leagues/${league.id}/invites`, { token: boss, body: { role } });
  px = await stack.proxy(); // Cat's phone reaches the gateway through a link the test can cut
  browser = await launch();
  // Cat has a small phone; Fan's phone clock is 7 s fast.
  for (const [key, name, opts] of [['casey', 'Casey'], ['ann', 'Ann'], ['ben', 'Ben'], ['cat', 'Cat', { width: 360, height: 740 }], ['fan', 'Fan', { clockOffsetMs: 7000 }]])
    P[key] = await phone(browser, name, opts);
});

after(async () => {
  if (process.exitCode || failed) stack?.dumpLogs();
  await browser?.close();
  await stack?.stop();
});

let failed = false;
const step = (name, fn) =>
  test(name, async (t) => {
    if (failed) return t.skip('an earlier step failed');
    try {
      await fn(t);
    } catch (e) {
      failed = true;
      for (const [k, p] of Object.entries(P)) await shot(p, `fail-${k}`).catch(() => {});
      throw e;
    }
  });

const all = () => Object.values(P);
const managers = () => [P.ann, P.ben, P.cat];
const waitState = (page, fn, arg, timeout = 20000) => page.waitForFunction(fn, arg, { timeout, polling: 50 });
const lotOpen = (page, n) => waitState(page, (n) => window.__auction.view?.phase.state === 'lot_open' && window.__auction.view.lot?.lot === n && window.__auction.link === 'live', n);
const tapBid = async (page, amountUnits) => {
  const b = page.locator(`#qb button[data-amount="${amountUnits}"]`);
  await b.waitFor({ state: 'visible' });
  await b.tap();
};

const claimsOf = (page) => page.evaluate(() => JSON.parse(atob(localStorage.getItem('auction.token').split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))));

step('the commissioner signs in with a magic link and sees the league page', async () => {
  await P.casey.goto(`${stack.base}/`);
  await P.casey.waitForSelector('#signin-msg');
  await P.casey.fill('#f-email', 'casey@club.example');
  await P.casey.tap('#submit');
  await P.casey.waitForSelector('#dev-link'); // --dev-login: the mailed link comes back
  await shot(P.casey, '01-sign-in');
  await P.casey.tap('#dev-link');
  await P.casey.locator(`a[href="#/l/${league.id}"]`).tap();
  await P.casey.waitForSelector('#league-title');
  assert.equal(await text(P.casey, '#league-title'), LEAGUE);
  assert.match(await text(P.casey, '#v-page'), /You are the commissioner/);
  assert.equal(await text(P.casey, '#enter'), 'Open the waiting room');
  ID.casey = (await claimsOf(P.casey)).sub;
});

step('an invite link signs people up and opens the league page: members, rules, table', async () => {
  for (const key of ['ann', 'ben', 'cat', 'fan']) {
    const p = P[key], link = invites[key == 'fan' ? 'spectator' : 'manager'].link;
    await p.goto(key == 'cat' ? link.replace(stack.base, px.base) : link); // <base>/join/<code> → /#join=<code>
    await p.waitForSelector('#f-name');
    assert.match(await text(p, '#v-page'), new RegExp(`Casey invites you to join as a ${key == 'fan' ? 'spectator' : 'manager'}`));
    if (key == 'ann') await shot(p, '02-invitation');
    await p.fill('#f-name', p.label);
    await p.fill('#f-email', `${key}@fans.example`);
    await p.tap('#submit');
    await p.waitForSelector('#league-title');
    assert.doesNotMatch(p.url(), /join=|token=/, 'no secret stays in the address bar');
    ID[key] = (await claimsOf(p)).sub;
  }
  for (const k in ID) KEY[ID[k]] = k;
  assert.match(await text(P.ann, '#v-page'), /You are a manager/);
  assert.match(await text(P.fan, '#v-page'), /You are a spectator/);
  assert.match(await text(P.ann, '#v-page'), /Max bid = budget left − £1m × \(empty slots − 1\)/);
  assert.match(await text(P.ann, '#v-page'), /a bid with less than 15 s left resets the clock to 15 s/);
  assert.match(await text(P.ann, '#v-page'), /The table fills in once fixtures are played/);
  assert.equal(await P.ann.locator('#enter').count(), 0, 'only the commissioner opens the waiting room');
  await P.casey.waitForSelector('text=Members (4)'); // the commissioner's page refreshes by itself
  await shot(P.ann, '03-league-page', true);
});

step('the commissioner opens the waiting room; everyone comes in and is seen, live', async () => {
  await P.casey.tap('#enter');
  await P.casey.waitForSelector('#waiting:visible');
  for (const k of ['ann', 'ben', 'cat', 'fan']) {
    await P[k].waitForSelector('a#enter', { timeout: 15000 }); // the league page notices by itself
    await P[k].tap('#enter');
    await P[k].waitForSelector('#waiting:visible');
  }
  for (const m of ['ann', 'ben', 'cat']) await P.casey.waitForSelector(`#present li[data-user="${ID[m]}"][data-online="true"]`);
  await P.casey.waitForSelector('#c-begin:visible');
  assert.match(await text(P.casey, '#waiting-msg'), /3 of 3 managers are here/);
  assert.match(await text(P.ann, '#waiting-msg'), /The commissioner starts the auction/);
  await shot(P.casey, '04-waiting-room-commissioner');
  await shot(P.ann, '05-waiting-room-manager');
});

step('a manager sees no commissioner controls, and the server refuses them if forced', async () => {
  for (const p of [P.ann, P.ben, P.cat, P.fan]) assert.equal(await p.locator('#commish').isVisible(), false);
  const answers = await P.ann.evaluate(async (id) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'auction.v1.json');
    const got = [];
    ws.onmessage = (m) => got.push(JSON.parse(m.data));
    await new Promise((r) => (ws.onopen = r));
    ws.send(JSON.stringify({ type: 'hello', token: localStorage.getItem('auction.token') }));
    const cmds = [{ type: 'begin' }, { type: 'pause' }, { type: 'end' }, { type: 'skip' }, { type: 'undo' }];
    cmds.forEach((command, i) => ws.send(JSON.stringify({ type: 'command', request_id: i + 1, auction_id: id, command })));
    const until = Date.now() + 10000;
    while (got.filter((f) => f.request_id).length < cmds.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    return got.filter((f) => f.request_id);
  }, await P.ann.evaluate(() => window.__auction.view.auction_id));
  assert.equal(answers.length, 5);
  for (const f of answers) {
    assert.equal(f.type, 'refused', JSON.stringify(f));
    assert.equal(f.code, 'not_commissioner');
  }
  assert.equal((await state(P.ann)).view.phase.state, 'waiting', 'nothing changed');
});

step('the commissioner begins; every phone shows lot 1 with the server clock', async () => {
  await P.casey.tap('#c-begin');
  for (const p of all()) await lotOpen(p, 1);
  for (const p of all()) {
    assert.equal(await text(p, '#lot-asset'), 'Arsenal');
    assert.equal(await p.locator('#clock').getAttribute('data-state'), 'running');
  }
  assert.equal(await P.fan.locator('#dock').isVisible(), false, 'a spectator cannot bid');
  assert.equal(await P.ann.locator('#dock').isVisible(), true);
  // Every screen renders the same countdown (deadline − server time, corrected for skew), even the
  // spectator whose phone clock is 7 s fast.
  const deadlines = await Promise.all(all().map((p) => p.evaluate(() => window.__auction.view.lot.deadline)));
  assert.equal(new Set(deadlines).size, 1);
  const shown = await Promise.all(all().map((p) => p.locator('#clock').innerText()));
  const secs = shown.map(Number);
  assert.ok(Math.max(...secs) - Math.min(...secs) <= 1, `clocks agree: ${shown}`);
  await shot(P.ann, '06-lot-open');
});

step('a double tap places exactly one bid; "you are leading" is unmistakable', async () => {
  const b = P.ann.locator('#qb button[data-amount="1000000"]');
  await b.waitFor();
  await b.dblclick();
  await P.ann.waitForSelector('#me-banner[data-state="leading"]');
  assert.match(await text(P.ann, '#me-banner'), /YOU ARE LEADING at £1m/);
  await P.ben.waitForFunction((ann) => window.__auction.view.lot.leader === ann, ID.ann);
  const s = await state(P.ann);
  assert.equal(s.view.lot.bids.filter((x) => x.bidder === ID.ann).length, 1, 'one bid, not two');
  assert.equal(await P.ann.locator('#dock-msg[data-code="already_leading"]').count(), 0);
  assert.equal(await P.ann.locator('#qb').isVisible(), false, 'no bid buttons while leading');
  assert.equal(await text(P.ben, '#leader'), 'Ann');
  await shot(P.ann, '07-you-are-leading');
});

step('a late bid resets the clock (anti-snipe), visibly on every screen', async () => {
  // Wait until less than the anti-snipe window is left, then bid.
  await waitState(P.ben, (w) => window.__auction.view.lot.deadline - (Date.now() + 0) < w - 1500, SNIPE, 15000);
  const before = (await state(P.ben)).view.lot.deadline;
  await tapBid(P.ben, 2000000);
  for (const p of all()) await p.waitForSelector('#snipe:visible', { timeout: 5000 });
  assert.match(await text(P.fan, '#snipe'), /reset to 15 s/);
  const afterDeadline = (await state(P.fan)).view.lot.deadline;
  assert.ok(afterDeadline > before, 'the deadline moved later');
  await P.ann.waitForSelector('#me-banner[data-state="outbid"]');
  assert.match(await text(P.ann, '#me-banner'), /Outbid: Ben leads at £2m/);
  await shot(P.fan, '08-anti-snipe-spectator');
  await shot(P.ann, '09-outbid');
});

step('a refused bid shows the server\'s reason', async () => {
  await P.cat.tap('#more');
  await P.cat.fill('#amt', '150');
  await P.cat.tap('#amt-bid');
  await P.cat.waitForSelector('#dock-msg[data-code="above_max_bid"]');
  assert.equal(await text(P.cat, '#dock-msg'), 'Max bid is £99m: keep £1m for your 1 other empty slot');
  await shot(P.cat, '10-refused-bid');
  await P.cat.fill('#amt', '2.5');
  await P.cat.tap('#amt-bid');
  await P.cat.waitForSelector('#dock-msg[data-code="below_minimum_next"]');
  assert.match(await text(P.cat, '#dock-msg'), /The next bid must be at least £3m: £2.5m is too low/);
  await P.cat.fill('#amt', '');
});

step('a manager whose connection drops mid-lot comes back to the right state', async () => {
  const seqBefore = (await state(P.cat)).seq;
  px.cut();
  await P.cat.waitForSelector('#conn[data-state="reconnecting"]');
  await P.cat.waitForSelector('#v-room.stale');
  assert.equal(await P.cat.locator('#qb').isVisible(), false, 'no bidding on a stale price');
  assert.equal(await P.cat.locator('#clock').getAttribute('data-state'), 'stale');
  // Meanwhile Ann bids.
  await tapBid(P.ann, 3000000);
  await P.ann.waitForSelector('#me-banner[data-state="leading"]');
  await shot(P.cat, '11-reconnecting');
  const cat = await state(P.cat);
  assert.notEqual(cat.view.lot.price, 3000000, 'Cat could not have seen it');
  px.restore();
  await P.cat.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
  await P.cat.waitForFunction(() => window.__auction.view.lot.price === 3000000);
  const [a, c] = [await state(P.ann), await state(P.cat)];
  assert.equal(c.seq, a.seq, 'caught up to the same sequence');
  assert.ok(c.seq > seqBefore);
  assert.equal(c.snapshots, 1, 'resumed from the last sequence (no fresh snapshot needed)');
  assert.equal(c.view.lot.deadline, a.view.lot.deadline, 'the same clock');
  assert.equal(await text(P.cat, '#price'), '£3m');
  assert.equal(await text(P.cat, '#leader'), 'Ann');
  assert.equal(await P.cat.locator('#v-room.stale').count(), 0);
  await shot(P.cat, '12-reconnected');
});

step('the screen locks and the network drops; unlocked, the phone shows the live price, never the old one as current', async () => {
  // Record what Cat's screen shows from now on.
  await P.cat.evaluate(() => {
    window.__seen = [];
    const rec = () => window.__seen.push({ t: Date.now(), conn: document.getElementById('conn').dataset.state, price: document.getElementById('price').textContent, stale: document.getElementById('v-room').classList.contains('stale') });
    new MutationObserver(rec).observe(document.getElementById('top') || document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-state', 'class'] });
  });
  const unlock = await lockScreen(P.cat);
  const lockedAt = Date.now(); // Cat's JavaScript is frozen from here until unlock()
  px.cut();
  await tapBid(P.ben, 4000000);
  await P.ben.waitForSelector('#me-banner[data-state="leading"]');
  await tapBid(P.ann, 5000000);
  await P.ann.waitForSelector('#me-banner[data-state="leading"]');
  // The phone stays locked while the lot runs on for another 3 seconds (as the spectator sees it).
  const c0 = Number(await text(P.fan, '#clock'));
  await P.fan.waitForFunction((c) => Number(document.getElementById('clock').textContent) <= c - 3, c0);
  px.restore();
  await unlock();
  await P.cat.waitForFunction(() => window.__auction.view.lot.price === 5000000 && window.__auction.link === 'live', null, { timeout: 15000 });
  const seen = (await P.cat.evaluate(() => window.__seen)).filter((x) => x.t > lockedAt);
  const oldAsCurrent = seen.filter((x) => x.price === '£3m' && x.conn === 'live' && !x.stale);
  assert.deepEqual(oldAsCurrent, [], 'the old price was never shown as live after unlocking');
  assert.ok(seen.some((x) => x.conn !== 'live'), 'the phone showed it was catching up');
  assert.equal(await text(P.cat, '#price'), '£5m');
  assert.equal(await text(P.cat, '#leader'), 'Ann');
  const [a, c] = [await state(P.ann), await state(P.cat)];
  assert.equal(c.seq, a.seq);
  assert.equal(c.view.lot.deadline, a.view.lot.deadline);
});

step('commissioner pause and resume freeze and restore the countdown on every screen', async () => {
  await P.casey.tap('#c-pause');
  for (const p of all()) await p.waitForSelector('#clock[data-state="paused"]');
  const frozen = (await state(P.casey)).view.phase.remaining;
  const expected = await P.casey.evaluate((ms) => (ms < 10000 ? (Math.floor(ms / 100) / 10).toFixed(1) : String(Math.ceil(ms / 1000))), frozen);
  // Sample every screen's clock for 1.5 s: it must not move, and must show the server's remaining time.
  const samples = await Promise.all(
    all().map((p) =>
      p.evaluate(async () => {
        const seen = new Set();
        for (let i = 0; i < 15; i++) {
          seen.add(document.getElementById('clock').textContent);
          await new Promise((r) => setTimeout(r, 100));
        }
        return [...seen];
      }),
    ),
  );
  for (const s of samples) assert.deepEqual(s, [expected]);
  assert.match(await text(P.ben, '#banner'), /Paused/);
  assert.equal(await P.ben.locator('#qb').isVisible(), false);
  await shot(P.ben, '13-paused');
  await shot(P.casey, '14-commissioner-controls');
  await P.casey.tap('#c-resume');
  for (const p of all()) await p.waitForSelector('#clock[data-state="running"]');
  const s = await state(P.casey);
  const left = s.view.lot.deadline - (await P.casey.evaluate(() => Date.now()));
  assert.ok(Math.abs(left - frozen) < 1500, `restored ~${frozen} ms, got ${left}`);
});

step('passes close the lot at once; the winner sees it; the board updates everywhere', async () => {
  await P.ben.tap('#pass');
  await P.cat.tap('#pass');
  for (const p of all()) await waitState(p, () => window.__auction.view.sold.length === 1);
  const s = await state(P.fan);
  assert.deepEqual(s.view.sold.map((x) => [x.asset, x.buyer, x.price]), [['arsenal', ID.ann, 5000000]]);
  await P.fan.tap('[data-tab="board"]');
  await P.fan.waitForSelector('#sold-board');
  assert.match(await text(P.fan, '#sold-board'), /Arsenal\s+Ann\s+£5m/);
  await P.ann.tap('[data-tab="managers"]');
  await P.ann.waitForSelector(`[data-manager="${ID.ann}"]`);
  assert.match(await text(P.ann, `[data-manager="${ID.ann}"]`), /£95m/);
  await shot(P.ann, '15-managers');
});

step('the commissioner undoes the last sale: refunded, and the asset is offered again', async () => {
  await P.casey.waitForSelector('#c-undo:visible');
  await P.casey.tap('#c-undo');
  for (const p of all()) await waitState(p, () => window.__auction.view.sold.length === 0);
  const s = await state(P.ann);
  const annRow = s.view.managers.find((m) => m.id === ID.ann);
  assert.equal(annRow.remaining, 100000000);
  assert.equal(annRow.roster.length, 0);
  assert.ok(s.view.lot?.asset === 'arsenal' || s.view.upcoming.includes('arsenal'));
  await P.ann.tap('[data-tab="feed"]');
  await P.ann.waitForSelector('text=Sale undone: Arsenal');
});

step('the auction runs to the end: by the clock, a skip, a sealed maximum and passes', async () => {
  const used = new Set();
  for (let guard = 0; guard < 12; guard++) {
    await waitState(P.fan, () => ['lot_open', 'ended'].includes(window.__auction.view.phase.state), null, 30000);
    const s = await state(P.fan);
    if (s.view.phase.state === 'ended') break;
    const lot = s.view.lot;
    for (const p of all()) await lotOpen(p, lot.lot);
    const open = s.view.managers.filter((m) => m.slots_left > 0);
    const buyer = open[lot.lot % open.length];
    const rivals = open.filter((m) => m.id !== buyer.id);
    const page = P[KEY[buyer.id]];
    const mode = !used.has('clock') ? 'clock' : !used.has('skip') ? 'skip' : !used.has('proxy') && rivals.length ? 'proxy' : 'pass';
    used.add(mode);
    const leads = (p, me, price) => waitState(p, ([n, me, price]) => {
      const v = window.__auction.view;
      return (v.lot?.leader === me && (price == null || v.lot.price === price)) || v.sold.some((x) => x.lot === n);
    }, [lot.lot, me, price]);
    if (mode === 'proxy') {
      // A sealed maximum of £7m: the auction bids for the buyer, only as much as needed.
      if ((await page.locator('#more').getAttribute('aria-expanded')) !== 'true') await page.tap('#more');
      await page.fill('#amt', '7');
      await page.tap('#proxy');
      await leads(page, buyer.id, 1000000);
      await page.waitForSelector('#my-money:has-text("your sealed max £7m")');
      await tapBid(P[KEY[rivals[0].id]], 2000000);
      await leads(P.fan, buyer.id, 3000000);
      assert.deepEqual((await state(P.fan)).view.lot.bids.map((b) => [b.bidder, b.amount, b.by_proxy]),
        [[buyer.id, 1000000, true], [rivals[0].id, 2000000, false], [buyer.id, 3000000, true]]);
      await P.fan.tap('[data-tab="feed"]');
      await P.fan.waitForSelector('#feed em:has-text("proxy")');
      assert.doesNotMatch(await text(P.fan, '#v-room'), /£7m/, 'the maximum stays sealed');
      await shot(page, '16-sealed-maximum');
    } else {
      await tapBid(page, lot.min_next_bid);
      await leads(page, buyer.id);
    }
    if (mode === 'skip') await P.casey.tap('#c-skip');
    if (mode === 'proxy' || mode === 'pass') for (const m of rivals) await P[KEY[m.id]].tap('#pass');
    await waitState(P.fan, (n) => window.__auction.view.sold.some((x) => x.lot === n), lot.lot, CLOCK + 10000);
  }
  for (const p of all()) await waitState(p, () => window.__auction.view.phase.state === 'ended', null, 30000);
  assert.deepEqual([...used].sort(), ['clock', 'pass', 'proxy', 'skip']);
});

step('everybody sees the same results', async () => {
  for (const p of all()) {
    await p.waitForSelector('#results:visible');
    assert.match(await text(p, '#end-reason'), /every roster is full/);
  }
  const s = await state(P.fan);
  for (const m of s.view.managers) assert.equal(m.roster.length, 2, `${m.name} filled both slots`);
  for (const p of managers()) {
    const mine = await state(p);
    assert.deepEqual(mine.view.managers, s.view.managers);
    assert.equal(await p.locator('#dock').isVisible(), false);
  }
  await shot(P.ann, '17-results', true);
  // Results export as CSV, from the results screen.
  const [download] = await Promise.all([P.ann.waitForEvent('download'), P.ann.tap('#results [data-file="rosters"]')]);
  const csv = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
  assert.match(download.suggestedFilename(), /rosters\.csv$/);
  for (const [, club] of ASSETS) assert.ok(csv.includes(club), `${club} is in the rosters CSV`);
  await shot(P.fan, '18-results-spectator');
});

step('no page made an outside request or raised an error', async () => {
  for (const p of all()) {
    const outside = p.requests.filter((u) => !/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//.test(u) && !u.startsWith('data:'));
    assert.deepEqual(outside, [], `${p.label} requested ${outside}`);
    assert.deepEqual(p.errors, [], `${p.label} errors`);
  }
});
