// Small pieces both views draw: level and status badges, stage chips.
import { h } from './dom.js';
import { term } from './i18n.js';

export const STATUSES = ['open', 'in_review', 'escalated', 'confirmed', 'dismissed'];
export const LEVEL_RANK = { none: 0, watch: 1, review: 2, urgent: 3 };

// The stage order of rules/stages.yaml (age_signal, which is no stage of its own, first);
// colours are in console.css (.stage-NAME).
export const STAGES = [
  'age_signal',
  'access',
  'trust',
  'isolation',
  'secrecy',
  'platform_move',
  'desensitization',
  'meeting',
  'coercion',
];

export function levelBadge(level) {
  return h('span', { class: ['badge', `level-${level}`], 'data-level': level }, term('level', level));
}

export function statusBadge(status) {
  return h('span', { class: ['badge', 'status', `status-${status}`], 'data-status': status }, term('status', status));
}

export function stageChip(stage) {
  const known = STAGES.includes(stage) ? stage : 'other';
  return h('span', { class: ['chip', `stage-${known}`], 'data-stage': stage }, term('stage', stage));
}

// The `max` gravest stages, gravest first: later stages of the model are the graver ones,
// so the chips show how far a conversation went.
export function stageChips(stages, max = Infinity) {
  const sorted = [...stages].sort((a, b) => rank(b) - rank(a)).slice(0, max);
  return h('span', { class: 'chips' }, sorted.map(stageChip));
}

function rank(stage) {
  const i = STAGES.indexOf(stage);
  return i < 0 ? -1 : i;
}
