/** What allocatableBytes is computed from: a pool row or view. */
export interface PoolAllocation {
  readonly capacityBytes: number;
  readonly allocatedBytes: number;
  readonly overProvisioningFactor: number;
  readonly allocationDisableThreshold: number;
}

// The contract allows 2 decimals for the factor and 4 for the threshold: as integers at
// these scales, the product is exact (in BigInt: capacity × 10^6 may pass 2^53).
const FACTOR_SCALE = 100n;
const THRESHOLD_SCALE = 10_000n;

/**
 * Room left for allocation: the (over-provisioned) capacity up to the threshold, minus
 * what the pool's volumes already hold, never below 0.
 * floor(capacityBytes × overProvisioningFactor × allocationDisableThreshold) − allocatedBytes.
 */
export function allocatableBytes(pool: PoolAllocation): number {
  const factor = BigInt(Math.round(pool.overProvisioningFactor * Number(FACTOR_SCALE)));
  const threshold = BigInt(Math.round(pool.allocationDisableThreshold * Number(THRESHOLD_SCALE)));
  const limit = (BigInt(Math.trunc(pool.capacityBytes)) * factor * threshold) / (FACTOR_SCALE * THRESHOLD_SCALE);
  const room = limit - BigInt(Math.trunc(pool.allocatedBytes));
  return room > 0n ? Number(room) : 0;
}
