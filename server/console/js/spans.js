// Evidence spans arrive as byte offsets into the UTF-8 encoding of the original text
// (server/README.md). JavaScript strings index UTF-16 code units, so a span is converted
// before it is used to cut the text: "你好" is 6 bytes but 2 units, "😀" 4 bytes but 2
// units. A byte offset that falls inside a character widens the span to the whole
// character; a span outside the text, or empty, is dropped.

// For `text`, a function from a UTF-8 byte offset to a UTF-16 index. `round` says which
// way an offset inside a multi-byte character goes: 'down' (span starts) or 'up' (ends).
export function byteOffsetMapper(text) {
  const bytes = [0]; // byte offset of each code point start, then the total
  const units = [0]; // the UTF-16 index of the same points
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    u += ch.length;
    bytes.push(b);
    units.push(u);
  }
  const map = (offset, round) => {
    if (offset <= 0) return 0;
    if (offset >= b) return u;
    // Binary search for the last code point start <= offset.
    let lo = 0;
    let hi = bytes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bytes[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    if (bytes[lo] === offset || round === 'down') return units[lo];
    return units[lo + 1];
  };
  map.byteLength = b;
  return map;
}

// Cuts `text` into consecutive segments, each with the hits that cover it, so evidence can
// be highlighted (overlapping hits included) and the text still shown whole and in order.
// hits: [{start, end, ...}] in bytes. Returns [{text, hits: [hit...]}]; hits whose span is
// outside the text or empty are left out of every segment.
export function segmentsOf(text, hits) {
  const map = byteOffsetMapper(text);
  const spans = [];
  for (const hit of hits ?? []) {
    const s = Number(hit.start);
    const e = Number(hit.end);
    if (!Number.isFinite(s) || !Number.isFinite(e) || s < 0 || e <= s || s >= map.byteLength) continue;
    const start = map(s, 'down');
    const end = map(Math.min(e, map.byteLength), 'up');
    if (end > start) spans.push({ start, end, hit });
  }
  const cuts = new Set([0, text.length]);
  for (const sp of spans) {
    cuts.add(sp.start);
    cuts.add(sp.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i];
    const to = points[i + 1];
    const covering = spans.filter((sp) => sp.start <= from && sp.end >= to).map((sp) => sp.hit);
    segments.push({ text: text.slice(from, to), hits: covering });
  }
  if (segments.length === 0) segments.push({ text, hits: [] });
  return segments;
}
