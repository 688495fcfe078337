import { describe, expect, it } from 'vitest';
import { loadActionState, saveActionState, STATE_KEYS, type StateIO } from './state.js';

// Behaves like the runner: the last value saved under a name wins.
function memoryIO(): StateIO & { saved: Map<string, string> } {
  const saved = new Map<string, string>();
  return { saved, save: (n, v) => void saved.set(n, v), get: (n) => saved.get(n) ?? '' };
}

describe('action state', () => {
  it('round-trips fields saved at different times, the later value winning', () => {
    const io = memoryIO();
    saveActionState({ envId: 'test-1', keepOnFailure: false, outcome: 'starting' }, io);
    saveActionState({ missingImages: ['bookworm-1'], outcome: 'up' }, io);
    expect(loadActionState(io)).toEqual({
      envId: 'test-1',
      keepOnFailure: false,
      missingImages: ['bookworm-1'],
      outcome: 'up',
    });
  });

  it('gives each field its own key, which the runner turns into STATE_<key>', () => {
    const keys = Object.values(STATE_KEYS);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[a-z][a-z-]*$/);
    const io = memoryIO();
    saveActionState({ envId: 'x' }, io);
    expect([...io.saved]).toEqual([['env-id', '"x"']]);
  });

  it('leaves out what main never saved', () => {
    expect(loadActionState(memoryIO())).toEqual({});
  });
});
