import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiErrorFromResponse, describeError } from './ApiError';
import { ApiClient, buildPath, totalCount } from './client';

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  return vi.fn(async (_input: string, _init: RequestInit) => new Response(body, { status, headers }));
}

afterEach(() => vi.restoreAllMocks());

describe('ApiClient CSRF and cookies', () => {
  it('sends X-CSRF-Token on POST, PUT, PATCH and DELETE but not on GET', async () => {
    const f = fakeFetch(200, '{}');
    const client = new ApiClient(f);
    client.setCsrfToken('tok-123');
    await client.get('/api/proxies');
    await client.post('/api/proxies', { a: 1 });
    await client.put('/api/settings', {});
    await client.request('PATCH', '/api/x');
    await client.delete('/api/proxies/1');
    const headers = f.mock.calls.map(([, init]) => (init.headers as Record<string, string>)['X-CSRF-Token']);
    expect(headers).toEqual([undefined, 'tok-123', 'tok-123', 'tok-123', 'tok-123']);
  });

  it('always sends same-origin credentials and a JSON body', async () => {
    const f = fakeFetch(201, '{"id": 4}');
    const client = new ApiClient(f);
    const answer = await client.post<{ id: number }>('/api/proxies', { kiotproxy_key: 'K1' });
    expect(answer).toEqual({ id: 4 });
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/api/proxies');
    expect(init.credentials).toBe('same-origin');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(init.body).toBe('{"kiotproxy_key":"K1"}');
  });

  it('omits the header when no token is known', async () => {
    const f = fakeFetch(200, '{}');
    await new ApiClient(f).post('/api/auth/logout');
    expect((f.mock.calls[0][1].headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });
});

describe('ApiClient errors', () => {
  it('turns the API error shape into an ApiError with status, code, message and field', async () => {
    const body = JSON.stringify({ error: { status: 422, code: 'invalid_value', message: 'auto_rotate_interval_minutes must be at least 2', field: 'auto_rotate_interval_minutes' } });
    const client = new ApiClient(fakeFetch(422, body));
    const error = await client.put('/api/settings', { auto_rotate_interval_minutes: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'invalid_value', field: 'auto_rotate_interval_minutes', message: 'auto_rotate_interval_minutes must be at least 2' });
    expect(describeError(error)).toBe('auto_rotate_interval_minutes must be at least 2 [auto_rotate_interval_minutes]');
  });

  it('keeps a readable message when the body is an HTML error page', async () => {
    const client = new ApiClient(fakeFetch(502, '<html><body><h1>502 Bad Gateway</h1></body></html>'));
    const error = (await client.post('/api/proxies/1/rotate').catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.code).toBe('provider_error');
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('reports a network failure as status 0', async () => {
    const client = new ApiClient(vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    }));
    const error = (await client.get('/api/proxies').catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('Cannot reach the server');
  });

  it('tells listeners about a 401 unless the call is quiet', async () => {
    const body = JSON.stringify({ error: { status: 401, code: 'unauthenticated', message: 'session expired' } });
    const client = new ApiClient(fakeFetch(401, body));
    const listener = vi.fn();
    client.onUnauthenticated(listener);
    await client.get('/api/proxies').catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
    await client.post('/api/auth/login', {}, { quietUnauthenticated: true }).catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('adds Retry-After to a 429 message', () => {
    const e = apiErrorFromResponse(429, JSON.stringify({ error: { status: 429, code: 'rate_limited', message: 'Too many failed logins' } }), '30');
    expect(e.message).toBe('Too many failed logins (retry after 30 s)');
  });

  it('understands the earlier tool\'s {"detail"} shape', () => {
    expect(apiErrorFromResponse(400, '{"detail":"Invalid key"}').message).toBe('Invalid key');
  });

  it('rejects a 200 that is not JSON', async () => {
    const error = (await new ApiClient(fakeFetch(200, '<html>')).get('/api/x').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('malformed_response');
  });
});

describe('helpers', () => {
  it('buildPath skips empty query values', () => {
    expect(buildPath('/api/logs', { proxy_id: 3, action: '', limit: 25, offset: 0 })).toBe('/api/logs?proxy_id=3&limit=25&offset=0');
    expect(buildPath('/api/logs', { a: undefined })).toBe('/api/logs');
  });

  it('totalCount reads X-Total-Count', () => {
    expect(totalCount(new Headers({ 'X-Total-Count': '93' }), 5)).toBe(93);
    expect(totalCount(new Headers(), 5)).toBe(5);
    expect(totalCount(new Headers({ 'X-Total-Count': 'x' }), 5)).toBe(5);
  });
});
