// The client's pure modules in Node (no browser): money formatting mirrors auction/src/money.rs, the
// amount parser is exact, and the state store applies events in sequence order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as M from '../static/js/model.js';
import { fmt, parseAmount, stepAt } from '../static/js/money.js';

const GBP = { style: 'millions', symbol: '£' };
const INR = { style: 'indian', symbol: '₹' };
const USD = { style: 'plain', symbol: '$' };

test('money is shown exactly as the Rust CurrencyFormat shows it', () => {
  const cases = [
    [GBP, 48e6, '£48m'], [GBP, 1_500_000, '£1.5m'], [GBP, 1_250_000, '£1.25m'], [GBP, 1_000_001, '£1.000001m'],
    [GBP, 500e6, '£500m'], [GBP, 1500e6, '£1,500m'], [GBP, 500_000, '£500k'], [GBP, 1_500, '£1.5k'], [GBP, 999, '£999'], [GBP, 0, '£0'],
    [INR, 5e5, '₹5 lakh'], [INR, 1_250_000, '₹12.5 lakh'], [INR, 12e6, '₹1.2 cr'], [INR, 2e7, '₹2 cr'], [INR, 120e7, '₹120 cr'],
    [INR, 50_000, '₹50,000'], [INR, 99_999, '₹99,999'],
    [USD, 1_234_567, '$1,234,567'], [USD, 12, '$12'],
    [GBP, 1e15, '£1,000,000,000m'],
  ];
  for (const [cur, units, text] of cases) assert.equal(fmt(units, cur), text, `${units}`);
});

test('typed amounts are parsed exactly in the league\'s units', () => {
  const ok = [
    [GBP, '12', 12e6], [GBP, '12.5', 12_500_000], [GBP, '£12.5m', 12_500_000], [GBP, '500k', 500_000], [GBP, '1.000001', 1_000_001],
    [GBP, ' 1,500 ', 1500e6], [GBP, '.5', 500_000], [INR, '5', 5e5], [INR, '1.2 cr', 12e6], [INR, '12.5 lakh', 1_250_000],
    [USD, '$1,234,567', 1_234_567],
  ];
  for (const [cur, t, units] of ok) assert.deepEqual(parseAmount(t, cur), { units }, t);
  for (const t of ['', 'abc', '1.2.3', '12x', '1.0000001', '-5', '0', '99999999999999999'])
    assert.ok(parseAmount(t, GBP).error, `"${t}" is refused`);
});

test('the increment rule gives the step at a price', () => {
  assert.equal(stepAt({ flat: 1e6 }, 5e6), 1e6);
  const ipl = { tiered: [{ below: 1e7, step: 5e5 }, { below: 2e7, step: 1e6 }, { below: 5e7, step: 2e6 }, { below: null, step: 2_500_000 }] };
  assert.equal(stepAt(ipl, 9_500_000), 5e5);
  assert.equal(stepAt(ipl, 1e7), 1e6);
  assert.equal(stepAt(ipl, 6e7), 2_500_000);
});

// A minimal view as a snapshot carries it.
function view() {
  return {
    auction_id: 'a', league_name: 'L', commissioner: 'c',
    settings: { currency: GBP, increment: { flat: 1e6 }, bid_clock: 20000, anti_snipe: 10000, min_opening_bid: 1e6 },
    phase: { state: 'lot_open' },
    lot: { lot: 1, asset: 'x', opening_bid: 1e6, price: null, leader: null, deadline: 100000, remaining_when_paused: null, min_next_bid: 1e6, bids: [], passed: [], offer: 1, nominated_by: null },
    managers: [
      { id: 'ann', name: 'Ann', remaining: 50e6, max_bid: 48e6, max_bid_reason: { reserve_per_slot: 1e6, other_empty_slots: 2 }, slots: 3, slots_left: 3, roster: [] },
      { id: 'bob', name: 'Bob', remaining: 50e6, max_bid: 48e6, max_bid_reason: { reserve_per_slot: 1e6, other_empty_slots: 2 }, slots: 3, slots_left: 3, roster: [] },
    ],
    assets: [{ id: 'x', name: 'X' }], sold: [], unsold: [], upcoming: [], lots_opened: 1,
  };
}
const bidEv = (seq, bidder, amount, deadline, at) => ({
  seq, phase: { state: 'lot_open' },
  lot: { ...view().lot, price: amount, leader: bidder, deadline, min_next_bid: amount + 1e6 },
  event: { type: 'bid_accepted', lot: 1, bidder, amount, key: 'k', by_proxy: false, deadline, at },
});

