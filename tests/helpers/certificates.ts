import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl. */
export async function selfSignedCertificate(dir: string) {
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ])
  return { keyPath, certPath, key: await readFile(keyPath), cert: await readFile(certPath) }
}
