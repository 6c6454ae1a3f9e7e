import type { Credentials, Proxy } from '../api/types';

export interface ProxyUrl {
  /** Short label for a copy button: "HTTP", "SOCKS5", "TLS". */
  label: string;
  url: string;
}

/** scheme://user:pass@host:port with the user name and password percent-encoded. */
export function buildProxyUrl(scheme: string, username: string, password: string, hostPort: string): string {
  const auth = username ? `${encodeURIComponent(username)}${password ? `:${encodeURIComponent(password)}` : ''}@` : '';
  return `${scheme}://${auth}${hostPort}`;
}

/**
 * The address clients should dial: the endpoint as the server names it, except that a
 * wildcard listen address (0.0.0.0 / ::) is replaced by the host the admin page was
 * reached at, since that is an address the admin can actually use.
 */
export function reachableHostPort(endpoint: string, pageHostname: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(endpoint.trim());
  if (!match) return endpoint;
  const host = match[1];
  const port = match[2];
  const wildcard = host === '' || host === '0.0.0.0' || host === '[::]' || host === '::';
  const useHost = wildcard && pageHostname ? (pageHostname.includes(':') ? `[${pageHostname}]` : pageHostname) : host;
  return port ? `${useHost}:${port}` : useHost;
}

/** Turns a socks5:// URL into socks5h:// so the proxy resolves names (what curl users want). */
export function toSocks5h(url: string): string {
  return url.replace(/^socks5:\/\//i, 'socks5h://');
}

/** Rewrites a URL's host when it is a wildcard listen address. */
function withReachableHost(url: string, pageHostname: string): string {
  const m = /^([a-z0-9+.-]+:\/\/)([^@/]*@)?([^/]*)(.*)$/i.exec(url);
  if (!m) return url;
  return `${m[1]}${m[2] ?? ''}${reachableHostPort(m[3], pageHostname)}${m[4]}`;
}

/**
 * Ready-to-paste URLs for a key's endpoint: HTTP (also used for HTTPS via CONNECT), SOCKS5
 * with remote name resolution, and the published TLS form when there is one. Uses the
 * server's URLs when it sent them, else builds them from the user name, password and endpoint.
 */
export function buildProxyUrls(proxy: Pick<Proxy, 'endpoint' | 'public_host'>, credentials: Credentials, pageHostname = ''): ProxyUrl[] {
  const hostPort = reachableHostPort(proxy.endpoint, pageHostname);
  const http = credentials.http_url
    ? withReachableHost(credentials.http_url, pageHostname)
    : buildProxyUrl('http', credentials.username, credentials.password, hostPort);
  const socks = credentials.socks5_url
    ? toSocks5h(withReachableHost(credentials.socks5_url, pageHostname))
    : buildProxyUrl('socks5h', credentials.username, credentials.password, hostPort);
  const urls: ProxyUrl[] = [
    { label: 'HTTP', url: http },
    { label: 'SOCKS5', url: socks },
  ];
  const tls = credentials.tls_url || credentials.https_url;
  if (tls) {
    urls.push({ label: 'TLS', url: tls });
  } else if (proxy.public_host) {
    urls.push({ label: 'TLS', url: buildProxyUrl('https', credentials.username, credentials.password, proxy.public_host) });
  }
  return urls;
}

/** The upstream as the dashboard shows it: "HTTP 1.2.3.4:5678", or "—". */
export function describeUpstream(remoteHttp: string | null | undefined): string {
  return remoteHttp ? `HTTP ${remoteHttp}` : '—';
}
