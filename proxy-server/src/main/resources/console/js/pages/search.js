import { request } from '../api.js';
import { card, el, errorBox, imageLink, shortDigest, show } from '../ui.js';

const CLASSES = ['', 'gpu.nvidia', 'gpu.amd', 'gpu.intel', 'gpu.dri', 'gpu.software', 'opencl', 'accel.neuron', 'accel.habana',
  'accel.tpu', 'fpga.xilinx', 'fpga.intel', 'sgx', 'tdx', 'sev-snp', 'tpm', 'kvm', 'rdma', 'dpdk', 'usb', 'video4linux', 'alsa'];
const LEVELS = ['', 'x86-64-v1', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4'];
const ARCHES = ['', 'amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'];
const FILTERS = ['hardware', 'runsOn', 'feature', 'devices', 'arch'];
/** Where the host profile of "runs on this host" waits between the form and the results (not in the address). */
const PROFILE_KEY = 'gantry.searchProfile';

/**
 * Images by what they need (GET /v2/_gantry/search): filters combine with
 * AND; the server lists only what the caller may pull. Filters live in the
 * page's address, so a search can be bookmarked and paged (n, last). With a
 * host profile ("runs on this host") the search is a POST of that profile and
 * lists the images that run there, with each verdict; the profile stays in
 * this tab's session storage, the address only says host=1.
 */
export async function search(params) {
  const select = (name, options) => el('select', { name, id: `f-${name}` },
    options.map((o) => el('option', { value: o, selected: params.get(name) === o }, o || 'any')));
  const feature = el('input', { name: 'feature', id: 'f-feature', placeholder: 'e.g. avx512f', value: params.get('feature') || '' });
  const noDevices = el('input', { type: 'checkbox', name: 'devices', id: 'f-devices', value: 'none', checked: params.get('devices') === 'none' });
  const saved = params.get('host') === '1' ? sessionStorage.getItem(PROFILE_KEY) : null;
  const profile = el('textarea', { id: 'f-profile', spellcheck: 'false',
    placeholder: 'optional: a host profile (gantry check --save-profile FILE) lists only what runs there' });
  profile.value = saved || '';
  const file = el('input', { type: 'file', id: 'f-profile-file', accept: '.json,application/json',
    onchange: async () => { if (file.files[0]) { profile.value = await file.files[0].text(); } } });
  const problem = el('div', { id: 'f-profile-problem' });
  const form = el('form', { class: 'filters', id: 'search-form', onsubmit: (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      if (v && FILTERS.includes(k)) {
        q.set(k, v);
      }
    }
    const text = profile.value.trim();
    if (text) {
      try {
        JSON.parse(text);
      } catch (e) {
        problem.replaceChildren(errorBox(new Error('the profile is not JSON: paste or upload what gantry check --save-profile wrote')));
        return;
      }
      sessionStorage.setItem(PROFILE_KEY, text);
      q.set('host', '1');
    } else {
      sessionStorage.removeItem(PROFILE_KEY);
    }
    location.hash = `#/search?${q}`;
  } },
  el('label', {}, 'Requires hardware', select('hardware', CLASSES)),
  el('label', {}, 'Runs on', select('runsOn', LEVELS)),
  el('label', {}, 'Uses CPU feature', feature),
  el('label', {}, 'Architecture', select('arch', ARCHES)),
  el('label', { class: 'inline' }, noDevices, ' needs no device'),
  el('label', {}, 'Runs on this host', profile),
  el('div', { class: 'row' }, el('label', {}, 'or upload', file), el('button', { type: 'submit', id: 'search-run' }, 'Search')),
  problem);
  const results = el('div', { id: 'results' });
  show(el('h1', {}, 'Hardware search'), card(null, form), results);
  const host = saved !== null;
  if (!host && !FILTERS.some((f) => params.get(f))) {
    results.append(el('p', { class: 'muted' }, 'Choose a filter: every image the mirror has scanned is indexed by what it needs.'));
    return;
  }
  const q = new URLSearchParams();
  for (const f of [...FILTERS, 'n', 'last']) {
    if (params.get(f)) {
      q.set(f, params.get(f));
    }
  }
  if (!q.has('n')) {
    q.set('n', '50');
  }
  try {
    const r = await request(`/v2/_gantry/search?${q}`, host
      ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: saved } : {});
    const body = await r.json();
    results.replaceChildren(table(body), pager(r.headers.get('Link'), params));
  } catch (e) {
    results.replaceChildren(errorBox(e));
  }
}

function table(body) {
  const rows = body.results || [];
  return card(`${body.total} image${body.total === 1 ? '' : 's'}`, rows.length === 0 ? el('p', { class: 'muted' }, 'Nothing matches.')
    : el('table', { id: 'result-table' },
      el('tr', {}, el('th', {}, 'image'), el('th', {}, 'platform'), el('th', {}, 'needs'), el('th', { class: 'hide-narrow' }, 'CPU'),
        rows.some((x) => x.verdict) ? el('th', {}, 'on this host') : null),
      rows.map((x) => {
        const ref = (x.tags && x.tags[0]) || x.digest;
        const p = x.platform || {};
        return el('tr', { class: 'result' },
          el('td', {}, el('a', { href: imageLink(x.repository, ref), class: 'result-link' }, `${x.repository}:${ref}`),
            el('div', { class: 'muted' }, el('code', { title: x.digest }, shortDigest(x.digest)),
              x.tags && x.tags.length > 1 ? ` · also ${x.tags.slice(1).join(', ')}` : '')),
          el('td', {}, [p.os, p.architecture, p.variant].filter(Boolean).join('/')),
          el('td', {}, (x.hardware || []).length ? x.hardware.map((h) => el('span', { class: `badge ${h.level}` }, `${h.class} ${h.level}`))
            : el('span', { class: 'muted' }, 'no device')),
          el('td', { class: 'hide-narrow' }, x.cpu ? `${x.cpu.level || ''} ${(x.cpu.required || []).join(' ')}` : ''),
          x.verdict ? el('td', { class: 'verdict' }, x.verdict) : null);
      })));
}

/** The next page, from the Link header the server sets when there is one. */
function pager(link, params) {
  const m = link && /<([^>]+)>;\s*rel="?next"?/.exec(link);
  if (!m) {
    return el('span');
  }
  const next = new URL(m[1], location.origin).searchParams;
  const q = new URLSearchParams(params);
  if (next.get('last')) {
    q.set('last', next.get('last'));
  }
  if (next.get('n')) {
    q.set('n', next.get('n'));
  }
  return el('a', { href: `#/search?${q}`, id: 'next-page' }, 'Next page');
}
