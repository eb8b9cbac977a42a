// Token discovery without logging in (e.g. `keys list` diagnostics, choosing a token).
import { addon } from './native.js';
import { checkLibrary } from './options.js';

export interface SlotInfo {
  slot: bigint;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
}

/** Slots with a token present (uninitialised tokens included), read off the JS thread. */
export async function listSlots(library: string): Promise<SlotInfo[]> {
  const slots = await addon.listSlots(checkLibrary(library));
  return slots.map(({ slot, label, serial, manufacturer, model }) => ({
    slot,
    label,
    serial,
    manufacturer,
    model,
  }));
}
