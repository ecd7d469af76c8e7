import type { PeerCertificate } from 'node:tls';
import { DEFAULT_ROLE_MAP, parseRoleMap, principalOfCertificate, RoleMapError } from './certificate-roles';

const withSubject = (subject: Record<string, string | string[]>) =>
  ({ subject }) as unknown as Pick<PeerCertificate, 'subject'>;

describe('parseRoleMap', () => {
  it('reads the default: the OU names the role', () => {
    expect(parseRoleMap()).toEqual([
      { attribute: 'OU', value: 'scheduler', role: 'scheduler' },
      { attribute: 'OU', value: 'persistor', role: 'persistor' },
      { attribute: 'OU', value: 'prover', role: 'prover' },
    ]);
    expect(parseRoleMap(DEFAULT_ROLE_MAP)).toEqual(parseRoleMap());
  });

  it('reads CN, OU and O entries; a value may hold spaces and colons, the role follows the last colon', () => {
    expect(parseRoleMap(' cn=urn:tally:sched:scheduler , O=Acme Provers Ltd:prover')).toEqual([
      { attribute: 'CN', value: 'urn:tally:sched', role: 'scheduler' },
      { attribute: 'O', value: 'Acme Provers Ltd', role: 'prover' },
    ]);
  });

  it.each([
    ['', /no entry/],
    [' , ', /no entry/],
    ['OU=scheduler', /is not ATTRIBUTE=VALUE:role/],
    ['OU=:prover', /is not ATTRIBUTE=VALUE:role/],
    ['L=Berlin:prover', /ATTRIBUTE one of CN, OU, O/],
    ['OU=ops:admin', /role must be one of scheduler, persistor, prover/],
    ['OU=ops:scheduler,,OU=x:prover', /is not ATTRIBUTE=VALUE:role/],
    ['OU=ops:scheduler,ou=ops:prover', /OU=ops is listed twice/],
  ])('refuses %j', (text, message) => {
    expect(() => parseRoleMap(text)).toThrow(RoleMapError);
    expect(() => parseRoleMap(text)).toThrow(message);
  });
});

describe('principalOfCertificate', () => {
  const defaults = parseRoleMap();

  it('gives the role its entry matches and the CN as subject', () => {
    expect(principalOfCertificate(withSubject({ OU: 'prover', CN: 'p-1' }), defaults)).toEqual({
      role: 'prover',
      subject: 'p-1',
    });
    // One of several OUs is enough.
    expect(principalOfCertificate(withSubject({ OU: ['eu', 'scheduler'], CN: 's-1' }), defaults)).toEqual({
      role: 'scheduler',
      subject: 's-1',
    });
  });

  it.each([
    ['no certificate', undefined],
    ['no matching entry', withSubject({ OU: 'auditor', CN: 'a-1' })],
    ['a value differing in case', withSubject({ OU: 'Prover', CN: 'p-1' })],
    ['two roles', withSubject({ OU: ['prover', 'scheduler'], CN: 'p-1' })],
    ['no CN', withSubject({ OU: 'prover' })],
    ['two CNs', withSubject({ OU: 'prover', CN: ['p-1', 'p-2'] })],
    ['a CN that is not an identifier', withSubject({ OU: 'prover', CN: 'p 1' })],
    ['a CN of ".."', withSubject({ OU: 'prover', CN: '..' })],
  ])('is null for %s', (_, certificate) => {
    expect(principalOfCertificate(certificate, defaults)).toBeNull();
  });

  it('follows a configured map only', () => {
    const map = parseRoleMap('CN=sched-eu-1:scheduler,O=Acme:prover');
    expect(principalOfCertificate(withSubject({ CN: 'sched-eu-1' }), map)).toEqual({
      role: 'scheduler',
      subject: 'sched-eu-1',
    });
    expect(principalOfCertificate(withSubject({ O: 'Acme', CN: 'p-9' }), map)).toEqual({
      role: 'prover',
      subject: 'p-9',
    });
    expect(principalOfCertificate(withSubject({ OU: 'scheduler', CN: 's-1' }), map)).toBeNull();
  });
});
