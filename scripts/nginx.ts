/**
 * Debian's nginx in front of an influxd, as operators harden it: TLS 1.2+,
 * security headers with `always` (so error responses carry them), version
 * headers and CORS stripped, /debug and /metrics closed. Loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificates, freePort, supervise, type RunningInfluxd } from './influxd.js';

export const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export async function startHardenedProxy(upstream: RunningInfluxd, cert = 'valid'): Promise<RunningInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), 'ig-nginx-'));
  for (const d of ['body', 'proxy', 'fcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const port = await freePort();
  const certs = certificates();
  const conf = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${process.getuid?.() === 0 ? 'user root root;' : ''}
events { worker_connections 256; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certs}/${cert}.pem;
    ssl_certificate_key ${certs}/${cert}.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers HIGH:!aNULL:!MD5:!3DES:!RC4;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
    add_header Strict-Transport-Security "max-age=63072000" always;
    proxy_hide_header X-Influxdb-Version;
    proxy_hide_header X-Influxdb-Build;
    proxy_hide_header Access-Control-Allow-Origin;
    location /debug/ { return 403; }
    location = /metrics { return 403; }
    location / { proxy_pass http://127.0.0.1:${upstream.port}; }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return supervise(child, { url: `https://127.0.0.1:${port}`, port, dir, stopSignal: 'SIGQUIT' });
}
