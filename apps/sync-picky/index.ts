// sync-picky: kv-store's methods and state, but its replay of other nodes' changes refuses any change that
// mentions "poison": `__calimero_sync_next` traps, so a receiving node applies the entry without its state
// changes (docs/network.md §5). Switching the context to kv-store, which reads the same records and replays
// everything, is the fix that lets the failed entry through (test/sync-status.test.ts).
// (apps/build.ts rebuilds it when this folder or the SDK changes: after editing kv-store, use --force.)
import { input, state } from "../sdk/index";

export { init, set, get, entries } from "../kv-store/index";

const POISON: u8[] = [0x70, 0x6f, 0x69, 0x73, 0x6f, 0x6e]; // "poison"

function mentionsPoison(bytes: Uint8Array): bool {
  for (let i = 0; i + POISON.length <= bytes.length; i++) {
    let j = 0;
    while (j < POISON.length && bytes[i + j] == POISON[j]) j++;
    if (j == POISON.length) return true;
  }
  return false;
}

export function __calimero_sync_next(): void {
  const artifact = input();
  if (mentionsPoison(artifact)) abort("sync-picky refuses a change that mentions poison");
  state.applyArtifact(artifact);
}
