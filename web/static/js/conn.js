// The websocket: hello, subscribe (resuming after the last applied sequence), ping/pong for clock
// skew and liveness, reconnect with backoff, and commands answered by request id.
const PING = 4000, DEAD = 10000, WAKE = 2500; // ping period; silence that means dead; pong wait after a wake
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

export class Conn {
  /** o: {url, token, auctionId, seq() → last applied seq or null, onFrame(f), onLink(state), onSynced()} */
  constructor(o) {
    Object.assign(this, o, { attempt: 0, nextId: 1, skews: [], skew: 0, pending: new Map() });
    this.timer = setInterval(() => this.tick(), 1000);
    this.ons = [[document, 'visibilitychange', () => {
      if (document.hidden) this.hiddenAt = Date.now();
      else if (Date.now() - (this.hiddenAt || 0) > 1000) this.wake();
    }], [window, 'online', () => this.wake()], [window, 'offline', () => this.drop('offline')], [window, 'pageshow', (e) => e.persisted && this.wake()]];
    for (const [t, ev, f] of this.ons) t.addEventListener(ev, f);
    this.open();
  }

  /** The server's clock now (never the phone's clock alone). */
  now() {
    return Date.now() + this.skew;
  }

  close() {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.again);
    for (const [t, ev, f] of this.ons) t.removeEventListener(ev, f);
    this.kill();
  }

  kill() {
    const ws = this.ws;
    this.ws = null;
    if (ws) (ws.onclose = ws.onmessage = null), ws.close();
  }

  open() {
    if (this.closed) return;
    this.link(this.attempt ? 'reconnecting' : 'connecting');
    const ws = (this.ws = new WebSocket(this.url, 'auction.v1.json'));
    this.welcomed = false;
    this.lastFrame = Date.now();
    ws.onopen = () => this.raw({ type: 'hello', token: this.token, client: 'web/1' });
    ws.onmessage = (m) => {
      this.lastFrame = Date.now();
      try { m = JSON.parse(m.data); } catch { return; }
      this.frame(m);
    };
    ws.onclose = () => this.ws == ws && ((this.ws = null), this.retry());
  }

  /** Reconnect after a jittered delay: 0.15–0.3 s, doubling up to 2.5–5 s. */
  retry() {
    if (this.closed) return;
    this.link('reconnecting');
    clearTimeout(this.again);
    const d = Math.min(5000, 300 * 2 ** this.attempt++);
    this.again = setTimeout(() => this.open(), d / 2 + (Math.random() * d) / 2);
  }

  drop(why) {
    this.kill();
    if (this.closed) return;
    this.link('reconnecting', why);
    if (why != 'offline' || navigator.onLine) this.retry();
  }

  /** The page came back (unlocked, shown, online, unfrozen): show it as syncing until a pong proves every queued frame is in; else reconnect. */
  wake() {
    const ws = this.ws;
    if (this.closed) return;
    if (!ws || ws.readyState > 1) return (this.attempt = 0), clearTimeout(this.again), ws ? this.drop('closed') : this.open();
    if (!ws.readyState || !this.welcomed) return; // still connecting: the handshake resyncs
    this.link('syncing');
    const t = (this.barrier = this.ping());
    setTimeout(() => (this.lastPong || 0) < t && this.ws == ws && this.state != 'live' && this.drop('no answer'), WAKE);
  }

  tick() {
    const now = Date.now(), slept = now - (this.lastTick || now) > 3000; // timers stopped: frozen or asleep
    this.lastTick = now;
    if (slept) return this.wake();
    if (this.ws?.readyState != 1) return;
    if (now - this.lastFrame > DEAD) return this.drop('silent');
    if (now - (this.lastPing || 0) >= PING) this.ping();
  }

  ping() {
    this.raw({ type: 'ping', client_time: (this.lastPing = Date.now()) });
    return this.lastPing;
  }

  raw(f) {
    return this.ws?.readyState == 1 && (this.ws.send(JSON.stringify(f)), true);
  }

  link(state, why) {
    this.onLink((this.state = state), why);
  }

  /** Subscribe after the last applied sequence (or afresh), then ping: the pong comes after the catch-up. */
  subscribe(fresh) {
    const after = fresh ? null : this.seq();
    this.raw({ type: 'subscribe', auction_id: this.auctionId, ...(after != null && { after_seq: after }) });
    this.barrier = this.ping();
  }

  frame(f) {
    const t = f.type;
    if (t == 'welcome') {
      this.attempt = 0;
      this.welcomed = true;
      this.skew = f.server_time - Date.now();
      this.link('syncing');
      this.subscribe();
    } else if (t == 'pong') {
      const now = Date.now(), c = f.client_time;
      this.lastPong = c;
      // The skew from the round trip with the least delay among the last 8.
      this.skews = [...this.skews.slice(-7), { rtt: now - c, skew: f.server_time - (c + now) / 2 }];
      this.skew = this.skews.reduce((a, b) => (b.rtt < a.rtt ? b : a)).skew;
      if (this.barrier != null && c >= this.barrier) {
        this.barrier = null;
        if (this.seq() != null) this.link('live'), this.onSynced();
      }
      return;
    } else if (t == 'subscribed') {
      // Everything up to the current sequence is in: live.
      if (this.state == 'syncing' && this.seq() != null) (this.barrier = null), this.link('live'), this.onSynced();
      return;
    } else if (/^(snapshot|events)$/.test(t) && this.state == 'syncing' && this.barrier == null) {
      // The pong came first (the gateway was still fetching the auction): live once it is in.
      this.onFrame(f);
      return this.link('live'), this.onSynced();
    }
    if (/^(ack|refused|error)$/.test(t)) this.pending.get(f.request_id)?.(f);
    this.onFrame(f);
  }

  /** Send a command; resolves with its ack, refused or error (or {type: 'lost'}). Bids, maximums and passes are
   * re-sent with the same key when the answer is lost or the outcome unknown: a key is applied once, never twice. */
  async command(c) {
    const until = Date.now() + 12000;
    for (let n = 0; ; n++) {
      const f = await this.once(c);
      const again = /^(bid|proxy|pass)$/.test(c.type) && (f.type == 'lost' || /^(outcome_unknown|unavailable|internal)$/.test(f.code));
      if (!again || Date.now() > until || n >= 5) return f;
      await wait(f.retry_after_ms || 400 + n * 300);
      while (this.state != 'live' && Date.now() < until) await wait(100);
    }
  }

  once(command) {
    return new Promise((resolve) => {
      const id = this.nextId++, ws = this.ws;
      if (!this.raw({ type: 'command', request_id: id, auction_id: this.auctionId, command })) return resolve({ type: 'lost', message: 'Not connected' });
      const done = (f) => (clearTimeout(timer), clearInterval(watch), this.pending.delete(id), resolve(f));
      const timer = setTimeout(() => done({ type: 'lost', message: 'No answer from the server' }), 8000);
      const watch = setInterval(() => this.ws != ws && done({ type: 'lost', message: 'The connection dropped' }), 200);
      this.pending.set(id, done);
    });
  }
}
