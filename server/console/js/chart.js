// The risk chart of a case, drawn as SVG by hand (no library): risk per message with the
// watch / review / urgent thresholds, a mark where the case opened, and under it one band
// per stage and sender from the message where that stage first appeared. Every label is a
// Text node; no chat text is drawn except sender ids, as text.
import { svg } from './dom.js';
import { number, t, term } from './i18n.js';
import { STAGES } from './widgets.js';

const W = 880;
const LEFT = 124;
const RIGHT = 72;
const TOP = 14;
const PLOT_H = 170;
const AXIS_H = 30;
const BAND_H = 20;

// points: [{risk, level, context, sender}] in message order
// thresholds: {watch, review, urgent} (risk 0..100)
// bands: [{stage, sender, first}] (first: index into points)
// openedAt: index of the first message that belongs to the case proper, or -1
export function riskChart({ points, thresholds, bands, openedAt = -1 }) {
  const n = points.length;
  const plotW = W - LEFT - RIGHT;
  const bandsTop = TOP + PLOT_H + AXIS_H;
  const H = bandsTop + bands.length * BAND_H + (bands.length ? 8 : 0);
  const x = (i) => LEFT + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (risk) => TOP + PLOT_H - (Math.max(0, Math.min(100, risk)) / 100) * PLOT_H;

  const root = svg('svg', {
    id: 'risk-chart',
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': t('risk_chart'),
  });
  root.append(svg('title', {}, t('risk_chart')));

  // Axes and grid.
  root.append(svg('rect', { class: 'plot', x: LEFT, y: TOP, width: plotW, height: PLOT_H }));
  for (const r of [0, 25, 50, 75, 100]) {
    root.append(
      svg('line', { class: 'grid', x1: LEFT, x2: LEFT + plotW, y1: y(r), y2: y(r) }),
      svg('text', { class: 'tick', x: LEFT - 6, y: y(r) + 4, 'text-anchor': 'end' }, number(r)),
    );
  }
  const step = Math.max(1, Math.ceil(n / 12));
  for (let i = 0; i < n; i += step) {
    root.append(svg('text', { class: 'tick', x: x(i), y: TOP + PLOT_H + 16, 'text-anchor': 'middle' }, number(i + 1)));
  }
  root.append(
    svg('text', { class: 'axis-label', x: LEFT + plotW / 2, y: TOP + PLOT_H + 28, 'text-anchor': 'middle' }, t('chart_x')),
    svg('text', { class: 'axis-label', x: 14, y: TOP + PLOT_H / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${TOP + PLOT_H / 2})` }, t('chart_y')),
  );

  // Thresholds, labelled on the right.
  for (const level of ['watch', 'review', 'urgent']) {
    const v = thresholds[level];
    if (typeof v !== 'number') continue;
    root.append(
      svg('line', { class: ['threshold', `threshold-${level}`], 'data-level': level, x1: LEFT, x2: LEFT + plotW, y1: y(v), y2: y(v) }),
      svg('text', { class: ['threshold-label', `threshold-${level}`], x: LEFT + plotW + 6, y: y(v) + 4 }, `${term('level', level)} ${number(v)}`),
    );
  }

  if (openedAt > 0 && openedAt < n) {
    const xo = x(openedAt) - (n > 1 ? plotW / (n - 1) / 2 : 0);
    root.append(svg('line', { class: 'opened', x1: xo, x2: xo, y1: TOP, y2: TOP + PLOT_H }));
  }

  // The risk line and one dot per message.
  if (n > 0) {
    root.append(svg('polyline', { class: 'risk-line', points: points.map((p, i) => `${x(i)},${y(p.risk)}`).join(' ') }));
  }
  points.forEach((p, i) => {
    root.append(
      svg(
        'circle',
        { class: ['point', `level-${p.level}`, p.context && 'context'], cx: x(i), cy: y(p.risk), r: 4, 'data-index': i },
        svg('title', {}, `#${i + 1} · ${p.sender} · ${t('col_risk')} ${number(p.risk, 1)}`),
      ),
    );
  });

  // Stage bands: from the first message with the stage to the end of the conversation.
  bands.forEach((b, row) => {
    const top = bandsTop + row * BAND_H;
    const known = STAGES.includes(b.stage) ? b.stage : 'other';
    const x0 = n > 1 ? x(b.first) - plotW / (n - 1) / 2 : LEFT;
    const g = svg('g', { class: 'band', 'data-stage': b.stage, 'data-sender': b.sender });
    g.append(
      svg('text', { class: 'band-label', x: LEFT - 6, y: top + 14, 'text-anchor': 'end' }, term('stage', b.stage)),
      svg('rect', { class: ['band-rect', `stage-${known}`], x: Math.max(LEFT, x0), y: top + 3, width: Math.max(4, LEFT + plotW - Math.max(LEFT, x0)), height: BAND_H - 6, rx: 3 }),
      svg('text', { class: 'band-sender', x: Math.max(LEFT, x0) + 6, y: top + 14 }, b.sender),
      svg('title', {}, `${term('stage', b.stage)}: ${t('stage_first', { n: b.first + 1, sender: b.sender })}`),
    );
    root.append(g);
  });
  return root;
}

// The first message of each (stage, sender) pair, in stage order then first appearance.
export function stageBands(messages) {
  const seen = new Map();
  messages.forEach((m, i) => {
    for (const hit of m.hits ?? []) {
      if (hit.shadow) continue;
      const key = `${hit.stage}\u0000${m.sender_id}`;
      if (!seen.has(key)) seen.set(key, { stage: hit.stage, sender: m.sender_id, first: i });
    }
  });
  const order = (s) => {
    const k = STAGES.indexOf(s);
    return k < 0 ? STAGES.length : k;
  };
  return [...seen.values()].sort((a, b) => order(a.stage) - order(b.stage) || a.first - b.first);
}
