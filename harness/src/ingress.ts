import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isListening } from './tcp.ts';
import { freePort, removeDir, startChild, tempDir, waitUntil } from './process.ts';

export interface IngressBackends {
  /** Ports of gateway processes on 127.0.0.1. */
  readonly gateway: readonly number[];
  /** Ports of realtime processes on 127.0.0.1. */
  readonly realtime: readonly number[];
}

export interface Ingress {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Hearth's 503 (core's errors.ts), which this package may not import; services/hearth's
 * starting-server.test.ts checks that the two agree.
 */
export const UNAVAILABLE_RETRY_AFTER_S = 2;
export const UNAVAILABLE_BODY = JSON.stringify({
  error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: UNAVAILABLE_RETRY_AFTER_S },
});

/**
 * nginx configured as the Hearth Ingress routes traffic: the realtime paths (WebSocket
 * upgrades, unbuffered SSE) to realtime, everything else to the gateway. It stands in
 * for the cluster's ingress controller, which cannot run here.
 */
export function nginxConfig(dir: string, port: number, backends: IngressBackends): string {
  const servers = (ports: readonly number[]): string => ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n');
  return `
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${path.join(dir, 'body')};
  proxy_temp_path ${path.join(dir, 'proxy')};
  fastcgi_temp_path ${path.join(dir, 'fastcgi')};
  uwsgi_temp_path ${path.join(dir, 'uwsgi')};
  scgi_temp_path ${path.join(dir, 'scgi')};
  client_max_body_size 64m;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream gateway {
${servers(backends.gateway)}
  }
  upstream realtime {
${servers(backends.realtime)}
  }
  server {
    listen 127.0.0.1:${port};
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_next_upstream error timeout http_502 http_503;
    # When no process of a kind answers (all restarting), clients get Hearth's error shape and a
    # retry hint rather than nginx's HTML 502 page; a process's own 503 passes through as it is.
    error_page 502 504 = @unavailable;
    location @unavailable {
      default_type application/json;
      add_header Retry-After ${UNAVAILABLE_RETRY_AFTER_S} always;
      return 503 '${UNAVAILABLE_BODY}';
    }
    location /api/realtime/ {
      proxy_pass http://realtime;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffering off;
      proxy_read_timeout 1h;
    }
    location / {
      proxy_pass http://gateway;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

export async function startIngress(backends: IngressBackends, listenPort?: number): Promise<Ingress> {
  const dir = await tempDir('ingress');
  const port = listenPort ?? (await freePort());
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, backends));
  const child = startChild('nginx', ['-p', dir, '-c', conf]);
  await waitUntil('nginx (apt-get install nginx-light)', () => isListening(port), child);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      await child.stop('SIGQUIT');
      await removeDir(dir);
    },
  };
}
