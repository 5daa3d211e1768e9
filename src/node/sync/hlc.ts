/**
 * u64 hybrid logical clock in upstream's NTP64 layout: upper 32 bits Unix seconds, lower 32 bits the fraction,
 * whose low 16 bits serve as a counter. `now()` is strictly increasing and never below an observed value.
 */
export class Hlc {
  private last = 0n;
  static physical(): bigint {
    const ms = BigInt(Date.now());
    const secs = ms / 1000n;
    const frac = ((ms % 1000n) << 32n) / 1000n;
    return ((secs << 32n) | frac) & ~0xffffn;
  }
  now(atLeast = 0n): bigint {
    let t = Hlc.physical();
    if (t <= this.last) t = this.last + 1n;
    if (t <= atLeast) t = atLeast + 1n;
    this.last = t;
    return t;
  }
  observe(t: bigint): void {
    if (t > this.last) this.last = t;
  }
}
