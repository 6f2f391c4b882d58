// `npm run images [-- <app>...]`: builds guitars-controller:<version> and guitars-ui:<version>
// with docker (when its daemon answers), podman or buildah, whichever is found first. With
// `--push <registry>` it pushes them as <registry>/guitars-<app>:<version> (`--latest`: and
// :latest) and prints the digest of each; the release workflow runs exactly this.
import { parseImagesArgs } from './args.ts';
import { buildImages, imageApps } from './build.ts';
import { command, detectEngine } from './engine.ts';

const say = (line: string) => process.stderr.write(`[images] ${line}\n`);

async function main(): Promise<number> {
  const detected = await detectEngine();
  if (!detected.engine) {
    say(`no container engine: ${detected.reason}`);
    say('install one (Debian: apt-get install podman runc, or buildah runc) and run this again');
    return 1;
  }
  const engine = detected.engine;
  const known = imageApps();
  let parsed: ReturnType<typeof parseImagesArgs>;
  try {
    parsed = parseImagesArgs(process.argv.slice(2));
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const { apps, push } = parsed;
  const unknown = apps.filter((app) => !known.includes(app));
  if (unknown.length > 0) {
    say(`no Dockerfile for ${unknown.join(', ')}; the apps with one: ${known.join(', ')}`);
    return 2;
  }
  say(`engine: ${engine.name}${engine.runtime ? ` (runtime ${engine.runtime})` : ''}`);
  const built = await buildImages(engine, {
    apps: apps.length > 0 ? apps : known,
    log: say,
    ...(push ? { push } : {}),
  });
  for (const image of built) {
    if (image.pushed) {
      for (const reference of image.pushed.references) say(`pushed ${reference}@${image.pushed.digest}`);
      continue;
    }
    const size =
      engine.name === 'buildah'
        ? undefined
        : await command(engine.name, ['image', 'inspect', '--format', '{{.Size}}', image.tag]);
    const mb = size?.code === 0 ? ` ${(Number(size.stdout.trim()) / 1e6).toFixed(0)} MB,` : '';
    say(`${image.tag}:${mb} built in ${image.seconds} s`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
