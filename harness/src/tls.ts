import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A test CA and a serving certificate it signed, as files in a directory (and the CA as PEM text). */
export interface LoopbackTls {
  readonly caCert: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * A CA and a serving certificate for 127.0.0.1 and localhost (plus `extraNames`), made with
 * openssl in `dir`: a client trusts the server by trusting the CA, as it would a real one.
 */
export async function makeLoopbackTls(dir: string, commonName: string, extraNames: readonly string[] = []): Promise<LoopbackTls> {
  const file = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]): Promise<unknown> =>
    run('openssl', args).catch((error: unknown) => {
      throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${String(error)}`);
    });
  const ca = ['-subj', '/CN=hearth-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  await openssl(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '7', ...ca]);
  await openssl(['req', '-new', ...ec, '-keyout', file('serving.key'), '-out', file('serving.csr'), '-subj', `/CN=${commonName}`]);
  const names = ['IP:127.0.0.1', 'DNS:localhost', ...extraNames.map((name) => `DNS:${name}`)].join(',');
  const extensions = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'];
  await writeFile(file('serving.ext'), [...extensions, `subjectAltName=${names}`, ''].join('\n'));
  const signing = ['-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '7', '-extfile', file('serving.ext')];
  await openssl(['x509', '-req', '-in', file('serving.csr'), ...signing, '-out', file('serving.crt')]);
  return { caCert: await readFile(file('ca.crt'), 'utf8'), caPath: file('ca.crt'), certPath: file('serving.crt'), keyPath: file('serving.key') };
}
