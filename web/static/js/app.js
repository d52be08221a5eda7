// The mobile web client: sign-in, invitations, league pages, and the auction room (waiting room,
// live lots, results). State lives in model.js, the socket in conn.js; this renders and acts.
import { Conn } from './conn.js';
import * as M from './model.js';
import { fmt, parseAmount, inputUnit } from './money.js';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const el = (e) => (typeof e == 'string' ? $(e) : e);
const show = (e, on) => { e = el(e); if (e.hidden == !!on) e.hidden = !on; };
const setText = (e, t) => { e = el(e); if (e.textContent != (t = String(t))) e.textContent = t; };
const html = (id, h) => { const e = $(id); if (e._h !== h) e.innerHTML = e._h = h; };
const current = (b, on) => (on ? b.setAttribute('aria-current', 'page') : b.removeAttribute('aria-current'));
const TOKEN = 'auction.token';

const S = M.createState();
window.__auction = S; // for tests and debugging
let conn, auctionId, token, poll;
let tab = 'feed', busy = null; // busy: the command in flight; every action button waits for its answer
let dockMsg = null, cMsg = null; // the last answer shown to a manager / to the commissioner
let endArmed = 0, moreOpen = false, lastSay = '', lastTick = 0;

const money = (u, c = M.cur(S)) => esc(fmt(u, c));
const txt = (u) => fmt(u, M.cur(S)), nm = (id) => M.nameOf(S, id), an = (id) => M.assetOf(S, id).name; // plain text
const name = (id) => esc(id == S.me?.user ? 'You' : nm(id));
const who = (id) => esc(id == S.me?.user ? 'you' : nm(id)); // inside a sentence
const asset = (id) => esc(an(id));
const time = (ms) => new Date(ms).toTimeString().slice(0, 8);
// Idempotency keys (randomUUID needs a secure context; the fallback is unique enough per person).
const uuid = () => crypto.randomUUID?.() ?? `${Date.now()}.${crypto.getRandomValues(new Uint32Array(2)).join('.')}`;

// ---------- sign-in, routing and the league API ----------

