import { uuidFromName } from './uuid';

describe('uuidFromName', () => {
  it('matches RFC 4122 version 5 (the DNS namespace example, as Python uuid5 computes it)', () => {
    expect(uuidFromName('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it("uses Strata's namespace by default, the same id for the same name and another for another", () => {
    expect(uuidFromName('maintenance:x')).toBe('1ae9dfbd-f8d7-5fbf-bd48-a6a405b23603');
    expect(uuidFromName('maintenance:x')).toBe(uuidFromName('maintenance:x'));
    expect(uuidFromName('maintenance:y')).not.toBe(uuidFromName('maintenance:x'));
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidFromName('x', 'not-a-uuid')).toThrow('namespace must be a UUID');
  });
});
