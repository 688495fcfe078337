import type { EnvState } from '../environment/state.js';

/** The action's outputs, as action.yml lists them; maps are JSON for fromJSON() in workflows. */
export interface ActionOutputs {
  'env-id': string;
  /** {"machine": "10.224.0.2"}: each machine's address on the environment's network. */
  addresses: string;
  /** {"machine": {"GUEST_PORT": "HOST_ADDRESS:HOST_PORT"}}: only machines that publish ports. */
  ports: string;
}

/** A row of core.summary.addTable: plain cells or header cells. */
export type SummaryTableRow = (string | { data: string; header?: boolean })[];

// The outputs of a started environment; addresses lose their prefix, as workflows use them bare.
export function actionOutputs(state: EnvState): ActionOutputs {
  const addresses: Record<string, string> = {};
  const ports: Record<string, Record<string, string>> = {};
  for (const m of state.machines) {
    addresses[m.name] = m.address.split('/')[0];
    if (m.ports.length) {
      ports[m.name] = Object.fromEntries(
        m.ports.map((p) => [String(p.guestPort), `${p.hostAddress}:${p.hostPort}`]),
      );
    }
  }
  return { 'env-id': state.id, addresses: JSON.stringify(addresses), ports: JSON.stringify(ports) };
}

// The job summary's machine table: one row per machine.
export function machineRows(state: EnvState): SummaryTableRow[] {
  return [
    ['machine', 'address', 'published ports'].map((data) => ({ data, header: true })),
    ...state.machines.map((m) => [
      m.name,
      m.address.split('/')[0],
      m.ports.map((p) => `${p.hostAddress}:${p.hostPort} → ${p.guestPort}`).join(', ') || '—',
    ]),
  ];
}

/** What each timed phase did, for people reading the summary. */
export const PHASE_LABELS: Record<string, string> = {
  restore: 'look for images on this box and in the CI cache',
  gc: 'collect dead environments',
  images: 'build or find images',
  machines: 'start the switch and boot the machines',
  teardown: 'tear the environment down',
  save: 'save new images to the CI cache',
};

// The job summary's timing table, phases in the order they ran.
export function phaseRows(phases: Record<string, number>): SummaryTableRow[] {
  return [
    ['phase', 'seconds'].map((data) => ({ data, header: true })),
    ...Object.entries(phases).map(([name, s]) => [PHASE_LABELS[name] ?? name, s.toFixed(1)]),
  ];
}
