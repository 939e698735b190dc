// Builds DOM nodes from data. Every string becomes a Text node, or an attribute value set
// with setAttribute: nothing here parses HTML, so chat text can only ever be text. (The
// page's Content-Security-Policy also enables Trusted Types with no policy, so a string
// assigned to innerHTML would throw rather than render.)

const SVG_NS = 'http://www.w3.org/2000/svg';

// Attributes that could load or run something; chat text must never reach them, and the
// console never needs them, so they are refused outright.
const REFUSED = new Set(['src', 'srcdoc', 'href', 'xlink:href', 'action', 'formaction', 'style', 'background']);

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    } else if (REFUSED.has(name.toLowerCase())) {
      throw new TypeError(`attribute ${name} is not allowed`);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// h('p', {class: 'x', onclick: f}, 'text', otherNode)
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same for SVG elements.
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}
