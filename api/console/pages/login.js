// Login: the API key of the user (manager, auditor, admin). The key is sent once; the session lives in an HttpOnly cookie.

import { api } from '../lib/api.js';
import { h, icon, clear, replace } from '../lib/dom.js';
import { setBusy } from '../lib/ui.js';

export default async function login(ctx) {
  ctx.setTitle('Connexion');
  const error = h('div', { class: 'login-error', role: 'alert', 'aria-live': 'assertive' });
  const input = h('input', {
    id: 'login-key', name: 'key', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', 'aria-describedby': 'login-key-help', class: 'input input-large', placeholder: 'tpr_…',
  });
  const toggle = h('button', {
    type: 'button', class: 'input-addon', 'aria-label': 'Afficher la clé', 'aria-pressed': 'false',
    onclick: () => {
      const shown = input.type === 'text';
      input.type = shown ? 'password' : 'text';
      toggle.setAttribute('aria-pressed', String(!shown));
      toggle.setAttribute('aria-label', shown ? 'Afficher la clé' : 'Masquer la clé');
      replace(toggle, icon(shown ? 'eye' : 'eye-off'));
    },
  }, icon('eye'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-large' }, 'Se connecter');

  const form = h('form', { class: 'login-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clear(error);
    input.removeAttribute('aria-invalid');
    const key = input.value.trim();
    if (!key) {
      input.setAttribute('aria-invalid', 'true');
      error.append(icon('alert'), 'Saisissez votre clé d’accès.');
      input.focus();
      return;
    }
    setBusy(submit, true, 'Connexion…');
    try {
      await api('/api/session', { method: 'POST', body: { key }, quiet401: true });
      input.value = '';
      await ctx.afterLogin();
    } catch (err) {
      setBusy(submit, false);
      replace(submit, 'Se connecter');
      input.setAttribute('aria-invalid', 'true');
      const message = err.status === 401 || err.status === 403
        ? 'Clé inconnue, révoquée ou sans accès à la console.'
        : err.status === 400 ? 'Cette clé n’a pas le bon format.' : err.message;
      error.append(icon('alert'), message);
      input.focus();
      input.select();
    }
  } },
  h('label', { for: 'login-key', class: 'label' }, 'Clé d’accès'),
  h('div', { class: 'input-group' }, input, toggle),
  h('p', { id: 'login-key-help', class: 'help' }, 'La clé personnelle remise par l’administrateur (elle commence par « tpr_ »).'),
  error,
  submit);

  replace(ctx.main, h('div', { class: 'login-page' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' },
        h('span', { class: 'brand-mark brand-mark-large', 'aria-hidden': 'true' }, 'TP'),
        h('div', null, h('p', { class: 'eyebrow' }, 'Almerys · Tiers payant'), h('h1', { id: 'page-title', tabindex: '-1' }, 'Console des gestionnaires'))),
      h('p', { class: 'login-intro' }, 'Traitez les rejets de factures tiers payant qui vous sont retournés : contrôles, consignes manquantes, réponses aux professionnels de santé.'),
      form),
    h('ul', { class: 'login-features', 'aria-label': 'Dans la console' },
      h('li', null, icon('inbox'), 'Tâches par motif, en retard en premier'),
      h('li', null, icon('flow'), 'Analyse G0 à G8 pas à pas'),
      h('li', null, icon('check-circle'), 'Décision tracée : qui, quoi, quand'))));
  input.focus();
}
