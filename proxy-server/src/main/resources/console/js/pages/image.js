import { MANIFEST_TYPES, json, repoPath, request, whenScanned } from '../api.js';
import { card, el, errorBox, kv, shortDigest, show } from '../ui.js';

const HARDWARE_ARTIFACT = 'application/vnd.gantry.hardware.v1+json';
const NFD_ARTIFACT = 'application/vnd.nfd.image-compatibility.v1alpha1';
const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

/**
 * One image: its platforms, each platform's hardware document with its
 * evidence, the referrers (hardware and NFD artifacts, the NFD spec itself),
 * and "check against a host" with the verdict and the docker run flags.
 */
export async function image(name, reference) {
  if (!name || !reference) {
    show(errorBox(new Error('an image page needs a repository and a tag or digest')));
    return;
  }
  const checkBox = checkCard(name, reference);
  const body = el('div', { id: 'image-body' }, el('p', { class: 'muted' }, 'Reading the manifest…'));
  show(el('h1', { id: 'image-title' }, `${name}:${reference}`), body, checkBox);
  try {
    const r = await request(repoPath(name, `manifests/${encodeURIComponent(reference)}`), { headers: { Accept: MANIFEST_TYPES } });
    const digest = r.headers.get('Docker-Content-Digest');
    const manifest = await r.json();
    const type = manifest.mediaType || r.headers.get('Content-Type');
    const platforms = INDEX_TYPES.includes(type)
      ? manifest.manifests.filter((m) => !(m.platform && m.platform.os === 'unknown'))
      : [{ digest, mediaType: type, size: Number(r.headers.get('Content-Length')), platform: null }];
    body.replaceChildren(
      card('Platforms', platformTable(platforms, digest, type)),
      el('div', { id: 'hardware' }, el('p', { class: 'muted' }, 'Asking what the image needs (its layers may be scanning)…')));
    const docs = await hardwareDocuments(name, reference);
    document.getElementById('hardware').replaceChildren(...docs.map((d) => documentCard(name, d)));
    for (const d of docs) {
      referrers(name, d.subject.digest);
    }
    if (INDEX_TYPES.includes(type)) {
      referrers(name, digest, 'the index');
    }
  } catch (e) {
    body.replaceChildren(errorBox(e));
  }
}

