import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A configuration for one test run: its own data folder, ports, and the local stand-ins. */
export const DEFAULT_PLUGINS = [
  'storage.sqlite', 'auth.local', 'provider.kiotproxy', 'proxy.forward',
  'rotation.expiry', 'rotation.interval', 'rotation.failure', 'health.http',
];

export function writeServerConfig(dir, { adminPort, portStart, portEnd, standinPort, originPort, wwwDir, healthSeconds = 5, plugins = DEFAULT_PLUGINS }) {
  const file = path.join(dir, 'steadyproxy.yaml');
  // Each loaded plugin's own section (the server refuses sections of plugins it does not load).
  const sections = [
    ['storage.sqlite', '  storage.sqlite: {}'],
    ['provider.kiotproxy', `  provider.kiotproxy:\n    api_base: http://127.0.0.1:${standinPort}/api/v1`],
    // the stand-in's upstream proxies listen on 127.0.0.x
    ['proxy.forward', '  proxy.forward:\n    listen_host: 127.0.0.1\n    allow_internal_upstreams: true'],
    ['health.http', `  health.http:\n    url: http://127.0.0.1:${originPort}/ip`],
  ];
  const yaml = `# written by www/e2e for one test run
data_dir: ${path.join(dir, 'data')}
log:
  level: information
  format: text
admin:
  host: 127.0.0.1
  port: ${adminPort}
  www_dir: ${wwwDir}
endpoints:
  domain: localhost
  proxy_host: 127.0.0.1
  port_start: ${portStart}
  port_end: ${portEnd}
  upstream: http
health:
  interval_seconds: ${healthSeconds}
bootstrap:
  admin_username: admin
plugins:
  load:
${plugins.map((p) => `    - ${p}`).join('\n')}
${sections.filter(([id]) => plugins.includes(id)).map(([, text]) => text).join('\n')}
`;
  writeFileSync(file, yaml);
  return file;
}
