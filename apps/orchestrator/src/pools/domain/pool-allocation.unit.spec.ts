import { allocatableBytes } from './pool-allocation';

const GiB = 2 ** 30;
const pool = (over: Partial<Parameters<typeof allocatableBytes>[0]> = {}) =>
  allocatableBytes({ capacityBytes: 100 * GiB, allocatedBytes: 0, overProvisioningFactor: 1, allocationDisableThreshold: 0.85, ...over });

describe('allocatableBytes', () => {
  it('is the capacity up to the threshold, less what is allocated', () => {
    expect(pool()).toBe(85 * GiB);
    expect(pool({ allocatedBytes: 10 * GiB })).toBe(75 * GiB);
  });

  it('grows with over-provisioning', () => {
    expect(pool({ overProvisioningFactor: 2.5, allocationDisableThreshold: 1, allocatedBytes: 50 * GiB })).toBe(200 * GiB);
  });

  it('rounds down to whole bytes, exactly, where floating point would be off by one', () => {
    // 0.85 × 3 in binary floating point is 2.5499999999999998.
    expect(pool({ capacityBytes: 100, overProvisioningFactor: 3 })).toBe(255);
    expect(pool({ capacityBytes: 1001, allocationDisableThreshold: 0.3333 })).toBe(333);
    expect(pool({ capacityBytes: 2 ** 50, overProvisioningFactor: 100, allocationDisableThreshold: 1 })).toBe(2 ** 50 * 100);
  });

  it('is never below 0, however far allocation went past the threshold', () => {
    expect(pool({ allocatedBytes: 99 * GiB })).toBe(0);
    expect(pool({ capacityBytes: 0, allocatedBytes: GiB })).toBe(0);
  });
});
