import { describe, expect, it } from 'vitest';
import type { EnvState } from '../environment/state.js';
import { actionOutputs, machineRows, phaseRows } from './outputs.js';

const state = {
  id: 'test-1',
  machines: [
    { name: 'db', address: '10.224.0.2/24', ports: [] },
    {
      name: 'web',
      address: '10.224.0.3/24',
      ports: [
        { hostAddress: '127.0.0.1', hostPort: 18080, guestPort: 8080 },
        { hostAddress: '0.0.0.0', hostPort: 18443, guestPort: 443 },
      ],
    },
  ],
} as unknown as EnvState;

describe('action outputs', () => {
  it('gives addresses without prefix and ports by guest port, as JSON', () => {
    const outputs = actionOutputs(state);
    expect(outputs['env-id']).toBe('test-1');
    expect(JSON.parse(outputs.addresses)).toEqual({ db: '10.224.0.2', web: '10.224.0.3' });
    expect(JSON.parse(outputs.ports)).toEqual({
      web: { '8080': '127.0.0.1:18080', '443': '0.0.0.0:18443' },
    });
  });

  it('gives an empty JSON object when no machine publishes a port', () => {
    expect(actionOutputs({ ...state, machines: [state.machines[0]] }).ports).toBe('{}');
  });

  it('builds the summary tables', () => {
    expect(machineRows(state).slice(1)).toEqual([
      ['db', '10.224.0.2', '—'],
      ['web', '10.224.0.3', '127.0.0.1:18080 → 8080, 0.0.0.0:18443 → 443'],
    ]);
    expect(phaseRows({ restore: 0.04, machines: 1.26, custom: 2 }).slice(1)).toEqual([
      ['look for images on this box and in the CI cache', '0.0'],
      ['start the switch and boot the machines', '1.3'],
      ['custom', '2.0'],
    ]);
  });
});