function platformTable(platforms, digest, type) {
  return el('div', {},
    kv([['digest', el('code', {}, digest)], ['media type', type]]),
    el('table', { id: 'platforms' },
      el('tr', {}, el('th', {}, 'platform'), el('th', {}, 'manifest'), el('th', { class: 'num hide-narrow' }, 'size')),
      platforms.map((m) => el('tr', {},
        el('td', {}, m.platform ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/') : 'single platform'),
        el('td', {}, el('code', { title: m.digest }, shortDigest(m.digest))),
        el('td', { class: 'num hide-narrow' }, m.size)))));
}

async function hardwareDocuments(name, reference) {
  const r = await whenScanned(repoPath(name, `_gantry/hardware/${encodeURIComponent(reference)}`));
  if (r.status === 202) {
    throw new Error('the layers are still being scanned: reload the page in a moment');
  }
  const body = await r.json();
  return Array.isArray(body) ? body : [body];
}

function badges(map) {
  const entries = Object.entries(map || {});
  if (entries.length === 0) {
    return el('span', { class: 'muted' }, 'none');
  }
  return entries.map(([k, level]) => el('span', { class: `badge ${level}` }, `${k} ${level}`));
}

function documentCard(name, doc) {
  const p = doc.platform || {};
  const cpu = p.cpu || {};
  const slot = el('div', { class: 'referrers', 'data-subject': doc.subject.digest }, el('p', { class: 'muted' }, 'Referrers…'));
  return card(`Hardware of ${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`,
    kv([
      ['manifest', el('code', {}, doc.subject.digest)],
      ['hardware', el('span', { class: 'hardware-classes' }, badges(p.hardware))],
      ['CPU level', cpu.level || '–'],
      ['CPU features', el('span', {}, badges(cpu.features))],
      ['devices', (doc['passthru-devices'] || []).join(' ') || '–'],
      ['CDI', (doc.devices || []).flatMap((d) => d.cdi || []).join(' ') || '–'],
      ['volumes', (doc.volumes || []).join(' ') || '–'],
      ['scan', doc.scan ? `${doc.scan.status} at ${doc.scan.time}` : '–'],
    ]),
    el('details', { class: 'evidence' }, el('summary', {}, `Evidence (${(doc.evidence || []).length})`),
      el('table', {}, el('tr', {}, el('th', {}, 'finding'), el('th', {}, 'level'), el('th', {}, 'file'), el('th', { class: 'hide-narrow' }, 'detail')),
        (doc.evidence || []).map((e) => el('tr', {},
          el('td', {}, `${e.kind}: ${e.name}`), el('td', {}, e.level || ''),
          el('td', {}, el('code', {}, e.path || e.rule || '')), el('td', { class: 'hide-narrow' }, e.detail || ''))))),
    el('details', {}, el('summary', {}, 'Document (JSON)'), el('pre', {}, JSON.stringify(doc, null, 2))),
    slot);
}

/** The referrers of one manifest, and the NFD spec when one is among them. */
async function referrers(name, digest, label) {
  let slot = document.querySelector(`.referrers[data-subject="${digest}"]`);
  if (!slot) {
    slot = el('div', { class: 'referrers', 'data-subject': digest });
    document.getElementById('hardware').append(card(`Referrers of ${label}`, slot));
  }
  try {
    const index = await json(repoPath(name, `referrers/${digest}`));
    const list = index.manifests || [];
    slot.replaceChildren(el('h3', {}, `Referrers (${list.length})`), el('table', {},
      list.map((m) => el('tr', {}, el('td', {}, m.artifactType), el('td', {}, el('code', { title: m.digest }, shortDigest(m.digest)))))));
    const nfd = list.find((m) => m.artifactType === NFD_ARTIFACT);
    if (nfd) {
      slot.append(await nfdSpec(name, nfd.digest));
    }
    if (!list.some((m) => m.artifactType === HARDWARE_ARTIFACT)) {
      slot.append(el('p', { class: 'muted' }, 'No hardware artifact yet.'));
    }
  } catch (e) {
    slot.replaceChildren(errorBox(e));
  }
}

async function nfdSpec(name, digest) {
  const manifest = await json(repoPath(name, `manifests/${digest}`), { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const layer = manifest.layers && manifest.layers[0];
  const text = layer ? await (await request(repoPath(name, `blobs/${layer.digest}`))).text() : '';
  return el('details', { class: 'nfd' }, el('summary', {}, 'NFD image-compatibility artifact'), el('pre', {}, text));
}

function checkCard(name, reference) {
  const profile = el('textarea', { id: 'profile', spellcheck: 'false',
    placeholder: '{"architecture":"x86_64","cpuFlags":["sse4_2","avx2"],"devices":["/dev/kvm"]}  (gantry check --save-profile FILE)' });
  const file = el('input', { type: 'file', id: 'profile-file', accept: '.json,application/json',
    onchange: async () => { if (file.files[0]) { profile.value = await file.files[0].text(); } } });
  const out = el('div', { id: 'verdict' });
  const run = async (event) => {
    event.preventDefault();
    out.replaceChildren(el('p', { class: 'muted' }, 'Checking…'));
    try {
      JSON.parse(profile.value);
    } catch (e) {
      out.replaceChildren(errorBox(new Error('the profile is not JSON: paste or upload what gantry check --save-profile wrote')));
      return;
    }
    try {
      const r = await whenScanned(repoPath(name, `_gantry/check/${encodeURIComponent(reference)}`),
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: profile.value });
      if (r.status === 202) {
        throw new Error('the layers are still being scanned: try again in a moment');
      }
      out.replaceChildren(verdictView(await r.json(), name, reference));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  return card('Check against a host',
    el('form', { id: 'check', onsubmit: run },
      el('label', {}, 'Host profile (JSON)', profile),
      el('div', { class: 'row' }, el('label', {}, 'or upload', file), el('button', { type: 'submit', id: 'check-run' }, 'Check'))),
    out);
}

function verdictView(v, name, reference) {
  const flags = v.dockerRunFlags || [];
  const ref = reference.startsWith('sha256:') ? `${name}@${reference}` : `${name}:${reference}`;
  return el('div', {},
    el('div', { class: `verdict verdict-${v.verdict}`, id: 'verdict-value' }, v.verdict),
    v.platform ? el('p', { class: 'muted' }, `platform ${v.platform}`) : null,
    el('ul', { id: 'reasons' }, (v.reasons || []).map((r) => el('li', {},
      el('strong', {}, `${r.severity}: `), r.message, r.advice ? el('div', { class: 'muted' }, r.advice) : null))),
    el('pre', { id: 'docker-run' }, ['docker run', ...flags, `${location.host}/${ref}`].join(' ')));
}
