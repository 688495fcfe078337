import { UmlenvError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import type { Logger } from '../log/logger.js';
import { cachedKernel, SOURCE_PACKAGE } from './build.js';

/**
 * The guest kernel: UMLENV_KERNEL, else the config's kernel:, else the minimal kernel
 * when one is built for this host, else Debian's stock linux.uml. Says which.
 */
export async function chooseKernel(configured: string | undefined, log: Logger): Promise<string> {
  const choice = process.env.UMLENV_KERNEL ?? configured;
  if (choice === 'minimal') {
    const built = await cachedKernel();
    if (!built) {
      throw new UmlenvError(
        'kernel: minimal is asked for, but no minimal kernel is built on this host',
        `build it once with: umlenv kernel build (needs apt-get install ${SOURCE_PACKAGE} flex bison bc)`,
      );
    }
    log.info(`Kernel: umlenv's minimal kernel (${built})`);
    return built;
  }
  if (choice === 'stock') return stock(log);
  if (choice !== undefined) {
    const path = await requireTool(
      choice,
      'as the guest kernel (UMLENV_KERNEL or kernel: in the config)',
    );
    log.info(`Kernel: ${path}`);
    return path;
  }
  const built = await cachedKernel();
  if (built) {
    log.info(`Kernel: umlenv's minimal kernel (${built})`);
    return built;
  }
  return stock(log);
}

async function stock(log: Logger): Promise<string> {
  const path = await requireTool('linux.uml', 'to run machines');
  log.info(`Kernel: Debian's stock kernel (${path}); umlenv kernel build makes a faster one`);
  return path;
}
