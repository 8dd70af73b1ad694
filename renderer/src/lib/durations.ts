// Duration presets offered by the Reserve, Extend and Queue dialogs.

export interface DurationPreset {
  id: string;
  label: string;
  seconds: number;
}

export const DURATION_PRESETS: readonly DurationPreset[] = [
  { id: '30m', label: '30 min', seconds: 30 * 60 },
  { id: '1h', label: '1 h', seconds: 60 * 60 },
  { id: '2h', label: '2 h', seconds: 2 * 60 * 60 },
  { id: '4h', label: '4 h', seconds: 4 * 60 * 60 },
  { id: '1d', label: '1 day', seconds: 24 * 60 * 60 },
];

/** The id of the "custom end time" choice. */
export const CUSTOM_PRESET = 'custom';
