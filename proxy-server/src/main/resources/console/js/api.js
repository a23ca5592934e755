// Talks to Gantry with the logged-in user's bearer token (or none: anonymous).
// The server decides what each token may see; the console only shows what it is given.

const TOKEN = 'gantry.token';
const USER = 'gantry.user';
const EXPIRES = 'gantry.expires';

/** Media types a manifest request accepts: indexes and image manifests, OCI and Docker. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** An answer other than 2xx, with the OCI error's code and message when the body had one. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  const token = sessionStorage.getItem(TOKEN);
  const expires = Number(sessionStorage.getItem(EXPIRES) || 0);
  if (!token || Date.now() >= expires) {
    return null;
  }
  return { token, user: sessionStorage.getItem(USER) };
}

/** Whether a token was kept and has run out (then the console asks to log in again). */
export function expired() {
  return sessionStorage.getItem(TOKEN) !== null && session() === null;
}

export function logout() {
  [TOKEN, USER, EXPIRES].forEach((k) => sessionStorage.removeItem(k));
}

/**
 * Basic credentials once, for a bearer token that reads whatever the user may
 * pull, and administers what an admin rule gives the user (scope
 * registry:*:pull,admin); the password is not kept.
 */
export async function login(user, password) {
  const basic = btoa(unescape(encodeURIComponent(`${user}:${password}`)));
  // credentials: 'omit' keeps the browser from answering the 401's Basic challenge with a password dialog.
  const r = await fetch('/token?scope=' + encodeURIComponent('registry:*:pull,admin'), {
    headers: { Authorization: `Basic ${basic}` }, credentials: 'omit',
  });
  if (!r.ok) {
    throw await failure(r);
  }
  const body = await r.json();
  sessionStorage.setItem(TOKEN, body.token);
  sessionStorage.setItem(USER, user);
  // Renew a little before the server would refuse it.
  sessionStorage.setItem(EXPIRES, String(Date.now() + Math.max(30, Number(body.expires_in || 300) - 10) * 1000));
}

async function failure(r) {
  let code = '';
  let message = `${r.status} ${r.statusText}`;
  try {
    const body = await r.json();
    const e = body.errors && body.errors[0];
    if (e) {
      code = e.code;
      message = e.message || code;
    }
  } catch (ignored) {
    // not JSON: the status line says it
  }
  return new ApiError(r.status, code, message);
}

/** fetch with the session's token; throws ApiError for an answer other than 2xx. */
export async function request(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const s = session();
  if (s) {
    headers.Authorization = `Bearer ${s.token}`;
  }
  const r = await fetch(path, Object.assign({ credentials: 'omit' }, options, { headers }));
  if (!r.ok) {
    throw await failure(r);
  }
  return r;
}

export async function json(path, options = {}) {
  const r = await request(path, options);
  return r.status === 204 ? null : r.json();
}

/** GETs a hardware endpoint, asking again while it answers 202 (layers being fetched and scanned). */
export async function whenScanned(path, options = {}, tries = 30) {
  for (let i = 0; ; i++) {
    const r = await request(path, options);
    if (r.status !== 202 || i >= tries) {
      return r;
    }
    const wait = Number(r.headers.get('Retry-After') || 2);
    await new Promise((done) => setTimeout(done, Math.min(wait, 2) * 1000));
  }
}

/** /v2/<name>/... with each component of the repository name kept as it is. */
export function repoPath(name, rest) {
  return `/v2/${namePath(name)}/${rest}`;
}

/**
 * A repository name for a URL path: each component encoded, so a name from a link or an answer can only ever
 * name a repository, never climb out of the path it is put in ('..' components are refused).
 */
export function namePath(name) {
  const parts = String(name).split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`not a repository name: ${name}`);
  }
  return parts.map(encodeURIComponent).join('/');
}
