import { readFileSync } from 'node:fs';
import { type Arg, type Copy, DockerfileParser, type Env, type From, type Instruction } from 'dockerfile-ast';

/** One build stage: its FROM, its name (AS ...), and its instructions after the FROM. */
export interface Stage {
  index: number;
  name: string | undefined;
  from: From;
  /** The image the stage starts from, as written. */
  image: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  path: string;
  text: string;
  stages: Stage[];
  /** The last stage: what the image is. */
  final: Stage;
}

export function parseDockerfile(path: string): ParsedDockerfile {
  const text = readFileSync(path, 'utf8');
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      stages.push({
        index: stages.length,
        name: from.getBuildStage() ?? undefined,
        from,
        image: from.getImage() ?? '',
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${path}: ${instruction.getKeyword()} before the first FROM`);
      stage.instructions.push(instruction);
    }
  }
  const final = stages.at(-1);
  if (!final) throw new Error(`${path}: no FROM`);
  return { path, text, stages, final };
}

/** The instructions of a stage with this keyword. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

/** ARG defaults and ENV values of a stage, in order (a later one wins), quotes removed. */
export function stageVariables(stage: Stage): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const instruction of stage.instructions) {
    if (instruction.getKeyword() === 'ARG') {
      const property = (instruction as Arg).getProperty();
      if (property) vars[property.getName()] = unquote(property.getValue() ?? '');
    } else if (instruction.getKeyword() === 'ENV') {
      for (const property of (instruction as Env).getProperties()) {
        vars[property.getName()] = unquote(property.getValue() ?? '');
      }
    }
  }
  return vars;
}

/** The stage's LABELs as key → value. */
export function stageLabels(stage: Stage): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const instruction of instructionsOf(stage, 'LABEL')) {
    for (const property of (instruction as Env).getProperties()) {
      labels[property.getName()] = unquote(property.getValue() ?? '');
    }
  }
  return labels;
}

/** A COPY's --from stage (undefined: the build context), sources and destination. */
export function copyParts(copy: Instruction): { from: string | undefined; sources: string[]; dest: string } {
  const args = copy.getArguments().map((a) => a.getValue());
  const dest = args.pop();
  if (dest === undefined || args.length === 0)
    throw new Error(`COPY needs a source and a destination: ${copy}`);
  return { from: (copy as Copy).getFromFlag()?.getValue() ?? undefined, sources: args, dest };
}

/** The exec-form (JSON) arguments of CMD or ENTRYPOINT; undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  const raw = instruction.getRawArgumentsContent()?.trim() ?? '';
  if (!raw.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) return undefined;
  return parsed;
}

function unquote(value: string): string {
  return /^"(.*)"$/s.test(value) ? value.slice(1, -1).replace(/\\"/g, '"') : value;
}