const claims = (t) => { try { return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch {} };
const setToken = (t) => localStorage.setItem(TOKEN, (token = t));
const leagueOf = (a, l) => (l ? localStorage.setItem(`auction.league.${a}`, l) : localStorage.getItem(`auction.league.${a}`));
const go = (p) => (history.replaceState(null, '', `#/${p}`), route());

/** The HTTP API: JSON in and out with the session as bearer token; errors carry the server's sentence. */
async function api(path, body) {
  const headers = { ...(token && { authorization: `Bearer ${token}` }), ...(body && { 'content-type': 'application/json' }) };
  const r = await fetch(`/api${path}`, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error?.message || `The server answered ${r.status}`);
  return j;
}

function route() {
  clearTimeout(poll);
  const h = location.hash.replace(/^#\/?/, ''), q = new URLSearchParams(h.includes('=') ? h : '');
  const [a, l] = [q.get('auction'), q.get('league')];
  // A sign-in link: keep the session, drop the token from the address bar.
  if (q.has('token')) return setToken(q.get('token')), a && l && leagueOf(a, l), go(l ? `l/${l}` : a ? `a/${a}` : '');
  if (q.has('magic')) return redeem(q.get('magic'), q.get('join'));
  const c = (token = localStorage.getItem(TOKEN)) && claims(token);
  if (c?.exp * 1000 < Date.now()) return localStorage.removeItem(TOKEN), (token = null), signIn('Your session has expired: open your invite link again, or ask for a new sign-in link.');
  if (q.has('join')) return join(q.get('join'), c);
  if (!c) return signIn();
  const m = /^([al])\/([^/]+)/.exec(h), id = m && decodeURIComponent(m[2]);
  setText('who', c.name);
  if (!m) return home(c);
  if (m[1] == 'l') return leaguePage(id);
  if (id !== auctionId || token !== conn?.token) start(id, c);
  render();
}

/** Leave the auction room for a page of the league site. */
function page(h, title) {
  conn?.close();
  conn = auctionId = null;
  for (const v of ['v-room', 'dock', 'nav', 'commish']) show(v, false);
  show('v-page', true);
  html('page-body', h);
  if (title) setText('league-name', title);
  $('conn').dataset.state = 'none';
  setText('conn', token ? 'Signed in' : 'Signed out');
}
/** A person in a list: a presence dot (when known), the name, "(you)", and a tag. */
const person = (id, nm, tag, on) => `<li data-user="${esc(id)}" data-online="${!!on}">${on == null ? '' : `<i class="dot${on ? ' on' : ''}"></i>`}${esc(nm)}${id == S.me?.user ? ' (you)' : ''}<small>${tag}</small></li>`;
const table = (id, head, rows) => `<table id="${id}"><tr><th>${head.join('<th>')}</tr>${rows.map((r) => `<tr><td>${r.join('<td>')}`).join('')}</table>`;
const fail = (e) => `<p class="msg" data-kind="err" role="alert">${esc(e.message)}</p>`;
const formMsg = (m, kind = 'err') => (show('form-msg', 1), setText('form-msg', m), ($('form-msg').dataset.kind = kind));
const field = (n, label, type = 'text', ac = n) => `<label for="f-${n}">${label}</label><input id="f-${n}" name="${n}" type="${type}" autocomplete="${ac}" maxlength="100" required>`;
const form = (kind, inner, button, attrs = '') => `<form data-form="${kind}" class="stack"${attrs}>${inner}<button class="btn primary big" id="submit">${button}</button></form><p id="form-msg" class="msg" role="alert" hidden></p>`;

// With the gateway's --dev-login (loopback only), the mailed link comes back in the answer.
const dev = (j) => j.dev_link && $('form-msg').insertAdjacentHTML('beforeend', ` <a id="dev-link" href="${esc(j.dev_link.link)}">Open the link</a>`);

function signIn(msg) {
  page(`<h1>Sign in</h1><p id="signin-msg" class="${msg ? 'msg' : ''}" data-kind="err">${esc(msg || 'Open the invite link you were sent, or get a sign-in link by email.')}</p>${form('magic', field('email', 'Email', 'email'), 'Email me a sign-in link')}`, 'Auction draft');
}

async function home(c) {
  page('<p>Loading your leagues…</p>', 'Your leagues');
  try {
    const { leagues: ls } = await api('/me');
    page(`<h1>Hello ${esc(c.name)}</h1>${ls.map((x) => `<a class="btn wide" href="#/l/${esc(x.id)}">${esc(x.name)} (${x.role})</a>`).join('') || '<p>You are not in a league yet: open the invite link you were sent.</p>'}`);
  } catch (e) {
    page(fail(e));
  }
}

async function join(code, c) {
  page('<p>Checking your invitation…</p>', 'Invitation');
  try {
    const p = await api('/invites/preview', { code });
    page(`<h1>${esc(p.league_name)}</h1><p><b>${esc(p.commissioner)}</b> invites you to join as ${p.role == 'spectator' ? 'a spectator: watch the auction live' : 'a manager: bid for your team in the live auction'}.</p><p class="small">${p.managers} of ${p.max_managers} managers so far.</p>` +
      form('join', c ? `<p>Signed in as <b>${esc(c.name)}</b>.</p>` : field('name', 'Your name', 'text', 'name') + field('email', 'Email', 'email'), 'Join the league', ` data-code="${esc(code)}"`), p.league_name);
  } catch (e) {
    page(`<h1>Invitation</h1>${fail(e)}`);
  }
}

/** Accept an invite (signed in, or as a new account from the form). */
async function accept(code, body) {
  const j = await api('/invites/accept', { code, ...body });
  if (j.status != 'joined') return formMsg(j.message, 'ok'), dev(j);
  if (j.session) setToken(j.session.token);
  go(`l/${j.league_id}`);
}

async function redeem(magic, code) {
  page('<p>Signing you in…</p>');
  try {
    setToken((await api('/auth/redeem', { token: magic })).token);
    code ? await accept(code, {}) : go('');
  } catch (e) {
    signIn(e.message);
  }
}

async function leaguePage(id) {
  let L, t;
  try {
    [L, t] = await Promise.all([api(`/leagues/${id}`), api(`/leagues/${id}/table`).catch(() => null)]);
  } catch (e) {
    return page(fail(e));
  }
  if (location.hash != `#/l/${id}`) return;
  const st = L.status.state, may = (x) => L.allowed.includes(x), a = L.status.auction_id, r = L.your_role;
  if (a) leagueOf(a, id);
  const cta = st == 'open'
    ? may('start_auction') ? ['When everyone has joined, open the waiting room. You begin the auction from there.', '<button class="btn primary big" data-act="start" id="enter">Open the waiting room</button>']
      : ['The auction has not opened yet. This page updates by itself when it does.', '']
    : [st == 'completed' ? 'The auction is over.' : 'The auction is open.', `<a class="btn primary big" href="#/a/${esc(a)}" id="enter">${st == 'completed' ? 'See the results' : 'Go to the auction'}</a>`];
  page(`<h1 id="league-title">${esc(L.name)}</h1><p>You are ${r == 'commissioner' ? `the commissioner${L.commissioner_plays ? ' and a manager' : ''}` : `a ${r}`}.</p><div class="card cta"><p>${cta[0]}</p>${cta[1]}</div>
${a && may('export_results') ? csvHtml(id) : ''}
<h2>Members (${L.members.length})</h2><ul class="people">${L.members.map((m) => person(m.user, m.name, m.role + (m.role == 'commissioner' && m.bids ? ' & manager' : ''))).join('')}</ul>
<h2>League table</h2>${t?.final_rosters || t?.rows?.some((x) => x.points) ? table('table', ['#', 'Manager', 'Points'], t.rows.map((x) => [x.rank, esc(x.name), x.points])) : '<p class="muted">The table fills in once fixtures are played and scored.</p>'}
<h2>Settings and rules</h2>${rulesHtml(L.settings)}`, L.name);
  if (st == 'open') poll = setTimeout(() => location.hash == `#/l/${id}` && leaguePage(id), 5000);
}

const csvHtml = (l) => `<div class="row2" data-league="${esc(l)}"><button class="btn" data-act="csv" data-file="rosters">Rosters (CSV)</button><button class="btn" data-act="csv" data-file="bids">Bid history (CSV)</button></div>`;

/** The forms and buttons of the league pages (delegated: pages are re-rendered). */
function wirePages() {
  const on = (ev, sel, f) => document.addEventListener(ev, async (e) => {
    const t = e.target.closest(sel);
    if (!t) return;
    e.preventDefault();
    const b = t.querySelector('button') || t;
    b.disabled = true;
    try {
      await f(t, t.dataset, t.closest('[data-league]')?.dataset.league || location.hash.split('/')[2]);
    } catch (err) {
      t.dataset.form ? formMsg(err.message) : b.insertAdjacentHTML('afterend', fail(err));
    }
    b.disabled = false;
  });
  on('submit', '[data-form]', async (f, d) => {
    if (d.form == 'join') return accept(d.code, token ? {} : Object.fromEntries(new FormData(f)));
    const j = await api('/auth/magic-link', Object.fromEntries(new FormData(f)));
    formMsg(j.message, 'ok'), dev(j);
  });
  on('click', '[data-act]', async (b, d, l) => {
    if (d.act == 'start') return go(`a/${(await api(`/leagues/${l}/auction`, {})).auction_id}`);
    const r = await fetch(`/api/leagues/${l}/results/${d.file}.csv`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`The download failed (${r.status})`);
    const x = document.createElement('a');
    Object.assign(x, { href: URL.createObjectURL(await r.blob()), download: `${l}-${d.file}.csv` }).click();
  });
}

function start(id, c) {
  conn?.close();
  auctionId = id;
  Object.assign(S, M.createState(), { me: { user: c.sub, name: c.name } });
  show('v-page', false);
  conn = new Conn({
    url: `${location.protocol == 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, token, auctionId: id, seq: () => S.seq, onFrame, onSynced: render,
    // Leaving "live" is drawn at once: a stale price never looks live for even a frame.
    onLink: (state) => ((S.link = state), state == 'live' ? render() : draw()),
  });
}

// ---------- frames and actions ----------

function onFrame(f) {
  const t = f.type;
  if (t == 'welcome') S.me = { user: f.user, name: f.name };
  else if (t == 'snapshot') M.applySnapshot(S, f);
  else if (t == 'events') {
    const lot = S.view?.lot?.lot;
    if (M.applyEvents(S, f).gap) conn.subscribe(S.seq == null);
    if (S.view?.lot?.lot !== lot) dockMsg = null;
  } else if (t == 'presence') S.presence = f;
  else if (t == 'auction_status') S.heldAt = (S.recovering = f.status == 'recovering') ? M.remaining(S, conn.now()) : null;
  else if (t == 'error' && f.request_id == null) {
    if (/token/.test(f.code)) return localStorage.removeItem(TOKEN), (token = null), signIn(f.message);
    if (/^(unknown_auction|forbidden)$/.test(f.code)) return page(`<h1>Cannot open this auction</h1>${fail(f)}`);
  }
  render();
}

/** Send a command; while it is in flight every action button is disabled (no double submits). */
async function act(command, what, commish) {
  if (busy || !conn) return;
  busy = { kind: commish ? 'commish' : command.type, amount: command.amount };
  commish ? (cMsg = null) : (dockMsg = null);
  render();
  const f = await conn.command(command);
  busy = null;
  const m = f.type == 'ack' ? { kind: 'ok', text: `${what}: done` }
    : { kind: 'err', code: f.code || f.type, text: f.type == 'lost' ? `${f.message}: we could not confirm "${what}". Check the auction before trying again.` : f.message };
  commish ? (cMsg = m) : (dockMsg = f.type == 'ack' && command.type == 'bid' ? null : m); // a bid's ack: the "leading" banner says it
  if (m.kind == 'ok') setTimeout(() => (dockMsg == m && (dockMsg = null), cMsg == m && (cMsg = null), render()), 2500);
  if (f.type == 'ack' && command.type == 'proxy') $('amt').value = '';
  render();
}

const lotNo = () => S.view?.lot?.lot;
const bid = (amount) => lotNo() && act({ type: 'bid', lot: lotNo(), amount, key: uuid() }, `Bid ${txt(amount)}`);
function typed() {
  const p = parseAmount($('amt').value, M.cur(S));
  if (!p.error) return p.units;
  dockMsg = { kind: 'err', code: 'input', text: p.error };
  render();
  $('amt').focus();
}

function wire() {
  const on = (id, f, ev = 'click') => $(id).addEventListener(ev, f);
  const cm = (id, f) => on(id, () => { const c = f(); if (c) act(...c, 1); });
  on('qb', (e) => { const b = e.target.closest('[data-amount]'); if (b && !b.disabled) bid(+b.dataset.amount); });
  on('custom', (e) => { e.preventDefault(); const a = typed(); if (a) bid(a); }, 'submit');
  on('amt', render, 'input');
  on('more', () => { moreOpen = !moreOpen; render(); moreOpen && setTimeout(() => $('amt').focus()); });
  on('proxy', () => { const a = lotNo() && typed(); if (a) act({ type: 'proxy', lot: lotNo(), max: a, key: uuid() }, `Maximum ${txt(a)}`); });
  on('pass', () => lotNo() && act({ type: 'pass', lot: lotNo() }, 'Pass'));
  on('autopass', () => { const v = !M.myRow(S)?.auto_pass; act({ type: 'auto_pass', on: v }, `Auto-pass ${v ? 'on' : 'off'}`); });
  for (const c of ['begin', 'pause', 'resume']) cm(`c-${c}`, () => [{ type: c }, c[0].toUpperCase() + c.slice(1)]);
  cm('c-skip', () => lotNo() && [{ type: 'skip', lot: lotNo() }, `Skip lot ${lotNo()}`]);
  cm('c-undo', () => { const l = S.view?.sold.at(-1); return l && [{ type: 'undo', lot: l.lot }, `Undo the sale of lot ${l.lot}`]; });
  cm('c-end', () => (Date.now() - endArmed < 5000 ? ((endArmed = 0), [{ type: 'end' }, 'End']) : ((endArmed = Date.now()), render(), setTimeout(render, 5100), 0)));
  on('t-managers', (e) => {
    const b = e.target.closest('[data-autopass]');
    if (b) act({ type: 'auto_pass', on: b.dataset.on == '1', manager: b.dataset.autopass }, 'Auto-pass', 1);
  });
  on('nominate', (e) => {
    const b = e.target.closest('[data-asset]'), p = $('amt').value.trim() ? typed() : null;
    if (b && p !== undefined) act({ type: 'nominate', asset: b.dataset.asset, ...(p && { opening_bid: p }) }, 'Nomination');
  });
  document.addEventListener('click', (e) => {
    const g = e.target.closest('[data-href]'), t = e.target.closest('[data-tab]');
    if (g) location.hash = g.dataset.href;
    if (t) (tab = t.dataset.tab), render();
  });
  addEventListener('hashchange', route);
  // Keep the bid panel above the on-screen keyboard (iOS does not resize the layout viewport).
  const vv = window.visualViewport, kb = () => document.documentElement.style.setProperty('--kb', `${Math.max(0, innerHeight - vv.height - vv.offsetTop)}px`);
  vv?.addEventListener('resize', kb);
  vv?.addEventListener('scroll', kb);
  const ro = new ResizeObserver(padDock);
  ro.observe($('dock'));
  ro.observe($('commish'));
  setInterval(tickClock, 100);
}

// ---------- the auction room ----------

/** Room at the bottom of the page for what is docked there (bid panel, commissioner bar). */
function padDock() {
  const h = ['dock', 'commish'].map($).filter((e) => !e.hidden && getComputedStyle(e).position == 'fixed');
  document.documentElement.style.setProperty('--dock', `${h.reduce((a, e) => a + e.offsetHeight, 0)}px`);
}

let queued = false;
const render = () => queued || ((queued = true), requestAnimationFrame(() => ((queued = false), draw())));

function banner(text, kind) {
  show('banner', !!text);
  if (text) setText('banner', text), ($('banner').dataset.kind = kind);
}

function draw() {
  if (!auctionId) return;
  const v = S.view, st = S.recovering && S.link == 'live' ? 'recovering' : S.link, lg = leagueOf(auctionId);
  $('conn').dataset.state = st;
  setText('conn', { connecting: 'Connecting…', syncing: 'Syncing…', live: 'Live', reconnecting: 'Reconnecting…', recovering: 'Clock held' }[st]);
  show('nav', !!lg);
  $('to-league').dataset.href = `#/l/${lg}`;
  show('v-room', 1);
  if (!v) {
    for (const id of ['waiting', 'lot', 'results', 'commish', 'dock']) show(id, 0);
    return banner(S.link == 'reconnecting' ? 'Reconnecting…' : 'Loading the auction…');
  }
  const p = v.phase.state, role = M.role(S);
  setText('league-name', (document.title = v.league_name));
  setText('who', `${S.me?.name || ''} · ${M.isCommissioner(S) ? `commissioner${role == 'manager' ? ' & manager' : ''}` : role}`);
  $('v-room').classList.toggle('stale', S.link != 'live');
  banner(S.link == 'syncing' ? 'Catching up with the live auction…'
    : S.link != 'live' ? 'Reconnecting… the price shown may be out of date. Bidding resumes when the live price is back.'
    : S.recovering ? 'The auction is moving to another server. The clock is held: no time is lost.'
    : p == 'paused' ? 'Paused by the commissioner. The clock is frozen.' : '', p == 'paused' && S.link == 'live' && !S.recovering ? 'pause' : 'warn');
  show('waiting', p == 'waiting');
  show('lot', !/^(waiting|ended)$/.test(p));
  show('results', p == 'ended');
  p == 'waiting' ? drawWaiting() : p == 'ended' ? drawResults() : drawLot();
  drawCommish();
  drawDock();
  for (const b of document.querySelectorAll('[data-tab]')) current(b, b.dataset.tab == tab), show(`t-${b.dataset.tab}`, b.dataset.tab == tab);
  html(`t-${tab}`, { feed: feedHtml, managers: managersHtml, board: boardHtml, rules: () => rulesHtml() }[tab]());
  html('presence', `Online: ${S.presence.online.map(name).join(', ') || 'nobody yet'} · ${S.presence.watchers} watching`);
}

function drawWaiting() {
  const v = S.view, on = new Set(S.presence.online);
  const n = `${v.managers.filter((m) => on.has(m.id)).length} of ${v.managers.length} managers are here.`;
  setText('waiting-msg', M.isCommissioner(S) ? `${n} Press Begin when everyone is ready (at least ${v.settings.min_managers} managers take part).` : `${n} The commissioner starts the auction; stay on this page.`);
  const ppl = (v.managers.some((m) => m.id == v.commissioner) ? [] : [{ id: v.commissioner }]).concat(v.managers);
  html('present', ppl.map((x) => person(x.id, nm(x.id), `${x.id == v.commissioner ? 'commissioner' : 'manager'} · ${on.has(x.id) ? 'here' : 'not here yet'}`, on.has(x.id))).join(''));
}

function drawLot() {
  const v = S.view, p = v.phase, lot = v.lot, me = S.me?.user, mine = M.myRow(S);
  const c = S.log.find((e) => /^lot_(un)?sold$/.test(e.type)), sold = c?.type == 'lot_sold', next = v.upcoming[0];
  let meta, title, label = '', price = '', leader = '', st = 'none', mb = '';
  if (lot) {
    const a = M.assetOf(S, lot.asset);
    meta = `Lot ${lot.lot}${a.group ? ` · ${a.group}` : ''}${lot.offer > 1 ? ` · offered again (${lot.offer})` : ''}${lot.nominated_by ? ` · nominated by ${nm(lot.nominated_by)}` : ''}`;
    [title, label, price, leader] = [a.name, lot.price == null ? 'Opening bid' : 'Current price', txt(lot.price ?? lot.opening_bid), lot.leader ? nm(lot.leader) : 'No bids yet'];
    if (lot.leader == me) leader = 'You';
  } else if (p.state == 'nominating') [meta, title] = [`Lot ${v.lots_opened + 1}`, `${p.nominator == me ? 'Your turn to choose' : `${nm(p.nominator)} is choosing`} the next asset`];
  else {
    meta = c ? `Lot ${c.lot} closed` : 'Between lots';
    title = c ? `${an(c.asset)}: ${sold ? `sold to ${c.buyer == me ? 'you' : nm(c.buyer)}` : `unsold${c.will_reoffer ? ' (offered again later)' : ''}`}` : 'Next lot soon';
    if (sold) [label, price] = ['Sold for', txt(c.price)];
    else if (next) [label, price] = ['Next up', an(next)];
  }
  [['lot-meta', meta], ['lot-asset', title], ['price-label', label], ['price', price], ['leader', leader]].forEach(([i, t]) => setText(i, t));
  show($('leader').parentElement, leader);
  // My standing, unmistakable. (Everybody sees the leader in the lot card.)
  if (mine && lot) {
    st = M.myStanding(S);
    mb = { leading: `YOU ARE LEADING at ${price}`, outbid: `Outbid: ${leader} leads at ${price}`, passed: 'You passed on this lot. Bid to come back in.' }[st] || (mine.slots_left ? '' : 'Your roster is full');
  } else if (sold && c.buyer == me && p.state == 'between_lots') (st = 'won'), (mb = `YOU WON ${an(c.asset)} for ${price}`);
  $('me-banner').dataset.state = st;
  setText('me-banner', mb);
  show('me-banner', !!mb);
  // Screen readers hear every change of price and leader.
  const say = lot?.leader ? `${lot.leader == me ? 'You are leading' : `${leader} leads`} at ${price}` : '';
  if (say != lastSay) setText('live', (lastSay = say));
  tickClock();
}

function tickClock() {
  const v = S.view, t = Date.now();
  if (!v || !conn) return;
  // Timers stopped (screen locked, page frozen): what is on screen may be old. Check before drawing.
  if (lastTick && t - lastTick > 1200 && S.link == 'live') conn.wake();
  lastTick = t;
  const p = v.phase.state, sn = S.snipe;
  let ms = M.remaining(S, conn.now()), st = { lot_open: 'running', paused: 'paused', between_lots: 'between', nominating: 'nominating' }[p] || 'none';
  if (S.link != 'live') (ms = null), (st = 'stale');
  else if (S.recovering) (ms = S.heldAt), (st = 'held');
  $('clock').dataset.state = st;
  setText('clock', M.clockText(ms));
  $('clock').classList.toggle('hurry', st == 'running' && ms < 5000);
  setText('clock-label', { running: 'left', paused: 'paused', between: 'next lot in', nominating: 'to nominate', held: 'held', stale: S.link }[st] || '');
  const full = (p == 'lot_open' || v.phase.resumes_into?.into == 'lot_open') && v.settings.bid_clock;
  $('clock-bar').style.width = full && ms != null ? `${Math.min(100, (100 * ms) / full)}%` : '0';
  // Anti-snipe: a late bid reset the clock; say so for a few seconds.
  const snipe = !!(sn && sn.lot == v.lot?.lot && conn.now() - sn.at < 4000 && p == 'lot_open');
  if (snipe) setText('snipe', `Late bid: the clock was reset to ${v.settings.anti_snipe / 1000} s (anti-snipe)`);
  show('snipe', snipe);
}

function drawCommish() {
  const v = S.view, p = v.phase.state, is = M.isCommissioner(S), last = v.sold.at(-1);
  show('commish', is && p != 'ended');
  if (!is) return;
  $('commish').classList.toggle('docked', !M.myRow(S));
  const vis = { begin: p == 'waiting', pause: /^(lot_open|between_lots|nominating)$/.test(p), resume: p == 'paused', skip: v.lot, undo: p != 'waiting' && last, end: p != 'waiting' };
  for (const id in vis) show(`c-${id}`, vis[id]), ($(`c-${id}`).disabled = !!busy || S.link != 'live');
  if (v.lot) setText('c-skip', `Skip lot ${v.lot.lot}`);
  if (last) setText('c-undo', `Undo sale: ${an(last.asset)}`);
  setText('c-end', Date.now() - endArmed < 5000 ? 'Tap again to end' : 'End auction');
  msg('c-msg', cMsg);
}

function msg(id, m) {
  show(id, !!m);
  if (m) setText(id, m.text), Object.assign($(id).dataset, { kind: m.kind, code: m.code || '' });
}

function drawDock() {
  const v = S.view, mine = M.myRow(S), p = v.phase.state, c = M.cur(S), lot = v.lot;
  show('dock', mine && !/^(waiting|ended)$/.test(p));
  padDock();
  if ($('dock').hidden) return;
  const gate = M.bidGate(S), live = S.link == 'live', dis = (id, d) => ($(id).disabled = !!busy || d);
  const prox = S.mine?.proxy_max != null ? ` · your sealed max ${money(S.mine.proxy_max)}` : '';
  html('my-money', `<div><b>Budget ${money(mine.remaining)}</b> · ${mine.slots_left} of ${mine.slots} slots left${prox}</div><div class="small" id="my-why">${esc(M.maxBidReason(S, mine))}</div>`);
  // Quick bids: the next valid bid and multiples of the increment, each showing its exact amount.
  html('qb', (gate.ok ? M.quickBids(S) : []).map((a, i) => {
    const over = a > mine.max_bid, d = i || lot.price != null ? `+${money(a - (lot.price ?? lot.opening_bid))}` : 'opening';
    return `<button class="btn qbtn${i ? '' : ' primary'}" data-amount="${a}" aria-label="Bid ${money(a)}"${over || busy ? ' disabled' : ''}>${money(a)}<small>${over ? 'over max' : d}</small></button>`;
  }).join(''));
  show('qb', gate.ok);
  // Rotation mode, my turn: choose the next asset.
  const nom = p == 'nominating' && v.phase.nominator == S.me.user && live;
  html('nominate', nom ? `<p class="small">Choose an asset. It opens at ${money(v.settings.min_opening_bid)}, or at the amount typed below.</p>${v.upcoming.map((id) => `<button class="btn small" data-asset="${esc(id)}">${asset(id)}</button>`).join(' ')}` : '');
  show('nominate', nom);
  show('gate', !gate.ok && !gate.leading && !nom);
  setText('gate', gate.why);
  show('more-panel', moreOpen || nom);
  $('more').setAttribute('aria-expanded', moreOpen || nom);
  setText('amt-pre', c?.symbol || '');
  setText('amt-post', inputUnit(c));
  const canLot = gate.ok || (gate.leading && live), passed = M.myStanding(S) == 'passed';
  $('amt').disabled = !(canLot || nom);
  dis('amt-bid', !gate.ok);
  dis('proxy', !canLot);
  show('proxy', v.settings.proxy_bidding);
  dis('pass', !gate.ok || passed);
  setText('pass', passed ? 'Passed' : 'Pass');
  $('autopass').setAttribute('aria-pressed', !!mine.auto_pass);
  dis('autopass', !live);
  setText('autopass', `Auto-pass: ${mine.auto_pass ? 'on' : 'off'}`);
  const t = $('amt').value.trim(), pa = t && parseAmount(t, c);
  setText('amt-hint', busy?.amount ? `Sending your bid of ${fmt(busy.amount, c)}…` : busy ? 'Sending…'
    : !pa ? '' : pa.error || `${fmt(pa.units, c)}${pa.units > mine.max_bid ? ` is above your max bid of ${fmt(mine.max_bid, c)}` : ''}`);
  $('dock').dataset.busy = busy?.kind || '';
  msg('dock-msg', dockMsg);
}

function feedHtml() {
  const lot = S.view.lot, log = S.log.map((e) => `<li>${eventText(e)}<time>${time(e.at)}</time></li>`).join('');
  const bids = lot && [...lot.bids].reverse().map((b, i) => `<li class="${i ? '' : 'first'}${b.bidder == S.me?.user ? ' mine' : ''}"><b>${money(b.amount)}</b> ${name(b.bidder)}${b.by_proxy ? ' <em>proxy</em>' : ''}<time>${time(b.at)}</time></li>`).join('');
  return (lot ? `<h3>Bids on lot ${lot.lot}: ${asset(lot.asset)}</h3><ul class="feed" id="feed">${bids || '<li>No bids yet</li>'}</ul>` : '') + (log && `<h3>What happened</h3><ul class="feed">${log}</ul>`);
}

function eventText(e) {
  const a = e.asset && asset(e.asset);
  return {
    lot_sold: `Lot ${e.lot}: ${a} sold to ${who(e.buyer)} for ${money(e.price)}`,
    lot_unsold: `Lot ${e.lot}: ${a} unsold${e.will_reoffer ? ', offered again later' : ''}`,
    paused: 'The commissioner paused the auction',
    resumed: 'The commissioner resumed the auction',
    sale_undone: `Sale undone: ${a} (lot ${e.lot}), ${money(e.price)} refunded to ${who(e.buyer)}`,
    auction_began: 'The auction began',
    auction_ended: `The auction ended: ${endReason(e.reason)}`,
    clock_restored: 'The auction moved to another server; clock restored',
  }[e.type];
}

const endReason = (r) => ({ all_rosters_full: 'every roster is full', nobody_can_afford: 'nobody with an empty slot can afford the opening bid',
  no_lots_left: 'there is nothing left to offer', commissioner: 'the commissioner ended it' })[r];

const rosterHtml = (m) => `<ul class="roster">${m.roster.map((r) => `<li>${asset(r.asset)}<b>${money(r.price)}</b>${r.keeper ? '<em>keeper</em>' : ''}</li>`).join('') || '<li>Nothing bought yet</li>'}</ul>`;
const mgrHead = (m) => `<h3><i class="dot${S.presence.online.includes(m.id) ? ' on' : ''}"></i>${esc(m.name)}${m.id == S.me?.user ? ' (you)' : ''}${m.auto_pass ? ' <em>auto-pass</em>' : ''}</h3>`;

function managersHtml() {
  const is = M.isCommissioner(S);
  return S.view.managers.map((m) => `<article class="card" data-manager="${esc(m.id)}">${mgrHead(m)}
<dl><div><dt>Budget left</dt><dd>${money(m.remaining)}</dd></div><div><dt>Max bid</dt><dd>${money(m.max_bid)}</dd></div><div><dt>Slots left</dt><dd>${m.slots_left} of ${m.slots}</dd></div></dl>
<p class="small">${esc(M.maxBidReason(S, m).replace(/^Max bid is [^:]+: /, 'Why: '))}</p>${rosterHtml(m)}
${is ? `<button class="btn small" data-autopass="${esc(m.id)}" data-on="${m.auto_pass ? 0 : 1}">Turn auto-pass ${m.auto_pass ? 'off' : 'on (absent)'}</button>` : ''}</article>`).join('');
}

function boardHtml() {
  const v = S.view, list = (ids) => ids.map((id) => `<li>${asset(id)}</li>`).join('');
  return `<h3>Sold (${v.sold.length})</h3>${v.sold.length ? table('sold-board', ['Lot', 'Asset', 'Buyer', 'Price'], v.sold.map((x) => [x.lot, asset(x.asset), name(x.buyer), money(x.price)])) : '<p>Nothing sold yet</p>'}
<h3>Coming up (${v.upcoming.length})</h3><ol class="plain">${list(v.upcoming.slice(0, 30))}</ol>${v.unsold.length ? `<h3>Unsold (${v.unsold.length})</h3><ul class="plain">${list(v.unsold)}</ul>` : ''}`;
}

/** The league's settings and how the auction works, with this league's numbers. */
function rulesHtml(st = S.view.settings, mine = M.myRow(S)) {
  const s = (ms) => `${ms / 1000} s`, m = (u) => money(u, st.currency), i = st.increment, sn = st.anti_snipe;
  const snipe = sn ? `a bid with less than ${s(sn)} left resets the clock to ${s(sn)}` : 'off';
  const rows = { 'Budget per manager': m(st.budget), 'Roster slots': st.roster_slots, 'Opening bid': m(st.min_opening_bid),
    Increment: i.flat != null ? `${m(i.flat)} at every price` : i.tiered.map((t) => `+${m(t.step)} ${t.below != null ? `below ${m(t.below)}` : 'above'}`).join(', '),
    'Bid clock': s(st.bid_clock), 'Anti-snipe': snipe, 'Gap between lots': s(st.gap_between_lots),
    'Lot order': { random_order: 'random (drawn once)', fixed_order: 'fixed', rotation: 'managers take turns to nominate' }[st.nomination.mode],
    'Unsold assets': `offered again up to ${st.reoffer_rounds} time(s)`, 'Proxy bidding': st.proxy_bidding ? 'on (sealed maximums)' : 'off' };
  return `<table class="kv">${Object.entries(rows).map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table><h3>How bidding works</h3><ul class="rules">
<li>Each lot runs on the server's clock; at zero it is sold to the highest bidder, once. A bid must be at least the opening bid and beat the price by the increment.</li>
<li><b>Max bid</b> = budget left − ${m(st.min_opening_bid)} × (empty slots − 1), so you can always fill your other slots.${mine ? ` ${esc(M.maxBidReason(S, mine))}.` : ''}</li>
<li><b>Anti-snipe</b>: ${snipe}, as often as it happens.</li>
<li><b>Pass</b> when you are out: a lot closes at once when everybody but the leader is out. Auto-pass passes every lot until you bid.</li>
<li>Unsold assets come back after every first offer. The auction ends when every roster is full, nobody can afford the opening bid, nothing is left, or the commissioner ends it.</li>
<li>If your phone loses its connection, it reconnects and catches up; a bid is never made twice.</li></ul>`;
}

function drawResults() {
  const v = S.view, lg = leagueOf(auctionId);
  html('results', `<h2>Results</h2><p id="end-reason">The auction is over: ${endReason(v.phase.reason)}.</p>${lg ? csvHtml(lg) : ''}
${v.managers.map((m) => `<article class="card" data-result="${esc(m.id)}">${mgrHead(m)}<p class="small">Spent ${money(m.spent)} · left ${money(m.remaining)} · ${m.slots - m.slots_left} of ${m.slots} slots filled</p>${rosterHtml(m)}</article>`).join('')}`);
}

wire();
wirePages();
route();
