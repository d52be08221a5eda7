// Developer helper: start a private stack from target/debug with a small test auction and print one
// sign-in link per person. Ctrl-C stops it. `node dev.mjs`
import { Stack, setup, token } from './lib/stack.mjs';

const stack = await new Stack().start();
const people = [['ann', 'Ann'], ['ben', 'Ben'], ['cat', 'Cat']];
const s = setup({
  id: `dev-${Date.now() % 100000}`,
  managers: people,
  assets: [['arsenal', 'Arsenal'], ['chelsea', 'Chelsea'], ['everton', 'Everton'], ['fulham', 'Fulham'], ['liverpool', 'Liverpool'], ['spurs', 'Tottenham Hotspur']],
  clockMs: Number(process.env.CLOCK_MS || 20000),
  antiSnipeMs: 5000,
});
await stack.createAuction(s);
console.log(`gateway ${stack.base}  logs ${stack.dir}`);
for (const [id, name] of [['commish', 'Casey'], ...people, ['fan', 'Fan']])
  console.log(`${name.padEnd(6)} ${stack.base}/#auction=${s.auction_id}&token=${token(id, name, 86400)}`);
// Ctrl-C (or SIGTERM) stops the processes: lib/stack.mjs kills its children on exit.
