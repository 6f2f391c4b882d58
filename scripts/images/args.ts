// The command line of `npm run images`: the apps to build, and where to push them.
import { parseArgs } from 'node:util';
import type { PushOptions } from './build.ts';

export const USAGE =
  'npm run images -- [--push <registry> [--latest] [--platform <os/arch>[,...]] [--attest]] [<app>...]';

export interface ImagesArgs {
  apps: string[];
  push: PushOptions | undefined;
}

/** The arguments after `npm run images --`; throws with what is wrong and the usage. */
export function parseImagesArgs(argv: string[]): ImagesArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      push: { type: 'string' },
      latest: { type: 'boolean' },
      platform: { type: 'string' },
      attest: { type: 'boolean' },
    },
  });
  const registry = values.push?.trim();
  if (values.push !== undefined && !registry) throw new Error(`--push needs a registry\nusage: ${USAGE}`);
  if (!registry && (values.latest || values.platform || values.attest))
    throw new Error(`--latest, --platform and --attest go with --push\nusage: ${USAGE}`);
  const platforms = values.platform?.split(',').map((p) => p.trim());
  if (platforms?.some((p) => !/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p)))
    throw new Error(`--platform takes os/arch[/variant], comma-separated: ${values.platform}`);
  return {
    apps: positionals,
    push: registry
      ? {
          registry,
          ...(values.latest ? { latest: true } : {}),
          ...(platforms ? { platforms } : {}),
          ...(values.attest ? { attest: true } : {}),
        }
      : undefined,
  };
}
