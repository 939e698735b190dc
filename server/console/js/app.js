// The console's shell: sign-in, the top bar, routing between the queue (#/) and a case
// (#/case/ID), keyboard shortcuts and notices. Views are modules with
//   mount(root, shell) -> { onKey(event) -> bool, unmount() }
import { ApiError, clearToken, getJson, setToken, subscribe, token } from './api.js';
import { clear, h } from './dom.js';
import { lang, t } from './i18n.js';
import * as queueView from './queue.js';
import * as caseView from './case.js';

const VIEWED_KEY = 'vigil.viewed';

const main = document.getElementById('main');
const bar = document.getElementById('bar');
const notice = document.getElementById('notice');
let current = null; // the mounted view
let stopEvents = null; // the case event stream, while signed in
let noticeTimer = 0;

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
document.title = t('title');

// Cases opened in this browser tab: a reminder of how much the moderator has read.
function viewedIds() {
  try {
    return JSON.parse(sessionStorage.getItem(VIEWED_KEY) ?? '[]');
  } catch {
    return [];
  }
}

const shell = {
  // GET /v1/console/settings: the moderator's name, thresholds, stages, dismissal reasons.
  settings: null,
  notify(text, kind = 'info') {
    clearTimeout(noticeTimer);
    notice.className = `notice ${kind}`;
    notice.textContent = text;
    notice.hidden = false;
    noticeTimer = setTimeout(() => (notice.hidden = true), 4000);
  },
  markViewed(id) {
    const ids = viewedIds();
    if (!ids.includes(id)) {
      ids.push(id);
      sessionStorage.setItem(VIEWED_KEY, JSON.stringify(ids));
    }
    renderBar();
  },
  open(id) {
    location.hash = `#/case/${encodeURIComponent(id)}`;
  },
  back() {
    location.hash = '#/';
  },
  live: false,
  setLive(on) {
    const reconnected = on && !shell.live;
    shell.live = on;
    // Events missed while the stream was down: the view re-reads.
    if (reconnected) current?.onCaseEvent?.({ type: 'connected', data: {} });
    const el = document.getElementById('live');
    if (!el) return;
    el.className = on ? 'live on' : 'live off';
    el.textContent = on ? t('live_on') : t('live_off');
  },
  showHelp() {
    shell.notify(t('shortcuts_list'));
  },
};

function renderBar() {
  clear(bar);
  bar.append(h('span', { class: 'brand' }, 'Vigil'));
  if (!token()) return;
  bar.append(
    h('button', { type: 'button', class: 'link', onclick: shell.back }, t('queue')),
    h('span', { class: 'spacer' }),
    h('span', { id: 'live', class: shell.live ? 'live on' : 'live off' }, shell.live ? t('live_on') : t('live_off')),
    h('span', { id: 'viewed', class: 'viewed' }, t('viewed', { n: viewedIds().length })),
    h('span', { id: 'moderator', class: 'moderator' }, t('signed_in_as', { name: shell.settings?.moderator ?? '' })),
    h('button', { type: 'button', class: 'link', title: t('shortcuts'), onclick: shell.showHelp }, '?'),
    h('button', { type: 'button', class: 'link', id: 'signout', onclick: signOut }, t('signout')),
  );
}

function signOut() {
  clearToken();
  shell.settings = null;
  route();
}

// Checks the token by reading the settings (401/403 explain themselves).
async function loadSettings() {
  shell.settings = await getJson('/v1/console/settings');
}

// One stream of case events for the tab; the mounted view decides what an event changes.
function startEvents() {
  if (stopEvents) return;
  stopEvents = subscribe(
    '/v1/cases/events',
    (ev) => current?.onCaseEvent?.(ev),
    (on) => shell.setLive(on),
  );
}

function stopEventStream() {
  stopEvents?.();
  stopEvents = null;
  shell.live = false;
}

function unmount() {
  current?.unmount?.();
  current = null;
  clear(main);
}

function showSignIn(message = '') {
  stopEventStream();
  unmount();
  renderBar();
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert' }, message);
  error.hidden = !message;
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  });
  const button = h('button', { type: 'submit', id: 'signin' }, t('signin'));
  const form = h(
    'form',
    { class: 'signin', id: 'signin-form' },
    h('h1', {}, t('signin_heading')),
    h('p', { class: 'muted' }, t('signin_help')),
    h('label', { for: 'token' }, t('token_label')),
    input,
    button,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    const fail = (text) => {
      clearToken();
      error.textContent = text;
      error.hidden = false;
      button.disabled = false;
      input.focus();
    };
    if (!value) return fail(t('err_token_empty'));
    button.disabled = true;
    error.hidden = true;
    setToken(value);
    try {
      await loadSettings();
    } catch (err) {
      return fail(explain(err));
    }
    route();
  });
  main.append(form);
  input.focus();
}

// A sentence for a failed API call.
export function explain(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 0) return t('err_network');
  if (err.code === 'auth.unknown_token' || err.code === 'auth.missing_token') return t('err_token_unknown');
  if (err.code === 'auth.forbidden') return t('err_token_scope');
  if (err.code === 'request.unknown_route') return t('err_no_cases');
  return t('err_server', { status: err.status, message: err.message });
}
shell.explain = explain;

async function route() {
  if (!token()) return showSignIn();
  if (!shell.settings) {
    try {
      await loadSettings(); // a reload of the tab: the token is still in sessionStorage
    } catch (err) {
      clearToken();
      return showSignIn(explain(err));
    }
  }
  unmount();
  renderBar();
  startEvents();
  const m = /^#\/case\/(.+)$/.exec(location.hash);
  if (m) {
    const id = decodeURIComponent(m[1]);
    shell.markViewed(id);
    current = caseView.mount(main, shell, id);
  } else {
    current = queueView.mount(main, shell);
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('vigil:unauthorized', () => {
  if (!current) return; // signing in: the form says what went wrong
  clearToken();
  shell.settings = null;
  showSignIn(t('err_token_unknown'));
});
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = e.target?.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  if (e.key === '?') {
    shell.showHelp();
    e.preventDefault();
    return;
  }
  if (current?.onKey?.(e)) e.preventDefault();
});

route();
