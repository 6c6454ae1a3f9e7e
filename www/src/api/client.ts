import { ApiError, apiErrorFromResponse, networkError } from './ApiError';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Don't report a 401 to the unauthenticated listener (the login call itself). */
  quietUnauthenticated?: boolean;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

const UNSAFE_METHODS: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Joins a path and query parameters, skipping empty values. */
export function buildPath(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/**
 * Talks JSON to the admin API on the same origin: sends the session cookie, adds the CSRF
 * token to every state-changing call, and turns every failure into an ApiError.
 */
export class ApiClient {
  private csrfToken: string | null = null;
  private readonly unauthenticatedListeners = new Set<() => void>();

  constructor(private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init)) {}

  setCsrfToken(token: string | null): void {
    this.csrfToken = token || null;
  }

  getCsrfToken(): string | null {
    return this.csrfToken;
  }

  /** Called when any call answers 401 (session expired or revoked). Returns an unsubscribe. */
  onUnauthenticated(listener: () => void): () => void {
    this.unauthenticatedListeners.add(listener);
    return () => this.unauthenticatedListeners.delete(listener);
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (UNSAFE_METHODS.has(method) && this.csrfToken) {
      headers['X-CSRF-Token'] = this.csrfToken;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(buildPath(path, options.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw networkError(cause);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const error = apiErrorFromResponse(response.status, text, response.headers.get('Retry-After'));
      if (response.status === 401 && !options.quietUnauthenticated) {
        this.unauthenticatedListeners.forEach((listener) => listener());
      }
      throw error;
    }
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        throw new ApiError(response.status, 'malformed_response', `The server answered something that is not JSON (HTTP ${response.status})`);
      }
    }
    return { data: data as T, status: response.status, headers: response.headers };
  }

  async get<T>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('GET', path, options)).data;
  }

  async post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, body })).data;
  }

  async put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('PUT', path, { ...options, body })).data;
  }

  async delete<T>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('DELETE', path, options)).data;
  }
}

/** The one client the pages use. */
export const api = new ApiClient();

/** Reads X-Total-Count, or falls back to the number of items received. */
export function totalCount(headers: Headers, fallback: number): number {
  const raw = headers.get('X-Total-Count');
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
