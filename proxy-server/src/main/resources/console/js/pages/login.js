import { login } from '../api.js';
import { el, errorBox, show } from '../ui.js';

/** Log in with a configured user (htpasswd); ?expired=1 says why the console came back here. */
export function loginPage(params) {
  const user = el('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = el('div', { id: 'login-message' });
  if (params.get('expired')) {
    message.append(el('p', { class: 'muted' }, 'Your session ended: log in again.'));
  }
  const form = el('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      try {
        await login(user.value, password.value);
        location.hash = params.get('next') || '#/';
      } catch (e) {
        message.replaceChildren(errorBox(e));
      }
    },
  },
  el('label', {}, 'User', user),
  el('label', {}, 'Password', password),
  el('button', { type: 'submit', id: 'login-submit' }, 'Log in'),
  el('a', { href: '#/' }, 'Continue without logging in'));
  show(el('div', { class: 'login card' }, el('h1', {}, 'Log in'), message, form));
}
