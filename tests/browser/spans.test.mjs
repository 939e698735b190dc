// Byte offsets (UTF-8, as the API gives spans) to JavaScript string indices, as the
// console's case page cuts message text for highlighting (server/console/js/spans.js).
// Runs in Node: the module needs no DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteOffsetMapper, segmentsOf } from '../../server/console/js/spans.js';

// The byte span [start, end) of `needle` in `text`, as the server computes it.
function byteSpan(text, needle) {
  const bytes = Buffer.from(text, 'utf8');
  const start = bytes.indexOf(Buffer.from(needle, 'utf8'));
  assert.ok(start >= 0, `${needle} is in ${text}`);
  return { start, end: start + Buffer.byteLength(needle, 'utf8') };
}

test('ASCII offsets are indices', () => {
  const map = byteOffsetMapper('dont tell anyone');
  assert.equal(map(5, 'down'), 5);
  assert.equal(map(16, 'up'), 16);
  assert.equal(map.byteLength, 16);
});

test('Chinese, emoji and accents map to UTF-16 indices', () => {
  for (const [text, needle] of [
    ['你爸媽在家嗎', '在家'],
    ['😀😀 dont tell anyone 😀', 'dont tell'],
    ['café, r ur parents home?', 'parents home'],
    ['你好😀 不要告訴別人', '不要告訴別人'],
  ]) {
    const span = byteSpan(text, needle);
    const segs = segmentsOf(text, [{ ...span, rule: 'r' }]);
    const marked = segs.filter((s) => s.hits.length).map((s) => s.text);
    assert.deepEqual(marked, [needle], text);
    assert.equal(segs.map((s) => s.text).join(''), text, 'the text stays whole and in order');
  }
});

test('an offset inside a character widens to the whole character', () => {
  const text = 'a你b'; // a=0, 你=1..4, b=4
  const map = byteOffsetMapper(text);
  assert.equal(map(2, 'down'), 1);
  assert.equal(map(2, 'up'), 2);
  const segs = segmentsOf(text, [{ start: 2, end: 3 }]);
  assert.deepEqual(
    segs.map((s) => [s.text, s.hits.length]),
    [
      ['a', 0],
      ['你', 1],
      ['b', 0],
    ],
  );
});

test('overlapping hits cut the text at every edge and keep both hits', () => {
  const text = 'are your parents home';
  const a = byteSpan(text, 'your parents');
  const b = byteSpan(text, 'parents home');
  const segs = segmentsOf(text, [
    { ...a, rule: 'a' },
    { ...b, rule: 'b' },
  ]);
  assert.deepEqual(
    segs.map((s) => [s.text, s.hits.map((h) => h.rule).join('+')]),
    [
      ['are ', ''],
      ['your ', 'a'],
      ['parents', 'a+b'],
      [' home', 'b'],
    ],
  );
});

test('spans outside the text, empty or malformed are dropped', () => {
  const text = 'hello';
  const segs = segmentsOf(text, [
    { start: 9, end: 12 },
    { start: 3, end: 3 },
    { start: 4, end: 2 },
    { start: 'x', end: 2 },
    { start: 3, end: 99 },
  ]);
  assert.deepEqual(
    segs.map((s) => [s.text, s.hits.length]),
    [
      ['hel', 0],
      ['lo', 1],
    ],
  );
  assert.deepEqual(segmentsOf('', []), [{ text: '', hits: [] }]);
});
