import * as core from '@actions/core';
import type { Level } from '../log/logger.js';

/** Everything main hands to post, whatever point main reached before it ended. */
export interface ActionState {
  envId: string;
  /** The state and cache folders main used, resolved, so post finds the same environment. */
  stateDir: string;
  cacheDir: string;
  /** The folder holding the `umlenv` wrapper that main put on PATH. */
  wrapperDir: string;
  cache: boolean;
  keepOnFailure: boolean;
  logLevel: Level;
  /** Image keys that were neither local nor in the CI cache: post saves the ones main built. */
  missingImages: string[];
  /** 'starting' until up() returns or throws; a killed main leaves it so. */
  outcome: 'starting' | 'up' | 'failed';
}

/** The one set of state keys; the runner hands them to post as STATE_<key>. */
export const STATE_KEYS: { readonly [K in keyof ActionState]: string } = {
  envId: 'env-id',
  stateDir: 'state-dir',
  cacheDir: 'cache-dir',
  wrapperDir: 'wrapper-dir',
  cache: 'cache',
  keepOnFailure: 'keep-on-failure',
  logLevel: 'log-level',
  missingImages: 'missing-images',
  outcome: 'outcome',
};

/** Where state goes: core.saveState/getState in the action, a map in tests. */
export interface StateIO {
  save(name: string, value: string): void;
  get(name: string): string;
}

const coreIO: StateIO = { save: core.saveState, get: core.getState };

// Each field is saved as JSON under its own key, so main can save as it goes.
export function saveActionState(patch: Partial<ActionState>, io: StateIO = coreIO): void {
  for (const [field, value] of Object.entries(patch)) {
    io.save(STATE_KEYS[field as keyof ActionState], JSON.stringify(value));
  }
}

// Fields main never saved are missing, not defaulted: post decides what that means.
export function loadActionState(io: StateIO = coreIO): Partial<ActionState> {
  const state: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(STATE_KEYS)) {
    const text = io.get(key);
    if (text) state[field] = JSON.parse(text);
  }
  return state as Partial<ActionState>;
}
