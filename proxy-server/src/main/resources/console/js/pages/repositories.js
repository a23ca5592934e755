import { json, request } from '../api.js';
import { bytes, card, el, errorBox, imageLink, shortDigest, show, when } from '../ui.js';

/**
 * What the mirror holds (GET /v2/_gantry/cache/repositories): repositories,
 * their tags with sizes, last pull and pin state; pin, unpin and evict for
 * callers whom auth.rules grant admin (the server refuses the rest).
 */
export async function repositories() {
  const out = el('div', { id: 'repositories' }, el('p', { class: 'muted' }, 'Loading…'));
  const message = el('div', { id: 'action-message' });
  show(el('h1', {}, 'Repositories'), message, out);
  const load = async () => {
    try {
      const body = await json('/v2/_gantry/cache/repositories');
      const repos = body.repositories || [];
      out.replaceChildren(repos.length === 0 ? el('p', { class: 'muted' }, 'Nothing cached yet.')
        : repos.map((r) => repoCard(r, message, load)));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  await load();
}

function repoCard(repo, message, reload) {
  const tags = repo.tags || [];
  return card(null, el('h2', {}, repo.name, el('span', { class: 'muted' }, ` · ${bytes(repo.size)}`)),
    el('table', { class: 'tags' },
      el('tr', {}, el('th', {}, 'tag'), el('th', { class: 'hide-narrow' }, 'digest'), el('th', { class: 'num' }, 'size'),
        el('th', { class: 'hide-narrow' }, 'last pull'), el('th', {}, 'pinned'), el('th', {}, '')),
      tags.map((t) => el('tr', { 'data-tag': `${repo.name}:${t.tag}` },
        el('td', {}, el('a', { href: imageLink(repo.name, t.tag) }, t.tag)),
        el('td', { class: 'hide-narrow' }, el('code', { title: t.digest }, shortDigest(t.digest))),
        el('td', { class: 'num' }, bytes(t.size)),
        el('td', { class: 'hide-narrow' }, when(t.lastPull)),
        el('td', { class: 'pin-state' }, t.pinned ? 'pinned' : '–'),
        el('td', { class: 'row' },
          el('button', { type: 'button', class: 'secondary pin', onclick: () => act(t.pinned ? 'DELETE' : 'PUT',
            `/v2/_gantry/pins/${repo.name}:${encodeURIComponent(t.tag)}`, `${t.pinned ? 'unpinned' : 'pinned'} ${repo.name}:${t.tag}`, message, reload) },
          t.pinned ? 'Unpin' : 'Pin'),
          el('button', { type: 'button', class: 'danger evict', onclick: () => {
            if (confirm(`Evict ${repo.name}:${t.tag} from the cache?`)) {
              act('DELETE', `/v2/_gantry/cache/${repo.name}/manifests/${encodeURIComponent(t.tag)}`,
                `evicted ${repo.name}:${t.tag}`, message, reload);
            }
          } }, 'Evict'))))));
}

async function act(method, path, done, message, reload) {
  try {
    await request(path, { method });
    message.replaceChildren(el('p', { class: 'muted', id: 'action-done' }, done));
    await reload();
  } catch (e) {
    message.replaceChildren(errorBox(e));
  }
}
