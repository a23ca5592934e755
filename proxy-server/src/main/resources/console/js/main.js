// The console's router: #/ overview, #/repositories, #/search, #/image/<name>/<ref>, #/login.
import { expired, json, logout, session } from './api.js';
import { el, errorBox, show } from './ui.js';
import { overview } from './pages/overview.js';
import { repositories } from './pages/repositories.js';
import { search } from './pages/search.js';
import { image } from './pages/image.js';
import { loginPage } from './pages/login.js';

let leave = null;

function route() {
  if (leave) {
    leave();
    leave = null;
  }
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  const page = parts[0] || 'overview';
  if (expired() && page !== 'login') {
    logout();
    location.hash = `#/login?expired=1&next=${encodeURIComponent('#' + hash)}`;
    return;
  }
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === page));
  header();
  let result;
  switch (page) {
    case 'overview': result = overview(); break;
    case 'repositories': result = repositories(params, parts.slice(1).join('/')); break;
    case 'search': result = search(params); break;
    case 'image': result = image(parts[1], parts.slice(2).join('/')); break;
    case 'login': result = loginPage(params); break;
    default: show(errorBox(new Error(`no such page: ${page}`)));
  }
  Promise.resolve(result).then((stop) => {
    leave = typeof stop === 'function' ? stop : null;
  }).catch((e) => show(errorBox(e)));
}

function header() {
  const who = document.getElementById('who');
  const s = session();
  if (s) {
    who.replaceChildren(el('span', { id: 'user' }, s.user), el('button', {
      type: 'button', id: 'logout',
      onclick: () => { logout(); location.hash = '#/login'; },
    }, 'Log out'));
  } else {
    who.replaceChildren(el('span', { class: 'muted-light' }, 'anonymous'), el('a', { href: '#/login', id: 'login-link' }, 'Log in'));
  }
}

async function footer() {
  const f = document.getElementById('footer');
  try {
    const s = await json('/v2/_gantry/status');
    f.replaceChildren(`Gantry ${s.version} · commit `, el('code', { id: 'commit' }, s.commit || 'unknown'));
  } catch (e) {
    f.replaceChildren('Gantry');
  }
}

window.addEventListener('hashchange', route);
route();
footer();
