import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix, relative } from 'node:path';
import {
  copyParts,
  execForm,
  instructionsOf,
  type ParsedDockerfile,
  parseDockerfile,
  stageVariables,
} from './dockerfile.js';
import { loadDockerignore } from './dockerignore.js';
import { REPO_ROOT, repoPath } from './repo.js';

/**
 * What an image's final stage holds, laid out on this machine: `rootfs` stands for the image's
 * `/`, so the app folder is join(rootfs, workdir). Only the app's files are there: the runtime
 * (node) is the one running the tests, Node 22 like the image's.
 */
export interface ImageBundle {
  dockerfile: ParsedDockerfile;
  rootfs: string;
  /** WORKDIR of the final stage (absolute in the image). */
  workdir: string;
  /** CMD of the final stage, exec form. */
  cmd: string[];
  /** ENV of the final stage. */
  env: Record<string, string>;
  /** USER of the final stage. */
  user: string;
}

/**
 * Builds what the Dockerfile's final stage contains, without a container engine, by carrying
 * out the Dockerfile itself: the context is the repository filtered by .dockerignore, each
 * stage gets a folder standing for its `/`, COPY copies (also --from an earlier stage), WORKDIR
 * moves, and the RUN lines of the build stages run here with the stage's ARG and ENV values.
 * So the bundle comes from the same commands and the same file list as the image, and a
 * Dockerfile change is tested as it is.
 *
 * Two limits keep this safe on a developer's machine, and the Dockerfiles are written for them:
 * a build stage's RUN must stay inside its WORKDIR (no absolute paths), and the final stage's
 * RUN lines, which only remove the base image's npm, are checked to be `rm` and skipped.
 */
export async function buildImageBundle(
  dockerfilePath: string,
  workDir: string,
  log: (line: string) => void = () => {},
): Promise<ImageBundle> {
  const dockerfile = parseDockerfile(dockerfilePath);
  const context = join(workDir, 'context');
  copyContext(context);
  log(`context: ${context}`);

  const roots = new Map<string, string>();
  let result: ImageBundle | undefined;
  for (const stage of dockerfile.stages) {
    const isFinal = stage === dockerfile.final;
    const rootfs = join(workDir, isFinal ? 'rootfs' : `stage-${stage.name ?? stage.index}`);
    mkdirSync(rootfs, { recursive: true });
    roots.set(stage.name ?? String(stage.index), rootfs);
    let workdir = '/';
    // ARG and ENV values, as RUN sees them; ENV alone is what the image's process gets.
    const vars: Record<string, string> = {};
    const env: Record<string, string> = {};

    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const raw = instruction.getRawArgumentsContent() ?? '';
      switch (keyword) {
        case 'ARG':
          Object.assign(vars, stageVariables({ ...stage, instructions: [instruction] }));
          break;
        case 'ENV': {
          const values = stageVariables({ ...stage, instructions: [instruction] });
          Object.assign(vars, values);
          Object.assign(env, values);
          break;
        }
        case 'WORKDIR':
          noVariables(raw, instruction.toString());
          workdir = posix.resolve(workdir, raw.trim());
          mkdirSync(join(rootfs, workdir), { recursive: true });
          break;
        case 'COPY': {
          noVariables(raw, instruction.toString());
          const { from, sources, dest } = copyParts(instruction);
          const sourceRoot = from === undefined ? context : roots.get(from);
          if (!sourceRoot) throw new Error(`COPY --from=${from}: no such earlier stage`);
          const target = join(rootfs, posix.resolve(workdir, dest));
          const intoFolder = dest.endsWith('/') || sources.length > 1;
          for (const source of sources) {
            if (/[*?[]/.test(source)) throw new Error(`COPY wildcards are not carried out here: ${source}`);
            const from_ = join(sourceRoot, from === undefined ? source : posix.resolve('/', source));
            if (!existsSync(from_)) throw new Error(`${instruction}: ${source} does not exist`);
            // A folder's contents go into the destination; a file goes into it, or becomes it.
            const to = statSync(from_).isDirectory()
              ? target
              : intoFolder
                ? join(target, basename(from_))
                : target;
            mkdirSync(statSync(from_).isDirectory() ? to : dirname(to), { recursive: true });
            // verbatimSymlinks: workspace links in node_modules stay relative, as COPY keeps them.
            cpSync(from_, to, { recursive: true, verbatimSymlinks: true, force: true });
          }
          break;
        }
        case 'RUN':
          if (isFinal) {
            // Only ever removes files from the base image (npm, yarn): nothing of the app.
            const commands = raw.split('&&').map((c) => c.replace(/\\\n/g, ' ').trim());
            const notRm = commands.filter((c) => !/^rm\s/.test(c));
            if (notRm.length > 0)
              throw new Error(`the final stage may only RUN rm here, found: ${notRm.join('; ')}`);
            break;
          }
          if (/(^|[\s"'=])\//.test(raw)) {
            throw new Error(`a build stage's RUN must stay in its WORKDIR (no absolute paths): ${raw}`);
          }
          log(`[${stage.name}] RUN ${raw.replace(/\s*\\\n\s*/g, ' ')}`);
          await run(raw, join(rootfs, workdir), vars, log);
          break;
        case 'LABEL':
        case 'USER':
        case 'EXPOSE':
        case 'STOPSIGNAL':
        case 'CMD':
          break;
        default:
          throw new Error(`${keyword} is not carried out by the bundle builder: ${instruction}`);
      }
    }

    if (isFinal) {
      const cmds = instructionsOf(stage, 'CMD');
      const cmd = cmds.length === 1 && cmds[0] ? execForm(cmds[0]) : undefined;
      if (!cmd) throw new Error(`${dockerfilePath}: the final stage needs one exec-form CMD`);
      const user = instructionsOf(stage, 'USER').at(-1)?.getRawArgumentsContent()?.trim();
      result = { dockerfile, rootfs, workdir, cmd, env, user: user ?? '' };
    }
  }
  if (!result) throw new Error(`${dockerfilePath}: no final stage`);
  return result;
}

/** The repository as a build context: what .dockerignore leaves in. */
function copyContext(target: string): void {
  const ignored = loadDockerignore(repoPath('.dockerignore'));
  cpSync(REPO_ROOT, target, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => {
      const path = relative(REPO_ROOT, source);
      return path === '' || !ignored(path);
    },
  });
}

function noVariables(raw: string, instruction: string): void {
  if (raw.includes('$')) throw new Error(`variables are only carried out in RUN here: ${instruction}`);
}

/**
 * Runs a RUN line with /bin/sh as the builder would, with the project's Node first on PATH. The
 * npm and turbo variables of the `npm test` that started us are left out, so they cannot steer
 * the build (a build container has none).
 */
function run(
  script: string,
  cwd: string,
  vars: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|turbo_|vitest|init_cwd$|node_options$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? '/usr/bin:/bin'}`;
  // A container build starts with an empty npm cache and asks the registry; here the machine's
  // cache (filled by the root `npm ci` with these very versions) answers first. What is installed
  // is the same: the lockfile fixes every version and its integrity hash.
  env.npm_config_prefer_offline = 'true';
  Object.assign(env, vars);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        log(output.trim().split('\n').slice(-3).join('\n'));
        resolve();
      } else {
        reject(new Error(`RUN ${script} exited with ${code}:\n${output.slice(-4000)}`));
      }
    });
  });
}
