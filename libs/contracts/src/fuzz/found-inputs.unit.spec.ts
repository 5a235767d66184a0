import { validateStorageCommand } from '../storage/validate';
import { envelopeOf } from './command-arbitraries.spec';

/**
 * Inputs the fuzz properties found, kept as plain examples: each once made the validator
 * throw (a redelivery loop at a command intake, a 500 at the API) or let a field through unrefused.
 */
describe('inputs the fuzz found', () => {
  const pool = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';

  it('refuses an object holding a `constructor` key in an envelope field, by name, instead of throwing', () => {
    const result = validateStorageCommand(envelopeOf('DeleteVolume', {}, { tenant: JSON.parse('{"constructor": {"prototype": 1}}') }) as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ field: 'tenant.constructor', rule: 'reservedKey' }));
  });

  it('refuses a `constructor` key inside a data field instead of throwing', () => {
    const data = JSON.parse(`{"name": {"constructor": {}}, "poolId": "${pool}", "sizeBytes": 1}`);
    const result = validateStorageCommand(envelopeOf('CreateVolume', data) as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ field: 'data.name.constructor', rule: 'reservedKey' }));
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses a %s key instead of dropping it unseen', (key) => {
    const data = JSON.parse(`{"${key}": {"force": true}}`);
    const result = validateStorageCommand(envelopeOf('DeleteVolume', data) as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toEqual([expect.objectContaining({ field: `data.${key}`, rule: 'reservedKey' })]);
  });

  it('refuses a factor written with an exponent (1e-7) instead of throwing, and still takes 1.25', () => {
    const bad = validateStorageCommand(envelopeOf('UpdateStoragePool', JSON.parse('{"overProvisioningFactor": 1e-7}')) as never);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.violations.map((v) => `${v.field}:${v.rule}`)).toContain('data.overProvisioningFactor:isNumber');
    expect(validateStorageCommand(envelopeOf('UpdateStoragePool', { overProvisioningFactor: 1.25, allocationDisableThreshold: 0.855 }) as never).ok).toBe(true);
    const tooPrecise = validateStorageCommand(envelopeOf('UpdateStoragePool', { overProvisioningFactor: 1.255 }) as never);
    expect(tooPrecise.ok).toBe(false);
  });

  it('names an empty key "" rather than with an empty field', () => {
    const result = validateStorageCommand(envelopeOf('DeleteVolume', { '': 1, nested: { '': 2 } }) as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations.map((v) => `${v.field}:${v.rule}`)).toEqual(expect.arrayContaining(['data."":emptyKey', 'data.nested."":emptyKey']));
    if (!result.ok) expect(result.violations.every((v) => v.field.length > 0)).toBe(true);
  });

  it('refuses nesting deeper than any schema instead of recursing through it', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    const result = validateStorageCommand(envelopeOf('DeleteVolume', { force: deep }) as never);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ rule: 'maxDepth' }));
  });
});
