import { describe, expect, it } from 'vitest';
import { kernelArgs, loopsPerJiffy, type MachinePlan } from './cmdline.js';

describe('loopsPerJiffy', () => {
  it('turns the host BogoMIPS into the value a 100 Hz guest would calibrate', () => {
    const cpuinfo = 'processor\t: 0\nmodel name\t: Some CPU\nbogomips\t: 5192.28\nflags\t\t: fpu\n';
    expect(loopsPerJiffy(cpuinfo)).toBe(25_961_400);
  });

  it('gives nothing when cpuinfo has no BogoMIPS', () => {
    expect(loopsPerJiffy('processor\t: 0\n')).toBeUndefined();
    expect(loopsPerJiffy('')).toBeUndefined();
  });
});

describe('kernelArgs', () => {
  const plan = {
    overlay: '/e/m/overlay.cow',
    imageFile: '/c/i.img',
    memoryBytes: 256 * 2 ** 20,
    umlDir: '/e/u/0',
    mac: '02:75:0a:e0:00:02',
  } as MachinePlan;

  it('presets the delay loop only when the host told its value', () => {
    expect(kernelArgs(plan, { switchSocket: '/e/s', loopsPerJiffy: 123 })).toContain('lpj=123');
    expect(kernelArgs(plan, { switchSocket: '/e/s' }).some((a) => a.startsWith('lpj='))).toBe(
      false,
    );
  });

  it('boots the machine from its overlay, on its switch, with the agent on ttyS1', () => {
    const args = kernelArgs(plan, { switchSocket: '/e/s' });
    expect(args).toEqual(
      expect.arrayContaining([
        'ubd0=/e/m/overlay.cow,/c/i.img',
        'mem=256M',
        'ssl1=fd:3',
        'uml_dir=/e/u/0',
        'eth0=daemon,02:75:0a:e0:00:02,unix,/e/s',
        'initcall_blacklist=raid6_select_algo',
      ]),
    );
  });
});