test('events apply in order; bids are appended; anti-snipe resets are noticed', () => {
  const s = M.createState();
  s.me = { user: 'ann', name: 'Ann' };
  s.link = 'live';
  M.applySnapshot(s, { seq: 5, view: view() });
  assert.equal(M.bidGate(s).ok, true);
  assert.deepEqual(M.applyEvents(s, { events: [bidEv(6, 'ann', 1e6, 100000, 80000)] }), { gap: false });
  assert.equal(s.view.lot.bids.length, 1);
  assert.equal(M.myStanding(s), 'leading');
  assert.equal(M.bidGate(s).leading, true, 'no bidding against yourself');
  // A duplicate is ignored; a late bid moves the deadline: anti-snipe.
  M.applyEvents(s, { events: [bidEv(6, 'ann', 1e6, 100000, 80000), bidEv(7, 'bob', 2e6, 105000, 95000)] });
  assert.equal(s.seq, 7);
  assert.deepEqual(s.view.lot.bids.map((b) => b.amount), [1e6, 2e6]);
  assert.deepEqual(s.snipe, { lot: 1, deadline: 105000, at: 95000 });
  assert.equal(M.myStanding(s), 'outbid');
  // A hidden (private) event still advances the sequence.
  M.applyEvents(s, { events: [{ seq: 8, event: null, phase: { state: 'lot_open' }, lot: bidEv(7, 'bob', 2e6, 105000, 95000).lot }] });
  assert.equal(s.seq, 8);
  assert.equal(s.view.lot.bids.length, 2, 'bids survive events that carry the lot without them');
  // A gap is reported, nothing is applied.
  assert.deepEqual(M.applyEvents(s, { events: [bidEv(10, 'ann', 3e6, 105000, 96000)] }), { gap: true });
  assert.equal(s.seq, 8);
});

test('a new lot starts an empty feed; changed manager rows are merged by id and the board replaced', () => {
  const s = M.createState();
  s.me = { user: 'ann' };
  M.applySnapshot(s, { seq: 1, view: view() });
  M.applyEvents(s, { events: [bidEv(2, 'bob', 1e6, 100000, 90000)] });
  const sold = { seq: 3, phase: { state: 'between_lots', next_lot_at: 104000 }, lot: null,
    managers: view().managers.filter((m) => m.id === 'bob').map((m) => ({ ...m, remaining: 49e6, slots_left: 2, roster: [{ asset: 'x', price: 1e6, lot: 1, keeper: false }] })),
    board: { sold: [{ lot: 1, asset: 'x', buyer: 'bob', price: 1e6, at: 100000 }], unsold: [], upcoming: ['y'] },
    event: { type: 'lot_sold', lot: 1, asset: 'x', buyer: 'bob', price: 1e6, at: 100000 } };
  M.applyEvents(s, { events: [sold] });
  assert.equal(s.view.lot, null);
  assert.deepEqual(s.view.managers.map((m) => m.id), view().managers.map((m) => m.id), 'every row kept, in order');
  assert.equal(s.view.managers.find((m) => m.id === 'bob').remaining, 49e6, "the buyer's row is replaced");
  assert.equal(s.view.sold.length, 1);
  assert.deepEqual(s.view.upcoming, ['y']);
  assert.equal(s.log[0].type, 'lot_sold');
  assert.equal(M.remaining(s, 103000), 1000, 'the gap clock counts to the next lot');
  const opened = { seq: 4, phase: { state: 'lot_open' }, lot: { ...view().lot, lot: 2, asset: 'y' },
    event: { type: 'lot_opened', lot: 2, asset: 'y', opening_bid: 1e6, deadline: 124000, nominated_by: null, offer: 1, at: 104000 } };
  M.applyEvents(s, { events: [opened] });
  assert.deepEqual(s.view.lot.bids, []);
  assert.equal(s.view.lots_opened, 2);
});

test('the clock is frozen while paused and reads the server deadline otherwise', () => {
  const s = M.createState();
  M.applySnapshot(s, { seq: 1, view: view() });
  assert.equal(M.remaining(s, 90000), 10000);
  assert.equal(M.remaining(s, 200000), 0);
  s.view.phase = { state: 'paused', remaining: 7300, resumes_into: { into: 'lot_open' } };
  assert.equal(M.remaining(s, 90000), 7300);
  assert.equal(M.remaining(s, 99999999), 7300);
  assert.equal(M.clockText(7300), '7.3');
  assert.equal(M.clockText(15001), '16');
  assert.equal(M.clockText(65000), '1:05');
});

test('max bid reasons use the words of RULES.md', () => {
  const s = M.createState();
  M.applySnapshot(s, { seq: 1, view: view() });
  const m = s.view.managers[0];
  assert.equal(M.maxBidReason(s, m), 'Max bid is £48m: keep £1m for each of your 2 other empty slots');
  assert.equal(M.maxBidReason(s, { ...m, max_bid: 49e6, max_bid_reason: { reserve_per_slot: 1e6, other_empty_slots: 1 } }), 'Max bid is £49m: keep £1m for your 1 other empty slot');
  assert.equal(M.maxBidReason(s, { ...m, max_bid: 20e6, slots_left: 1, max_bid_reason: { reserve_per_slot: 1e6, other_empty_slots: 0 } }), 'Max bid is £20m: that is all of your remaining budget');
});

test('quick bids are the next valid bid and multiples of the increment', () => {
  const s = M.createState();
  s.me = { user: 'ann' };
  M.applySnapshot(s, { seq: 1, view: view() });
  assert.deepEqual(M.quickBids(s), [1e6, 2e6, 5e6, 10e6]);
  M.applyEvents(s, { events: [bidEv(2, 'bob', 12e6, 100000, 90000)] });
  assert.deepEqual(M.quickBids(s), [13e6, 14e6, 17e6, 22e6]);
});
