// The case page: facts, actions, the risk chart with stage bands, the messages with their
// evidence highlighted, decisions and the audit trail. Message text is hostile: it goes
// into Text nodes only (dom.js), is blurred until the moderator clicks it, and nothing in
// it is ever loaded (no images, no links).
import { ApiError, getFile, getJson, postJson } from './api.js';
import { riskChart, stageBands } from './chart.js';
import { clear, h } from './dom.js';
import { ago, number, t, term, when } from './i18n.js';
import { segmentsOf } from './spans.js';
import { toMs } from './queue.js';
import { levelBadge, stageChip, statusBadge } from './widgets.js';

// rules/stages.yaml `levels:` as shipped; the server's own come with the settings.
const DEFAULT_THRESHOLDS = { watch: 35, review: 65, urgent: 90 };

export function mount(root, shell, id) {
  let data = null;
  let revealAll = false;
  let disposed = false;
  let busy = false;
  const path = `/v1/cases/${encodeURIComponent(id)}`;
  const view = h('section', { class: 'case-view', id: 'case' }, h('p', { class: 'muted' }, t('loading')));
  root.append(view);

  async function load() {
    try {
      const c = await getJson(path);
      if (disposed) return;
      data = c;
      render();
    } catch (err) {
      if (disposed) return;
      clear(view).append(
        h('button', { type: 'button', class: 'back', onclick: shell.back }, `← ${t('back')}`),
        h('p', { class: 'error', role: 'alert' }, err instanceof ApiError && err.status === 404 ? t('err_not_found') : shell.explain(err)),
      );
    }
  }

  function render() {
    const c = data;
    const messages = c.messages ?? [];
    const suspect = c.suspect_id ?? '';
    // A re-read (the case changed) keeps what the moderator chose to read, and the place.
    const revealed = new Set(
      [...view.querySelectorAll('li.message')].filter((li) => li.querySelector('.text.revealed')).map((li) => li.dataset.messageId),
    );
    const scroll = window.scrollY;
    clear(view);
    view.append(
      h(
        'header',
        { class: 'case-head' },
        h('button', { type: 'button', class: 'back', onclick: shell.back, title: 'u' }, `← ${t('back')}`),
        h('h1', {}, t('case_heading', { id: c.id })),
        levelBadge(c.level),
        statusBadge(c.status),
        h('span', { class: 'risk-big', id: 'case-risk' }, `${t('col_risk')} ${number(c.risk ?? 0, 1)}`),
      ),
      facts(c),
      actions(c),
      h('div', { id: 'dismiss-panel', hidden: true }),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, t('risk_chart')),
        riskChart({
          points: messages.map((m) => ({ risk: Number(m.risk ?? 0), level: m.level ?? 'none', context: !!m.context, sender: m.sender_id })),
          thresholds: shell.settings?.levels ?? DEFAULT_THRESHOLDS,
          bands: stageBands(messages),
          openedAt: messages.findIndex((m) => !m.context),
        }),
      ),
      h(
        'section',
        { class: 'panel' },
        h(
          'div',
          { class: 'panel-head' },
          h('h2', {}, t('messages')),
          h('span', { class: 'muted' }, t('reveal_hint')),
          h('span', { class: 'spacer' }),
          h('button', { type: 'button', id: 'reveal-all', title: 'r', onclick: toggleAll }, revealAll ? t('hide_all') : t('reveal_all')),
        ),
        h('ol', { class: 'messages', id: 'messages' }, messages.map((m, i) => message(m, i, suspect))),
      ),
      h('section', { class: 'panel', id: 'decisions' }, h('h2', {}, t('decisions')), decisions(c.decisions ?? [])),
      h('section', { class: 'panel', id: 'audit' }, h('h2', {}, t('audit')), h('p', { class: 'muted' }, t('loading'))),
    );
    for (const li of view.querySelectorAll('li.message')) {
      if (revealed.has(li.dataset.messageId)) setRevealed(li.querySelector('.text'), true);
    }
    window.scrollTo(0, scroll);
    renderAudit(c.audit ?? []);
  }

  function facts(c) {
    const row = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
    const participants = (c.participants ?? []).map((p) =>
      h(
        'li',
        { class: 'participant' },
        p.id,
        p.id === c.suspect_id ? h('span', { class: 'badge suspect-badge' }, t('suspect_mark')) : null,
        typeof p.disclosed_age === 'number' && p.disclosed_age >= 0 ? h('span', { class: 'muted' }, ` ${t('age_disclosed', { age: p.disclosed_age })}`) : null,
        p.age_band === 'minor' || p.age_band === 'adult' ? h('span', { class: 'muted' }, ` ${t(`age_band_${p.age_band}`)}`) : null,
      ),
    );
    const opened = toMs(c.opened_ms ?? c.opened_at);
    const updated = toMs(c.updated_ms ?? c.updated_at);
    return h(
      'dl',
      { class: 'facts' },
      row(t('conversation'), h('span', { id: 'conversation-id' }, c.conversation_id)),
      row(t('suspect'), h('span', { id: 'suspect-id', class: 'suspect' }, c.suspect_id || '—')),
      row(t('participants'), h('ul', { class: 'participants' }, participants)),
      row(t('assignee'), h('span', { id: 'assignee' }, c.assignee || t('unassigned'))),
      opened ? row(t('opened'), `${when(opened)} (${ago(opened)})`) : null,
      updated ? row(t('updated'), when(updated)) : null,
      row(t('rules_version'), h('code', {}, c.rules_version ?? '')),
    );
  }

  function actions(c) {
    const closed = c.status === 'confirmed' || c.status === 'dismissed';
    const button = (id, label, key, onclick, disabled = false) =>
      h('button', { type: 'button', id, title: `${label} (${key})`, onclick, disabled }, label, h('kbd', {}, key));
    return h(
      'div',
      { class: 'actions', role: 'toolbar', 'aria-label': t('actions') },
      button('assign', t('assign_me'), 'a', assign, closed),
      button('confirm', t('confirm'), 'c', () => decide('confirm'), closed),
      button('dismiss', t('dismiss'), 'd', openDismiss, closed),
      button('escalate', t('escalate'), 'e', () => decide('escalate'), closed || c.status === 'escalated'),
      button('export', t('export'), 'x', exportCase),
    );
  }

  function message(m, i, suspect) {
    const isSuspect = m.sender_id === suspect;
    const text = h(
      'div',
      {
        class: ['text', revealAll ? 'revealed' : 'blurred'],
        tabindex: '0',
        role: 'button',
        'aria-pressed': String(revealAll),
        onclick: () => toggle(text),
        onkeydown: (e) => {
          if (e.key === ' ') {
            toggle(text);
            e.preventDefault();
          }
        },
      },
      segmentsOf(m.text ?? '', m.hits ?? []).map((seg) => {
        if (seg.hits.length === 0) return seg.text;
        const first = seg.hits[0];
        return h(
          'mark',
          {
            class: ['hit', `stage-${first.stage}`],
            'data-rule': seg.hits.map((x) => x.rule).join(' '),
            title: seg.hits.map((x) => `${x.rule} (${term('stage', x.stage)})${x.description ? `: ${x.description}` : ''}`).join('\n'),
          },
          seg.text,
        );
      }),
    );
    const hits = (m.hits ?? []).filter((x) => !x.shadow);
    return h(
      'li',
      { class: ['message', isSuspect && 'from-suspect', m.context && 'context'], 'data-seq': m.seq ?? i, 'data-message-id': m.message_id },
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'seq' }, `#${i + 1}`),
        h('span', { class: 'sender' }, m.sender_id),
        isSuspect ? h('span', { class: 'badge suspect-badge' }, t('suspect_mark')) : null,
        m.ts_ms || m.ts ? h('span', { class: 'muted' }, when(toMs(m.ts_ms ?? m.ts))) : null,
        m.context ? h('span', { class: 'muted' }, t('context_message')) : null,
        h('span', { class: 'spacer' }),
        m.level && m.level !== 'none' ? levelBadge(m.level) : null,
        h('span', { class: 'risk-small' }, number(Number(m.risk ?? 0), 1)),
      ),
      text,
      hits.length
        ? h(
            'div',
            { class: 'hit-list' },
            hits.map((x) => h('span', { class: 'rule', title: x.description ?? '' }, stageChip(x.stage), ' ', h('code', {}, x.rule))),
          )
        : null,
    );
  }

  function setRevealed(el, on) {
    el.classList.toggle('revealed', on);
    el.classList.toggle('blurred', !on);
    el.setAttribute('aria-pressed', String(on));
  }

  function toggle(el) {
    setRevealed(el, !el.classList.contains('revealed'));
  }

  function toggleAll() {
    revealAll = !revealAll;
    for (const el of view.querySelectorAll('.messages .text')) setRevealed(el, revealAll);
    const b = view.querySelector('#reveal-all');
    if (b) b.textContent = revealAll ? t('hide_all') : t('reveal_all');
  }

  function decisions(list) {
    if (list.length === 0) return h('p', { class: 'muted' }, t('no_decisions'));
    return h(
      'ol',
      { class: 'decision-list' },
      list.map((d) =>
        h(
          'li',
          { class: 'decision', 'data-decision': d.decision },
          h('strong', {}, t('decision_by', { decision: term('decision', d.decision), moderator: d.moderator })),
          d.at_ms || d.at ? h('span', { class: 'muted' }, ` · ${when(toMs(d.at_ms ?? d.at))}`) : null,
          d.reason ? h('div', {}, t('reason', { reason: term('reason', d.reason) })) : null,
          d.note ? h('div', {}, t('note', { note: d.note })) : null,
        ),
      ),
    );
  }

  // The case's audit trail comes with the case (GET /v1/cases/{id}, key `audit`).
  function renderAudit(entries) {
    const body = entries.length
      ? h(
          'ol',
          { class: 'audit-list' },
          entries.map((a) =>
            h('li', {}, h('code', {}, a.action), ` · ${a.actor} · `, h('span', { class: 'muted' }, when(toMs(a.at_ms ?? a.at)))),
          ),
        )
      : h('p', { class: 'muted' }, t('no_audit'));
    const section = view.querySelector('#audit');
    if (disposed || !section) return;
    section.replaceChildren(h('h2', {}, t('audit')), body);
  }

  async function act(work, done, leave) {
    if (busy) return;
    busy = true;
    try {
      await work();
      shell.notify(t(done), 'ok');
      if (leave) shell.back();
      else await load();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'case.assigned') {
        shell.notify(err.message, 'error'); // names who holds it
        await load();
      } else if (err instanceof ApiError && err.status === 409) {
        shell.notify(t('err_conflict'), 'error');
        await load();
      } else {
        shell.notify(shell.explain(err), 'error');
      }
    } finally {
      busy = false;
    }
  }

  function assign() {
    return act(() => postJson(`${path}/assign`, {}), 'done_assign', false);
  }

  function decide(decision, reason = '', note = '') {
    const body = { decision, reason, note };
    if (data?.version) body.version = data.version;
    return act(() => postJson(`${path}/decision`, body), `done_${decision}`, decision !== 'escalate');
  }

  function openDismiss() {
    const panel = view.querySelector('#dismiss-panel');
    if (!panel || !data || data.status === 'confirmed' || data.status === 'dismissed') return;
    const reasons = shell.settings?.dismissal_reasons ?? [];
    const reason = reasons.length
      ? h('select', { id: 'dismiss-reason', required: true }, reasons.map((r) => h('option', { value: r }, term('reason', r))))
      : h('input', { id: 'dismiss-reason', required: true, autocomplete: 'off' });
    const note = h('input', { id: 'dismiss-note', autocomplete: 'off' });
    const form = h(
      'form',
      { class: 'dismiss-form' },
      h('label', { for: 'dismiss-reason' }, t('dismiss_reason')),
      reason,
      h('label', { for: 'dismiss-note' }, t('dismiss_note')),
      note,
      h('button', { type: 'submit', id: 'dismiss-submit' }, t('dismiss_do')),
      h('button', { type: 'button', onclick: () => (panel.hidden = true) }, t('cancel')),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!reason.value.trim()) return;
      decide('dismiss', reason.value.trim(), note.value.trim());
    });
    clear(panel).append(form);
    panel.hidden = false;
    reason.focus();
  }

  async function exportCase() {
    try {
      const { blob, name } = await getFile(`${path}/export`, `vigil-case-${id.replace(/[^\w.-]/g, '_')}.json`);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url; // a blob: URL made here, never text from the chat
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      shell.notify(t('done_export'), 'ok');
    } catch (err) {
      shell.notify(shell.explain(err), 'error');
    }
  }

  load();

  return {
    onKey(e) {
      const k = e.key;
      if (k === 'u' || k === 'Escape') shell.back();
      else if (k === 'r') toggleAll();
      else if (!data) return false;
      else if (k === 'a') assign();
      else if (k === 'c') decide('confirm');
      else if (k === 'd') openDismiss();
      else if (k === 'e') decide('escalate');
      else if (k === 'x') exportCase();
      else return false;
      return true;
    },
    onCaseEvent(ev) {
      // Not while the moderator writes a dismissal: the form would be lost.
      const panel = view.querySelector('#dismiss-panel');
      if (ev.data?.id === data?.id && (!panel || panel.hidden)) load();
    },
    unmount() {
      disposed = true;
    },
  };
}
