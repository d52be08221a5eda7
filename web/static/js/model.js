// The client's state: a snapshot plus the events after it, applied strictly in sequence order.
// Pure (no DOM, no socket), so Node tests drive it directly.
import { fmt, stepAt } from './money.js';

// me: {user, name}; seq: the last applied; view: the AuctionView; mine: what only I see on the open
// lot; log: recent closes, pauses and undos (events, newest first); snipe: the last anti-snipe reset;
// link: connecting | syncing | live | reconnecting; recovering: the server holds the clock (heldAt).
export const createState = () => ({ me: null, seq: null, view: null, mine: { proxy_max: null, passed: false },
  presence: { online: [], watchers: 0 }, log: [], snipe: null, link: 'connecting', recovering: false, heldAt: null });

export function applySnapshot(s, f) {
  Object.assign(s, { view: f.view, seq: f.seq, mine: f.mine || { proxy_max: null, passed: false }, snipe: null });
  s.snapshots = (s.snapshots || 0) + 1;
}

/** Apply an `events` frame; {gap: true} when it skips a sequence number (resubscribe from s.seq). */
export function applyEvents(s, f) {
  if (!s.view) return { gap: true };
  for (const e of f.events) {
    if (e.seq <= s.seq) continue; // already applied
    if (e.seq != s.seq + 1) return { gap: true };
    applyOne(s, e);
    s.seq = e.seq;
  }
  return { gap: false };
}

const LOGGED = /^(lot_sold|lot_unsold|paused|resumed|sale_undone|auction_ended|auction_began|clock_restored)$/;

function applyOne(s, e) {
  const v = s.view, prev = v.lot, ev = e.event, me = s.me?.user;
  // Phase and lot are replaced; the lot's bids are kept (envelopes carry the lot without them).
  v.phase = e.phase;
  v.lot = e.lot ? { ...e.lot, bids: prev?.lot == e.lot.lot ? prev.bids : [] } : null;
  // Rows of the managers this event changed replace theirs in place (an unknown id is appended).
  for (const m of e.managers || []) {
    const i = v.managers.findIndex((x) => x.id == m.id);
    v.managers = i < 0 ? v.managers.concat(m) : v.managers.map((x, j) => (j == i ? m : x));
  }
  if (e.board) Object.assign(v, e.board);
  if (!ev) return; // private to somebody else
  const t = ev.type;
  if (t == 'lot_opened') (v.lots_opened = Math.max(v.lots_opened || 0, ev.lot)), (s.mine = { proxy_max: null, passed: false });
  else if (t == 'bid_accepted' && v.lot?.lot == ev.lot) {
    v.lot.bids = [...v.lot.bids, { bidder: ev.bidder, amount: ev.amount, by_proxy: ev.by_proxy, at: ev.at }];
    if (prev?.lot == ev.lot && prev.deadline != null && ev.deadline > prev.deadline) s.snipe = { lot: ev.lot, deadline: ev.deadline, at: ev.at };
    if (ev.bidder == me && !ev.by_proxy) s.mine.passed = false;
  } else if (t == 'proxy_set' && ev.manager == me) s.mine.proxy_max = ev.max;
  else if (t == 'passed' && ev.manager == me) s.mine = { proxy_max: null, passed: true };
  else if (t == 'lot_sold' || t == 'lot_unsold') s.mine = { proxy_max: null, passed: false };
  if (LOGGED.test(t)) s.log = [{ seq: e.seq, ...ev }, ...s.log].slice(0, 40);
}

// ---- derived values ----

export const cur = (s) => s.view?.settings?.currency;
const money = (s, u) => fmt(u, cur(s));
export const isCommissioner = (s) => !!s.view && s.me?.user == s.view.commissioner;
export const myRow = (s) => s.view?.managers.find((m) => m.id == s.me?.user) || null;
export const role = (s) => (myRow(s) ? 'manager' : isCommissioner(s) ? 'commissioner' : 'spectator');

export function nameOf(s, id) {
  const m = s.view?.managers.find((x) => x.id == id);
  if (m || id != s.view?.commissioner) return m ? m.name : id || '';
  return id == s.me?.user && s.me.name ? s.me.name : 'Commissioner';
}

export const assetOf = (s, id) => s.view?.assets.find((a) => a.id == id) || { id, name: id };

/** Milliseconds left on whichever clock runs, from the server's deadline; frozen while paused. */
export function remaining(s, serverNow) {
  const v = s.view, p = v?.phase;
  const end = { lot_open: v?.lot?.deadline, between_lots: p?.next_lot_at, nominating: p?.deadline }[p?.state];
  if (p?.state == 'paused') return p.remaining;
  return end == null ? null : Math.max(0, end - serverNow);
}

/** "12", "4.3" (tenths under 10 s), "1:05". */
export function clockText(ms) {
  if (ms == null) return '––';
  if (ms < 10000) return (Math.floor(ms / 100) / 10).toFixed(1);
  const sec = Math.ceil(ms / 1000);
  return sec >= 60 ? `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}` : String(sec);
}

/** Why a manager's max bid is what it is, in the words of RULES.md §5. */
export function maxBidReason(s, m) {
  if (!m.slots_left) return `Your roster is full (${m.slots} of ${m.slots} slots)`;
  const r = m.max_bid_reason, mx = `Max bid is ${money(s, m.max_bid)}: `, keep = money(s, r.reserve_per_slot), n = r.other_empty_slots;
  return mx + (!n ? 'that is all of your remaining budget' : n == 1 ? `keep ${keep} for your 1 other empty slot` : `keep ${keep} for each of your ${n} other empty slots`);
}

/** Whether I can bid on the open lot now and, if not, why (a sentence). */
export function bidGate(s) {
  const v = s.view, m = myRow(s), lot = v?.lot, no = (why, leading) => ({ ok: false, why, leading });
  if (!m || s.link != 'live') return no('Reconnecting…');
  if (s.recovering) return no('The auction is moving to another server: the clock is held');
  const why = {
    waiting: 'The auction has not started yet', paused: 'The auction is paused', ended: 'The auction has ended',
    between_lots: 'Bidding is closed between lots: the next lot opens soon', nominating: `Waiting for ${nameOf(s, v.phase.nominator)} to nominate`,
  }[v.phase.state];
  if (why || !lot) return no(why || 'No lot is open');
  if (!m.slots_left) return no(`Your roster is full (${m.slots} of ${m.slots} slots)`);
  if (lot.leader == m.id) return no('You are the highest bidder', true);
  if (m.max_bid < lot.min_next_bid) return no(`The next bid is ${money(s, lot.min_next_bid)}, above your max bid of ${money(s, m.max_bid)}`);
  return { ok: true, why: '' };
}

/** Quick bids: the next valid bid, then 2, 5 and 10 increments above the price (1, 4, 9 above an opening bid). */
export function quickBids(s) {
  const lot = s.view?.lot;
  if (!lot) return [];
  const base = lot.price ?? lot.opening_bid, step = stepAt(s.view.settings.increment, base);
  const ks = lot.price == null ? [1, 4, 9] : [2, 5, 10];
  return [...new Set([lot.min_next_bid, ...ks.map((k) => Math.max(lot.min_next_bid, base + k * step))])].slice(0, 4);
}

/** My relation to the open lot: leading | outbid | passed | none. */
export function myStanding(s) {
  const lot = s.view?.lot, me = s.me?.user;
  if (!lot || !me) return 'none';
  if (lot.leader == me) return 'leading';
  if (s.mine?.passed || lot.passed.includes(me)) return 'passed';
  return lot.bids.some((b) => b.bidder == me) ? 'outbid' : 'none';
}
