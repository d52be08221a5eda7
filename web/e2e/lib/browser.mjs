// Headless Debian Chromium through playwright-core (never a downloaded browser), phone-sized.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
// No outside connections: no background networking, component updates, sync or QUIC.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=Translate,MediaRouter,OptimizationHints', '--metrics-recording-only', '--no-default-browser-check'];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
}

const UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36';

/** A phone: its own context (cookies, storage), touch, mobile viewport. Every request is recorded. */
export async function phone(browser, label, { width = 390, height = 844, clockOffsetMs = 0 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, userAgent: UA });
  // A phone whose own clock is wrong: the page must still show the server's countdown.
  if (clockOffsetMs)
    await context.addInitScript((off) => {
      const now = Date.now.bind(Date);
      Date.now = () => now() + off;
    }, clockOffsetMs);
  const page = await context.newPage();
  page.label = label;
  page.requests = [];
  page.errors = [];
  page.on('request', (r) => page.requests.push(r.url()));
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/status of 404|WebSocket connection to/.test(m.text()) && page.errors.push(m.text()));
  page.setDefaultTimeout(20000);
  return page;
}

export async function shot(page, name, fullPage = false) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** The client's state (the store the page renders from). */
export const state = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__auction)));
export const text = (page, sel) => page.locator(sel).innerText();

/** Freeze the page's JavaScript like a locked phone screen (timers stop, frames queue), and back. */
export async function lockScreen(page) {
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Debugger.enable');
  const paused = new Promise((r) => cdp.once('Debugger.paused', r));
  // Stop between tasks (at the start of the next timer callback), as a frozen page does.
  await cdp.send('EventBreakpoints.setInstrumentationBreakpoint', { eventName: 'setInterval.callback' });
  await paused;
  await cdp.send('EventBreakpoints.removeInstrumentationBreakpoint', { eventName: 'setInterval.callback' });
  return async function unlock() {
    await cdp.send('Debugger.resume');
    await cdp.send('Debugger.disable');
    await cdp.detach();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
  };
}
