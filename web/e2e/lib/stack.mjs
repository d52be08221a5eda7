// Starts real store-server, node and gateway processes on 127.0.0.1 (free ports, a private temp
// dir), mints session tokens with the test's JWT secret, creates auctions through the HTTP API,
// and offers a TCP proxy whose connections a test can cut (a phone losing its network).
// Flags mirror e2e/src/lib.rs. Binaries come from E2E_BIN_DIR or target/debug.
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.E2E_BIN_DIR || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug');
const COOKIE = 'web-e2e-cookie';
const SECRET = 'web-e2e-secret-that-is-long-enough-0123456789';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export async function waitFor(what, fn, timeout = 30000, every = 50) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

/** A session token (HS256, claims as league/src/auth.rs issues them). */
export function token(sub, name, lifetimeSecs = 3600) {
  const iat = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub, name, iat, exp: iat + lifetimeSecs, jti: randomUUID(), ver: 0 });
  const sig = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const live = new Set(); // every child of every stack, killed if this process is stopped
process.on('exit', () => live.forEach((c) => c.kill('SIGKILL')));
for (const sig of ['SIGINT', 'SIGTERM'])
  process.once(sig, () => {
    live.forEach((c) => c.kill('SIGKILL'));
    process.exit(130);
  });

export class Stack {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'auction-web-e2e-'));
    this.procs = [];
    this.proxies = [];
  }

  spawn(name, bin, args) {
    const program = join(BIN, bin);
    if (!existsSync(program)) throw new Error(`${program} does not exist: run \`cargo build --workspace --bins\` first`);
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(program, args, {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, AUCTION_LOG_FORMAT: 'pretty', RUST_LOG: process.env.E2E_RUST_LOG || 'info', NO_COLOR: '1' },
    });
    const p = { name, child, log, exited: null };
    live.add(child);
    child.on('exit', (code, signal) => {
      p.exited = { code, signal };
      live.delete(child);
    });
    this.procs.push(p);
    return p;
  }

  async ready(name, port) {
    const p = this.procs.find((x) => x.name === name);
    await waitFor(`${name} /readyz`, async () => {
      if (p.exited) throw new Error(`${name} exited ${JSON.stringify(p.exited)}\n${this.tail(name)}`);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.ok;
    });
  }

  async start() {
    const store = await freePort();
    this.spawn('store', 'store-server', ['--listen', `127.0.0.1:${store}`, '--data-dir', join(this.dir, 'store')]);
    await waitFor('store port', () => new Promise((ok) => net.connect(store, '127.0.0.1').on('connect', function () { this.destroy(); ok(true); }).on('error', () => ok(false))));
    const [cluster, nhttp] = [await freePort(), await freePort()];
    this.spawn('node', 'node', [
      '--node-id', 'n1', '--cluster-port', String(cluster), '--http', `127.0.0.1:${nhttp}`,
      '--store', `remote:127.0.0.1:${store}`, '--cookie', COOKIE, '--lease-ttl-ms', '1500', '--lease-renew-ms', '300',
    ]);
    await this.ready('node', nhttp);
    const [http, gcluster] = [await freePort(), await freePort()];
    this.spawn('gateway', 'gateway', [
      '--gateway-id', 'gw1', '--http', `127.0.0.1:${http}`, '--cluster-port', String(gcluster),
      '--nodes', `127.0.0.1:${cluster}`, '--store', `remote:127.0.0.1:${store}`, '--cookie', COOKIE,
      '--jwt-secret', SECRET, '--web-dir', join(ROOT, 'web/static'), '--public-url', `http://127.0.0.1:${http}`,
      '--dev-login', // sign-in links come back in API answers (loopback only)
    ]);
    await this.ready('gateway', http);
    this.port = http;
    this.base = `http://127.0.0.1:${http}`;
    return this;
  }

  /** Create an auction through POST /api/auctions as its commissioner (retries while no node answers). */
  async createAuction(setup) {
    const tok = token(setup.commissioner, 'Commissioner');
    return waitFor('auction creation', async () => {
      const r = await fetch(`${this.base}/api/auctions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
        body: JSON.stringify(setup),
      });
      if (r.status === 201) return r.json();
      if (r.status !== 503) throw Object.assign(new Error(`create failed: ${r.status} ${await r.text()}`), { fatal: true });
      return null;
    }).catch((e) => {
      throw e;
    });
  }

  /** Call the HTTP API; throws with the server's message unless the status is 2xx. */
  async api(path, { token, body, method = body === undefined ? 'GET' : 'POST', type = 'application/json' } = {}) {
    const r = await fetch(`${this.base}/api${path}`, {
      method,
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': type }) },
      body: body === undefined ? undefined : type == 'application/json' ? JSON.stringify(body) : body,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** An account signed in through a magic link (the gateway runs with --dev-login): its session token. */
  async signUp(email, name) {
    const asked = await this.api('/auth/magic-link', { body: { email, name } });
    return (await this.api('/auth/redeem', { body: { token: asked.dev_link.token } })).token;
  }

  /** A league made through the API by `token`'s owner, with a pool loaded from `assets` ([id, name]). */
  async league(token, name, settings, assets) {
    const league = await this.api('/leagues', { token, body: { name, settings } });
    const csv = `id,name,group\n${assets.map(([id, n]) => `${id},${n},Premier League`).join('\n')}\n`;
    await this.api(`/leagues/${league.id}/pool`, { token, method: 'PUT', body: csv, type: 'text/csv' });
    return league;
  }

  /** A TCP proxy to the gateway; `cut()` drops every connection and refuses new ones until `restore()`. */
  async proxy() {
    const sockets = new Set();
    const px = { blocked: false };
    const server = net.createServer((c) => {
      if (px.blocked) return c.destroy();
      const u = net.connect(this.port, '127.0.0.1');
      sockets.add(c).add(u);
      const end = () => {
        c.destroy();
        u.destroy();
        sockets.delete(c);
        sockets.delete(u);
      };
      c.pipe(u).pipe(c);
      c.on('error', end).on('close', end);
      u.on('error', end).on('close', end);
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    px.port = server.address().port;
    px.base = `http://127.0.0.1:${px.port}`;
    px.cut = () => {
      px.blocked = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    };
    px.restore = () => (px.blocked = false);
    px.close = () => new Promise((ok) => (px.cut(), server.close(ok)));
    this.proxies.push(px);
    return px;
  }

  tail(name, lines = 40) {
    const p = this.procs.find((x) => x.name === name);
    try {
      return readFileSync(p.log, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  dumpLogs() {
    for (const p of this.procs) console.error(`===== ${p.name} (last 40 lines) =====\n${this.tail(p.name)}`);
  }

  async stop({ keep = false } = {}) {
    for (const px of this.proxies) await px.close().catch(() => {});
    for (const p of [...this.procs].reverse()) {
      if (p.exited) continue;
      const gone = new Promise((ok) => p.child.once('exit', ok));
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A football auction setup: few assets and short clocks so a complete auction is quick. */
export function setup({ id, managers, commissioner = 'commish', assets, slots = 2, clockMs = 6000, antiSnipeMs = 5000, gapMs = 1000, ...rest }) {
  return {
    auction_id: id,
    league_name: `Test League ${id}`,
    settings: {
      sport: 'football',
      currency: { style: 'millions', symbol: '£' },
      budget: 100_000_000,
      roster_slots: slots,
      min_managers: 2,
      max_managers: 8,
      min_opening_bid: 1_000_000,
      increment: { flat: 1_000_000 },
      bid_clock: clockMs,
      anti_snipe: antiSnipeMs,
      gap_between_lots: gapMs,
      nomination: { mode: 'fixed_order' },
      reoffer_rounds: 1,
      proxy_bidding: true,
      ...rest,
    },
    commissioner,
    managers: managers.map(([id, name]) => ({ id, name })),
    assets: assets.map(([id, name, group]) => ({ id, name, group: group ?? 'Premier League' })),
    keepers: [],
  };
}
