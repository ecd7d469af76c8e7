import { ProtocolVersionPolicy, protocolVersionPolicy } from './protocol-version';

describe('ProtocolVersionPolicy', () => {
  const v1 = new ProtocolVersionPolicy();

  it('serves the current version to a request that names none', () => {
    expect(v1.negotiate(undefined)).toEqual({ version: '1', deprecated: false });
    expect(v1.current).toBe('1');
  });

  it.each(['1', '1.0', '1.4.2', ' 1 '])('serves %p as major 1', (requested) => {
    expect(v1.negotiate(requested)).toEqual({ version: '1', deprecated: false });
  });

  it.each(['2', '0', '3.1'])(
    'refuses the unsupported version %p with DSE-001 naming the versions served',
    (requested) => {
      expect(() => v1.negotiate(requested)).toThrow(
        expect.objectContaining({
          code: 'DSE-001',
          message: expect.stringContaining('supported: 1'),
          details: { field: 'protocol_version', supported_versions: ['1'] },
        }),
      );
    },
  );

  it.each(['', 'v1', 'abc', '1.', '1.2.3.4', '01', '-1', '1,2'])('refuses the malformed version %p', (requested) => {
    expect(() => v1.negotiate(requested)).toThrow(
      expect.objectContaining({ code: 'DSE-001', message: expect.stringContaining('malformed') }),
    );
  });

  it('refuses a header sent twice', () => {
    expect(() => v1.negotiate(['1', '1'])).toThrow(expect.objectContaining({ code: 'DSE-001' }));
  });

  it('serves a deprecated version, saying so; the highest version is current', () => {
    const policy = protocolVersionPolicy({ PROTOCOL_VERSIONS: '2, 1', PROTOCOL_DEPRECATED_VERSIONS: '1' });
    expect(policy.supported).toEqual(['1', '2']);
    expect(policy.current).toBe('2');
    expect(policy.negotiate('1')).toEqual({ version: '1', deprecated: true });
    expect(policy.negotiate('2.3')).toEqual({ version: '2', deprecated: false });
    expect(policy.negotiate(undefined)).toEqual({ version: '2', deprecated: false });
    expect(() => policy.negotiate('3')).toThrow('supported: 1, 2');
  });

  it('refuses a configuration that deprecates a version not served, or the current one', () => {
    expect(() => protocolVersionPolicy({ PROTOCOL_VERSIONS: '1', PROTOCOL_DEPRECATED_VERSIONS: '2' })).toThrow(
      'deprecated protocol versions not served: 2',
    );
    expect(() => protocolVersionPolicy({ PROTOCOL_VERSIONS: '1,2', PROTOCOL_DEPRECATED_VERSIONS: '2' })).toThrow(
      'the current protocol version (2) cannot be deprecated',
    );
    expect(protocolVersionPolicy({}).supported).toEqual(['1']);
  });
});
