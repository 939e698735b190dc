// The case API (server/README.md, "Cases") as the console uses it: the moderator's token
// kept in sessionStorage (gone when the tab closes) and sent as a bearer token, errors as
// ApiError with the server's code, and the push channel of case events.

const TOKEN_KEY = 'vigil.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message, field = '') {
    super(message);
    this.status = status; // 0: the server could not be reached
    this.code = code;
    this.field = field;
  }
}

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const tok = token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  return h;
}

async function send(path, { method = 'GET', body, accept } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body === undefined ? (accept ? { Accept: accept } : {}) : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  if (!res.ok) {
    let err = {};
    try {
      err = (await res.json()).error ?? {};
    } catch {
      // not our JSON error shape: keep the status alone
    }
    const failure = new ApiError(res.status, err.code ?? `http.${res.status}`, err.message ?? res.statusText, err.field);
    if (res.status === 401) window.dispatchEvent(new CustomEvent('vigil:unauthorized', { detail: failure }));
    throw failure;
  }
  return res;
}

export async function getJson(path) {
  return (await send(path)).json();
}

export async function postJson(path, body) {
  const res = await send(path, { method: 'POST', body });
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

// The body of `path` as a Blob, with the file name the server suggests (or `fallback`).
export async function getFile(path, fallback) {
  const res = await send(path, { accept: 'application/json' });
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const m = /filename="?([^";]+)"?/.exec(disposition);
  const name = m ? m[1].replace(/[^\w.-]/g, '_') : fallback;
  return { blob: await res.blob(), name };
}

// Query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Follows a server-sent event stream at `path` with the bearer token. EventSource cannot
// send an Authorization header, so this reads the stream with fetch. Reconnects with a
// growing delay (1 s to 15 s) and Last-Event-ID; onState(true|false) says whether it is
// connected. Returns a function that stops it.
export function subscribe(path, onEvent, onState) {
  let stopped = false;
  let controller = null;
  let lastId = '';
  let delay = 1000;

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const h = headers({ Accept: 'text/event-stream' });
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(path, { headers: h, cache: 'no-store', credentials: 'omit', signal: controller.signal });
        if (res.status === 401) {
          window.dispatchEvent(new CustomEvent('vigil:unauthorized'));
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
        onState(true);
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const ev = { type: 'message', data: '', id: '' };
            const data = [];
            for (const line of block.split('\n')) {
              if (line === '' || line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') ev.type = val;
              else if (field === 'data') data.push(val);
              else if (field === 'id') ev.id = val;
            }
            if (ev.id) lastId = ev.id;
            if (data.length === 0) continue;
            try {
              ev.data = JSON.parse(data.join('\n'));
            } catch {
              continue;
            }
            onEvent(ev);
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      onState(false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
