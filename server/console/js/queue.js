// The queue: cases most urgent first (level, then risk), with filters, counts per status,
// and rows that appear as the server pushes new cases (app.js forwards the events).
import { getJson, query } from './api.js';
import { clear, h } from './dom.js';
import { ago, number, t, term } from './i18n.js';
import { LEVEL_RANK, STATUSES, levelBadge, statusBadge, stageChips } from './widgets.js';

// Kept across visits to a case, so "back" returns to the same filtered list.
// status: one tab (a comma list for "to do"); assignee: '' anyone, 'me', 'none'.
const TODO = 'open,in_review,escalated';
const filters = { status: TODO, level: '', language: '', assignee: '' };
let selectedId = '';

export function mount(root, shell) {
  let rows = [];
  let cursor = '';
  let counts = {};
  let fresh = new Set(); // rows that a pushed event brought in: highlighted
  let disposed = false;
  let reloadTimer = 0;

  const tabs = h('nav', { class: 'tabs', 'aria-label': t('col_status') });
  const levelSel = select('filter-level', 'level', [['', t('level_any')], ...['urgent', 'review', 'watch'].map((l) => [l, term('level', l)])]);
  const langSel = select('filter-language', 'language', [['', t('language_any')], ['en', t('lang_en')], ['zh', t('lang_zh')]]);
  const assigneeSel = select('filter-assignee', 'assignee', [
    ['', t('assignee_any')],
    ['me', t('assignee_me')],
    ['none', t('assignee_none')],
  ]);
  const body = h('tbody', { id: 'queue-rows' });
  const empty = h('p', { class: 'muted', id: 'queue-empty', hidden: true }, t('no_cases'));
  const more = h('button', { type: 'button', id: 'load-more', hidden: true, onclick: () => load(true) }, t('load_more'));
  const table = h(
    'table',
    { class: 'queue', id: 'queue' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['col_risk', 'col_level', 'col_status', 'col_stages', 'col_language', 'col_age', 'col_assignee', 'col_conversation', 'col_messages'].map(
          (k) => h('th', { scope: 'col' }, t(k)),
        ),
      ),
    ),
    body,
  );
  root.append(
    h('section', { class: 'queue-view' }, h('div', { class: 'toolbar' }, tabs, h('span', { class: 'spacer' }), levelSel, langSel, assigneeSel), table, empty, more),
  );

  function select(id, key, options) {
    const el = h(
      'select',
      {
        id,
        onchange: () => {
          filters[key] = el.value;
          load(false);
        },
      },
      options.map(([v, label]) => h('option', { value: v }, label)),
    );
    el.value = filters[key];
    return el;
  }

  function renderTabs() {
    clear(tabs);
    const sum = (list) => list.reduce((a, s) => a + (counts[s] ?? 0), 0);
    for (const s of [TODO, ...STATUSES, '']) {
      const n = sum(s ? s.split(',') : STATUSES);
      tabs.append(
        h(
          'button',
          {
            type: 'button',
            class: ['tab', filters.status === s && 'active'],
            'data-status': s === TODO ? 'todo' : s || 'all',
            'aria-pressed': String(filters.status === s),
            onclick: () => {
              filters.status = s;
              load(false);
            },
          },
          s === TODO ? t('status_todo') : s ? term('status', s) : t('status_all'),
          h('span', { class: 'count' }, number(n)),
        ),
      );
    }
  }

  function sortRows() {
    // Urgency first (level), then risk, then the newest.
    rows.sort(
      (a, b) =>
        (LEVEL_RANK[b.level] ?? 0) - (LEVEL_RANK[a.level] ?? 0) || b.risk - a.risk || (b.opened_ms ?? 0) - (a.opened_ms ?? 0),
    );
  }

  function renderRows() {
    clear(body);
    const now = Date.now();
    for (const c of rows) {
      const tr = h(
        'tr',
        {
          class: ['case-row', `level-${c.level}`, c.id === selectedId && 'selected', fresh.has(c.id) && 'fresh'],
          'data-id': c.id,
          tabindex: '0',
          onclick: () => shell.open(c.id),
          onkeydown: (e) => {
            if (e.key === 'Enter') shell.open(c.id);
          },
        },
        h('td', { class: 'risk' }, h('span', { class: 'risk-value' }, number(c.risk)), riskBar(c.risk)),
        h('td', {}, levelBadge(c.level)),
        h('td', {}, statusBadge(c.status)),
        h('td', {}, stageChips(c.stages ?? [], 3)),
        h('td', { class: 'language' }, (c.languages ?? []).map((l) => term('lang', l)).join(', ')),
        h('td', { class: 'age', title: c.opened_ms ? new Date(c.opened_ms).toISOString() : '' }, c.opened_ms ? ago(c.opened_ms, now) : ''),
        h('td', { class: 'assignee' }, c.assignee || t('unassigned')),
        h('td', { class: 'conversation' }, c.conversation_id),
        h('td', { class: 'num' }, number(c.message_count ?? 0)),
      );
      body.append(tr);
    }
    empty.hidden = rows.length > 0;
    more.hidden = !cursor;
  }

  function riskBar(risk) {
    const bar = h('span', { class: 'risk-bar' });
    const fill = h('span', { class: 'risk-fill' });
    fill.style.width = `${Math.max(0, Math.min(100, risk))}%`; // CSSOM, allowed by the CSP
    bar.append(fill);
    return bar;
  }

  async function load(next, pushed = false) {
    const params = {
      sort: 'risk',
      limit: 50,
      status: filters.status,
      level: filters.level,
      language: filters.language,
      assignee: filters.assignee === 'me' ? shell.settings.moderator : undefined,
      cursor: next ? cursor : '',
    };
    // "assignee=" (present, empty) asks for the unassigned cases.
    const unassigned = filters.assignee === 'none' ? '&assignee=' : '';
    let page;
    try {
      page = await getJson(`/v1/cases${query(params)}${unassigned}`);
    } catch (err) {
      if (!disposed) shell.notify(shell.explain(err), 'error');
      return;
    }
    if (disposed) return;
    const cases = (page.cases ?? []).map(normalise);
    const before = new Set(rows.map((c) => c.id));
    rows = next ? rows.concat(cases) : cases;
    fresh = pushed ? new Set(rows.filter((c) => !before.has(c.id)).map((c) => c.id)) : new Set();
    cursor = page.next_cursor ?? '';
    counts = countsOf(page.counts);
    sortRows();
    if (!rows.some((c) => c.id === selectedId)) selectedId = rows[0]?.id ?? '';
    renderTabs();
    renderRows();
  }

  function move(step) {
    if (rows.length === 0) return;
    const i = Math.max(0, rows.findIndex((c) => c.id === selectedId));
    selectedId = rows[Math.max(0, Math.min(rows.length - 1, i + step))].id;
    renderRows();
    body.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }

  load(false);
  renderTabs();

  return {
    onKey(e) {
      if (e.key === 'j' || e.key === 'ArrowDown') move(1);
      else if (e.key === 'k' || e.key === 'ArrowUp') move(-1);
      else if (e.key === 'Enter' && selectedId) shell.open(selectedId);
      else return false;
      return true;
    },
    onCaseEvent() {
      // Several events in a burst cost one reload.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => load(false, true), 250);
    },
    unmount() {
      disposed = true;
      clearTimeout(reloadTimer);
    },
  };
}

// Times may come as ms numbers or RFC 3339 text; the console works in ms.
export function toMs(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? 0 : ms;
  }
  return 0;
}

function normalise(c) {
  return {
    ...c,
    risk: Number(c.risk ?? 0),
    opened_ms: c.opened_ms ?? toMs(c.opened_at ?? c.opened),
  };
}

// counts as {"open": 3, ...} or [{"status": "open", "count": 3}, ...].
function countsOf(raw) {
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((x) => [x.status, Number(x.count ?? 0)]));
  return { ...(raw ?? {}) };
}
