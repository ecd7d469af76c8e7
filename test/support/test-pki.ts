import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as PEM files. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

/**
 * A throwaway certificate authority made with openssl in a temp directory: EC P-256 keys,
 * certificates valid for two days. `cleanup()` removes every file.
 */
export class TestPki {
  private serial = 0;

  private constructor(
    readonly dir: string,
    /** The CA's certificate file. */
    readonly caCert: string,
    private readonly caKey: string,
  ) {}

  static create(name = 'Tally Test CA'): TestPki {
    const dir = mkdtempSync(join(tmpdir(), 'tally-pki-'));
    const caCert = join(dir, 'ca.crt');
    const caKey = join(dir, 'ca.key');
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      ...EC_KEY,
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caCert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return new TestPki(dir, caCert, caKey);
  }

  /** A server certificate for localhost, 127.0.0.1 and ::1. */
  issueServer(): IssuedCertificate {
    return this.issue('/CN=localhost', [
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ]);
  }

  /** A client certificate with this subject, in openssl's form: `/OU=prover/CN=p-1`. */
  issueClient(subject: string): IssuedCertificate {
    return this.issue(subject, ['extendedKeyUsage=clientAuth']);
  }

  /** Marks the certificate revoked in this CA's database (see crl()). */
  revoke(issued: IssuedCertificate): void {
    openssl(this.dir, ['ca', '-config', this.caConfig(), '-revoke', issued.cert]);
  }

  /** A CRL listing every certificate revoked so far, valid for two days; returns its file. */
  crl(): string {
    const path = join(this.dir, `ca-${++this.serial}.crl`);
    openssl(this.dir, ['ca', '-config', this.caConfig(), '-gencrl', '-out', path]);
    return path;
  }

  read(path: string): Buffer {
    return readFileSync(path);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The minimal `openssl ca` configuration that revoke() and crl() need. */
  private caConfig(): string {
    const path = join(this.dir, 'ca.cnf');
    if (!existsSync(path)) {
      writeFileSync(join(this.dir, 'index.txt'), '');
      writeFileSync(join(this.dir, 'crlnumber'), '01\n');
      const settings = [
        ['database', 'index.txt'],
        ['crlnumber', 'crlnumber'],
        ['certificate', this.caCert],
        ['private_key', this.caKey],
        ['default_md', 'sha256'],
        ['default_crl_days', '2'],
      ];
      writeFileSync(
        path,
        ['[ca]', 'default_ca = test_ca', '[test_ca]', ...settings.map(([k, v]) => `${k} = ${v}`)].join('\n'),
      );
    }
    return path;
  }

  private issue(subject: string, extensions: string[]): IssuedCertificate {
    const name = `leaf-${++this.serial}`;
    const [cert, key, csr, ext] = ['crt', 'key', 'csr', 'ext'].map((suffix) => join(this.dir, `${name}.${suffix}`));
    writeFileSync(
      ext,
      ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', ...extensions].join('\n'),
    );
    openssl(this.dir, ['req', '-new', ...EC_KEY, '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.caCert,
      '-CAkey',
      this.caKey,
      '-out',
      cert,
      '-days',
      '2',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-extfile',
      ext,
    ]);
    return { cert, key };
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}
