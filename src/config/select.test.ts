import { describe, expect, it } from 'vitest';
import { selectMachines } from './select.js';
import type { Config, MachineSpec } from './spec.js';

const machine = (name: string, ...deps: string[]): MachineSpec => ({
  name,
  image: 'base',
  services: [],
  dependsOn: deps.map((machine) => ({ machine, condition: 'started' })),
  memoryBytes: 64 * 2 ** 20,
  ports: [],
  shares: [],
});

const config: Config = {
  file: 'env.yml',
  images: {},
  machines: [
    machine('db'),
    machine('queue'),
    machine('api', 'db', 'queue'),
    machine('frontend', 'api'),
    machine('tools'),
  ],
  host: false,
  hostAsked: false,
  nat: false,
};

describe('selectMachines', () => {
  it('keeps a machine without dependencies alone', () => {
    expect([...selectMachines(config, ['tools'])]).toEqual(['tools']);
  });

  it('adds what the named machines depend on, transitively', () => {
    expect(new Set(selectMachines(config, ['frontend']))).toEqual(
      new Set(['frontend', 'api', 'db', 'queue']),
    );
  });

  it('takes each machine once, however often it is named or needed', () => {
    expect(selectMachines(config, ['api', 'db', 'api']).size).toBe(3);
  });

  it('refuses unknown names, naming them and the machines there are', () => {
    let error: unknown;
    try {
      selectMachines(config, ['web', 'db', 'cache']);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      message: 'no machines named web, cache in env.yml',
      hint: 'name machines of the config: db, queue, api, frontend, tools',
    });
  });
});
