import { json } from '../api.js';
import { sparkline } from '../chart.js';
import { bytes, card, duration, el, errorBox, kv, percent, show } from '../ui.js';

/**
 * The mirror at a glance: upstream budgets with their reset countdowns, tier
 * hit ratios, bytes saved upstream, work in flight, prefetch, and the last
 * hour as sparklines. Refreshes every 10 s; countdowns tick every second.
 */
export async function overview() {
  let countdowns = [];
  const render = async () => {
    let status;
    let history;
    try {
      [status, history] = await Promise.all([json('/v2/_gantry/status'), json('/v2/_gantry/status?history=1h')]);
    } catch (e) {
      show(el('h1', {}, 'Overview'), errorBox(e));
      return;
    }
    const fetchedAt = Date.now();
    countdowns = [];
    show(el('h1', {}, 'Overview'),
      el('div', { class: 'grid', id: 'upstreams' }, status.upstreams.map((u) => upstreamCard(u, fetchedAt, countdowns))),
      el('h2', { class: 'section' }, 'Cache'),
      el('div', { class: 'grid', id: 'figures' },
        card('Bytes saved upstream', el('div', { class: 'figure', id: 'saved' }, bytes(status.savedUpstreamBytes))),
        card('Hit ratio by tier', el('table', { id: 'tiers' },
          el('tr', {}, el('th', {}, 'tier'), el('th', { class: 'num' }, 'hit'), el('th', { class: 'num' }, 'served'),
            el('th', { class: 'num' }, 'used')),
          Object.entries(status.tiers).map(([name, t]) => el('tr', {},
            el('td', {}, name), el('td', { class: 'num' }, percent(t.hitRatio)), el('td', { class: 'num' }, percent(t.servedRatio)),
            el('td', { class: 'num' }, `${bytes(t.usedBytes)}${t.maxBytes > 0 ? ' / ' + bytes(t.maxBytes) : ''}`))))),
        card('In flight', kv([
          ['fills', el('span', { id: 'fills' }, status.fillsInFlight)],
          ['scans running', el('span', { id: 'scans-running' }, status.scans.running)],
          ['scans queued', `${status.scans.queued} of ${status.scans.queueCapacity}`],
        ])),
        card('Prefetch', kv([
          ['mode', status.prefetch.mode],
          ['issued', status.prefetch.issued],
          ['used', el('span', { id: 'prefetch-used' }, status.prefetch.used)],
          ['wasted', el('span', { id: 'prefetch-wasted' }, status.prefetch.wasted)],
        ]))),
      el('h2', { class: 'section' }, 'Last hour'),
      charts(history, status.upstreams.map((u) => u.name)));
    tick(countdowns);
  };
  await render();
  const refresh = setInterval(render, 10_000);
  const ticker = setInterval(() => tick(countdowns), 1000);
  return () => {
    clearInterval(refresh);
    clearInterval(ticker);
  };
}

function upstreamCard(u, fetchedAt, countdowns) {
  const rl = u.rateLimit;
  const budget = rl.limit >= 0 ? `${rl.remaining} / ${rl.limit}` : 'no limit announced';
  const countdown = el('span', { class: 'countdown' });
  // Backing off: the upstream said when to come back. Otherwise its window ends after the last answer that announced it.
  let resetAt = null;
  if (rl.backingOff) {
    resetAt = fetchedAt + rl.retryAfterSeconds * 1000;
  } else if (rl.windowSeconds && rl.updatedAt) {
    resetAt = Date.parse(rl.updatedAt) + rl.windowSeconds * 1000;
  }
  countdowns.push({ node: countdown, resetAt });
  return card(u.name, kv([
    ['url', u.url],
    ['budget', el('span', { class: rl.limit >= 0 ? 'budget figure' : 'budget' }, budget)],
    ['resets in', countdown],
    ['backing off', rl.backingOff ? 'yes' : 'no'],
    ['fills', u.fillsInFlight],
    ['credentials', u.authenticated ? 'yes' : 'anonymous'],
  ]));
}

function tick(countdowns) {
  for (const c of countdowns) {
    c.node.textContent = c.resetAt === null ? '–' : c.resetAt <= Date.now() ? 'now' : duration((c.resetAt - Date.now()) / 1000);
  }
}

function charts(history, upstreams) {
  const s = history.samples;
  const span = s.length === 0 ? 'no samples yet (one every ' + history.intervalSeconds + ' s)' : `${s.length} samples`;
  const chart = (title, values, max, last) => card(title, sparkline(values, title, max), el('div', { class: 'muted' }, last));
  const lastOf = (values, format) => (values.length ? `now ${format(values[values.length - 1])}` : span);
  const requests = s.map((x) => x.requests);
  const ratio = s.map((x) => x.hitRatio);
  const saved = s.map((x) => x.savedBytes);
  const busy = s.map((x) => x.fills + x.scans);
  return el('div', { class: 'grid', id: 'charts' },
    chart('Requests per interval', requests, undefined, lastOf(requests, String)),
    chart('Cache hit ratio', ratio, 1, lastOf(ratio, percent)),
    chart('Bytes saved upstream', saved, undefined, lastOf(saved, bytes)),
    chart('Fills and scans in flight', busy, undefined, lastOf(busy, String)),
    upstreams.map((name) => {
      const left = s.map((x) => (x.rateLimitRemaining ? x.rateLimitRemaining[name] : null));
      return chart(`${name}: budget left`, left, undefined, lastOf(left, (v) => (v === null || v === undefined ? '–' : String(v))));
    }));
}
