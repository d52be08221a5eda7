// Money: integer base units (Number is exact: every amount is at most 10^15 < 2^53).
// fmt() mirrors auction/src/money.rs CurrencyFormat::format exactly: nothing is ever rounded.
const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const scaled = (u, scale, suffix) =>
  group(Math.floor(u / scale)) + (u % scale ? '.' + String(u % scale).padStart(Math.log10(scale), '0').replace(/0+$/, '') : '') + suffix;

/** An amount as a person reads it, in the league's style ({style, symbol}). */
export function fmt(u, c = { style: 'millions', symbol: '£' }) {
  const sym = c.symbol ?? '';
  if (u == null) return '—';
  if (c.style == 'indian') return sym + (u >= 1e7 ? scaled(u, 1e7, ' cr') : u >= 1e5 ? scaled(u, 1e5, ' lakh') : group(u));
  if (c.style == 'plain') return sym + group(u);
  return sym + (u >= 1e6 ? scaled(u, 1e6, 'm') : u >= 1e3 ? scaled(u, 1e3, 'k') : u);
}

// What a unit suffix means in each style; '' is a bare number (millions, lakh or units).
const UNITS = { millions: { m: 1e6, k: 1e3, '': 1e6 }, indian: { cr: 1e7, crore: 1e7, lakh: 1e5, l: 1e5, '': 1e5 }, plain: { '': 1, k: 1e3, m: 1e6 } };

/** The unit a bare number typed in the amount box is in: "m", "lakh" or nothing. */
export const inputUnit = (c) => ({ millions: 'm', indian: 'lakh' })[c?.style || 'millions'] || '';

/** What a person typed ("12.5", "£12.5m", "500k", "1.2 cr", "12,500,000") in base units, exactly: {units} or {error}. */
export function parseAmount(text, c) {
  let t = String(text ?? '').trim().toLowerCase().replace(/[\s,]/g, '');
  if (c?.symbol) t = t.split(c.symbol.toLowerCase()).join('');
  t = t.replace(/^[£$€₹]/, '');
  const m = /^(\d*)(?:\.(\d*))?([a-z]*)$/.exec(t);
  if (!t) return { error: 'Type an amount' };
  if (!m || !(m[1] || m[2])) return { error: 'That is not an amount' };
  const scale = UNITS[c?.style || 'millions'][m[3]], digits = Math.log10(scale), frac = (m[2] || '').replace(/0+$/, '');
  if (!scale) return { error: `Unknown unit "${m[3]}"` };
  if (frac.length > digits) return { error: 'Too many decimal places' };
  const units = Number(m[1] || 0) * scale + (frac ? Number(frac.padEnd(digits, '0')) : 0);
  if (m[1].length > 16 || units > 1e15) return { error: 'That amount is too large' };
  return units > 0 ? { units } : { error: 'The amount must be more than zero' };
}

/** The least raise at `price` under the league's increment rule ({flat: n} or {tiered: [{below, step}]}). */
export function stepAt(inc, price) {
  if (inc?.flat != null) return inc.flat;
  const ts = inc?.tiered || [];
  return (ts.find((t) => t.below == null || price < t.below) || ts.at(-1))?.step || 1;
}
