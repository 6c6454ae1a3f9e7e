import { describe, expect, it } from 'vitest';
import { buildProxyUrl, buildProxyUrls, describeUpstream, reachableHostPort, toSocks5h } from './proxyUrls';

const creds = { username: 'proxy1', password: 'p@ss:w/rd', http_url: '', socks5_url: '' };

describe('buildProxyUrl', () => {
  it('percent-encodes user and password', () => {
    expect(buildProxyUrl('http', 'proxy1', 'p@ss:w/rd', 'h:9001')).toBe('http://proxy1:p%40ss%3Aw%2Frd@h:9001');
  });
  it('leaves out empty credentials', () => {
    expect(buildProxyUrl('http', '', '', 'h:9001')).toBe('http://h:9001');
  });
});

describe('buildProxyUrls', () => {
  it('uses the server URLs, with socks5h for remote DNS', () => {
    const urls = buildProxyUrls(
      { endpoint: 'localhost:9001' },
      { username: 'proxy1', password: 'abc', http_url: 'http://proxy1:abc@localhost:9001', socks5_url: 'socks5://proxy1:abc@localhost:9001' },
    );
    expect(urls).toEqual([
      { label: 'HTTP', url: 'http://proxy1:abc@localhost:9001' },
      { label: 'SOCKS5', url: 'socks5h://proxy1:abc@localhost:9001' },
    ]);
  });

  it('builds URLs from the endpoint when the server sent none', () => {
    const urls = buildProxyUrls({ endpoint: '127.0.0.1:9002' }, creds);
    expect(urls.map((u) => u.url)).toEqual([
      'http://proxy1:p%40ss%3Aw%2Frd@127.0.0.1:9002',
      'socks5h://proxy1:p%40ss%3Aw%2Frd@127.0.0.1:9002',
    ]);
  });

  it('replaces a wildcard listen address with the host the page was loaded from', () => {
    const urls = buildProxyUrls(
      { endpoint: '0.0.0.0:9001' },
      { username: 'u', password: 'p', http_url: 'http://u:p@0.0.0.0:9001', socks5_url: 'socks5h://u:p@0.0.0.0:9001' },
      'admin.example.com',
    );
    expect(urls.map((u) => u.url)).toEqual(['http://u:p@admin.example.com:9001', 'socks5h://u:p@admin.example.com:9001']);
  });

  it('adds the TLS form when a router publishes one', () => {
    const fromServer = buildProxyUrls({ endpoint: 'h:9001' }, { ...creds, tls_url: 'https://proxy1:x@proxy1.example.com:443' });
    expect(fromServer[2]).toEqual({ label: 'TLS', url: 'https://proxy1:x@proxy1.example.com:443' });
    const built = buildProxyUrls({ endpoint: 'h:9001', public_host: 'proxy1.example.com:443' }, { ...creds, password: 'x' });
    expect(built[2]).toEqual({ label: 'TLS', url: 'https://proxy1:x@proxy1.example.com:443' });
  });
});

describe('small helpers', () => {
  it('reachableHostPort keeps real hosts', () => {
    expect(reachableHostPort('10.0.0.5:9001', 'x')).toBe('10.0.0.5:9001');
    expect(reachableHostPort('0.0.0.0:9001', '::1')).toBe('[::1]:9001');
  });
  it('toSocks5h only rewrites socks5://', () => {
    expect(toSocks5h('socks5://a@b:1')).toBe('socks5h://a@b:1');
    expect(toSocks5h('socks5h://a@b:1')).toBe('socks5h://a@b:1');
  });
  it('describeUpstream prefixes HTTP', () => {
    expect(describeUpstream('171.243.255.207:31194')).toBe('HTTP 171.243.255.207:31194');
    expect(describeUpstream(null)).toBe('—');
  });
});
