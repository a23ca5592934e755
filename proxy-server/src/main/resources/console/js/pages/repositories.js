import { json, namePath, request } from '../api.js';
import { bytes, card, el, errorBox, imageLink, kv, shortDigest, show, when } from '../ui.js';

/**
 * What the cache holds (the admin API: users an admin rule names).
 * #/repositories lists repositories with sizes, last pull and pin state, a
 * page at a time; #/repositories/<name> shows one with its tags, their
 * sizes and pins, and pin, unpin and evict.
 */
export async function repositories(params, name) {
  return name ? repository(name) : listing(params);
}

async function listing(params) {
  const out = el('div', { id: 'repositories' }, el('p', { class: 'muted' }, 'Loading…'));
  show(el('h1', {}, 'Repositories'), out);
  const q = new URLSearchParams({ n: params.get('n') || '50' });
  if (params.get('last')) {
    q.set('last', params.get('last'));
  }
  try {
    const r = await request(`/v2/_gantry/cache/repositories?${q}`);
    const repos = (await r.json()).repositories || [];
    out.replaceChildren(repos.length === 0 ? el('p', { class: 'muted' }, 'Nothing cached yet.') : card(null, el('table', { id: 'repository-table' },
      el('tr', {}, el('th', {}, 'repository'), el('th', { class: 'hide-narrow' }, 'kind'), el('th', { class: 'num' }, 'tags'),
        el('th', { class: 'num' }, 'size'), el('th', { class: 'num hide-narrow' }, 'cached'), el('th', { class: 'hide-narrow' }, 'last pull'),
        el('th', {}, 'pinned')),
      repos.map((x) => el('tr', { 'data-repository': x.name },
        el('td', {}, el('a', { href: `#/repositories/${encodeURIComponent(x.name)}`, class: 'repository-link' }, x.name)),
        el('td', { class: 'hide-narrow' }, x.kind),
        el('td', { class: 'num' }, (x.tags || []).length),
        el('td', { class: 'num' }, bytes(x.bytes)),
        el('td', { class: 'num hide-narrow' }, bytes(x.cachedBytes)),
        el('td', { class: 'hide-narrow' }, when(x.lastPull)),
        el('td', {}, x.pinned ? 'pinned' : '–'))))), next(r.headers.get('Link')));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

function next(link) {
  const m = link && /<([^>]+)>;\s*rel="?next"?/.exec(link);
  if (!m) {
    return '';
  }
  const q = new URL(m[1], location.origin).searchParams;
  return el('a', { href: `#/repositories?${new URLSearchParams({ n: q.get('n') || '50', last: q.get('last') || '' })}`, id: 'next-page' },
    'Next page');
}

async function repository(name) {
  const message = el('div', { id: 'action-message' });
  const out = el('div', { id: 'repository' }, el('p', { class: 'muted' }, 'Loading…'));
  show(el('h1', {}, name), message, out);
  const load = async () => {
    try {
      out.replaceChildren(detail(await json(`/v2/_gantry/cache/repositories/${namePath(name)}`), message, load));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  await load();
}

/** A tag's size: its manifest's blobs, or for an index the blobs of each platform manifest held. */
function tagBytes(repo, digest) {
  const manifests = repo.manifests || [];
  const platforms = manifests.filter((m) => m.index === digest);
  const own = manifests.find((m) => m.digest === digest);
  return platforms.length ? platforms.reduce((sum, m) => sum + m.bytes, 0) : own ? own.bytes : null;
}

function detail(repo, message, reload) {
  return el('div', {},
    card(null, kv([
      ['kind', repo.kind + (repo.upstream ? ` of ${repo.upstream}` : '')],
      ['size', `${bytes(repo.bytes)} (${bytes(repo.cachedBytes)} held now)`],
      ['last pull', when(repo.lastPull)],
    ])),
    card('Tags', el('table', { id: 'tag-table' },
      el('tr', {}, el('th', {}, 'tag'), el('th', { class: 'hide-narrow' }, 'digest'), el('th', { class: 'num' }, 'size'),
        el('th', {}, 'pinned'), el('th', {}, '')),
      (repo.tags || []).map((t) => el('tr', { 'data-tag': t.tag },
        el('td', {}, el('a', { href: imageLink(repo.name, t.tag) }, t.tag)),
        el('td', { class: 'hide-narrow' }, el('code', { title: t.digest }, shortDigest(t.digest))),
        el('td', { class: 'num' }, bytes(tagBytes(repo, t.digest))),
        el('td', { class: 'pin-state' }, t.pinned ? `pinned${t.pinSource ? ' (' + t.pinSource + ')' : ''}` : '–'),
        el('td', { class: 'row' },
          el('button', { type: 'button', class: 'secondary pin', onclick: () => act(t.pinned ? 'DELETE' : 'PUT',
            `/v2/_gantry/pins/${namePath(repo.name)}:${encodeURIComponent(t.tag)}`, `${t.pinned ? 'unpinned' : 'pinned'} ${repo.name}:${t.tag}`,
            message, reload) }, t.pinned ? 'Unpin' : 'Pin'),
          evictButton(() => act('DELETE', `/v2/_gantry/cache/${namePath(repo.name)}/manifests/${encodeURIComponent(t.tag)}`,
            `evicted ${repo.name}:${t.tag}`, message, reload))))))));
}

/** Evicting costs a refetch from upstream: the first click asks, the second evicts. */
function evictButton(evict) {
  const b = el('button', { type: 'button', class: 'danger evict', onclick: () => {
    if (b.dataset.armed) {
      evict();
    } else {
      b.dataset.armed = 'yes';
      b.textContent = 'Evict: sure?';
    }
  } }, 'Evict');
  return b;
}

async function act(method, path, done, message, reload) {
  try {
    await request(path, { method });
    message.replaceChildren(el('p', { class: 'notice', id: 'action-done', role: 'status' }, done));
    await reload();
  } catch (e) {
    message.replaceChildren(errorBox(e));
  }
}
