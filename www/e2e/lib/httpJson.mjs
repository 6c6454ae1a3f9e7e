// Direct HTTP calls from the test (to the stand-in's control API and to the admin API as a
// second client, "elsewhere"), with a time limit on each.

export async function requestJson(method, url, { body, headers = {}, timeoutMs = 20000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  } finally {
    clearTimeout(timer);
  }
}

function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const raw = headers.get('set-cookie');
  return raw ? raw.split(/,(?=\s*[^;,=\s]+=)/) : [];
}

/** A signed-in API client of its own (a second browser tab, a script): cookie + CSRF token. */
export async function apiSession(baseUrl, username, password) {
  const login = await requestJson('POST', `${baseUrl}/api/auth/login`, { body: { username, password } });
  if (login.status !== 200) throw new Error(`POST /api/auth/login answered ${login.status}: ${login.text.slice(0, 300)}`);
  const cookie = setCookies(login.headers).map((c) => c.split(';')[0]).join('; ');
  if (!cookie) throw new Error('POST /api/auth/login set no cookie');
  const csrf = login.json?.csrf_token;
  const call = (method, path, body) =>
    requestJson(method, `${baseUrl}${path}`, { body, headers: { Cookie: cookie, ...(method === 'GET' ? {} : { 'X-CSRF-Token': csrf ?? '' }) } });
  return { cookie, csrf, call };
}
