import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLogger, LineBatch } from './logger.js';

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LineBatch', () => {
  it('hands the lines of one turn over once, in order, when the turn ends', async () => {
    const out: string[] = [];
    const batch = new LineBatch((text) => out.push(text));
    batch.write('a\n');
    batch.write('b\n');
    batch.write('c\n');
    expect(out).toEqual([]);
    await endOfTurn();
    expect(out).toEqual(['a\nb\nc\n']);
    batch.write('d\n');
    await endOfTurn();
    expect(out).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when a turn logs MAX_LINES lines, and the rest at its end', async () => {
    const out: string[] = [];
    const batch = new LineBatch((text) => out.push(text));
    for (let i = 0; i < LineBatch.MAX_LINES + 3; i++) batch.write(`${i}\n`);
    expect(out).toHaveLength(1);
    expect(out[0]?.split('\n')).toHaveLength(LineBatch.MAX_LINES + 1);
    await endOfTurn();
    expect(out.join('')).toBe(Array.from({ length: LineBatch.MAX_LINES + 3 }, (_, i) => `${i}\n`).join(''));
  });

  it('flush() hands over what is pending now, and nothing twice', async () => {
    const out: string[] = [];
    const batch = new LineBatch((text) => out.push(text));
    batch.write('x\n');
    batch.flush();
    expect(out).toEqual(['x\n']);
    await endOfTurn();
    batch.flush();
    expect(out).toEqual(['x\n']);
  });

  it('carries pino lines whole: one JSON object per line', async () => {
    const out: string[] = [];
    const logger = createLogger('t', new LineBatch((text) => out.push(text)));
    logger.info({ n: 1 }, 'one');
    logger.warn({ n: 2 }, 'two');
    await endOfTurn();
    const lines = out.join('').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { level: 'info', n: 1, msg: 'one', name: 't' },
      { level: 'warn', n: 2, msg: 'two', name: 't' },
    ]);
  });
});

describe('createLogger on stdout', () => {
  // The built package, as the apps run it; a child process, since the lines go to its fd 1.
  const shared = import.meta.resolve('@guitars/shared');
  const run = (tail: string) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createLogger } from ${JSON.stringify(shared)};
         const logger = createLogger('t');
         logger.info('first'); logger.info('second');
         ${tail}`,
      ],
      { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'info', NODE_OPTIONS: '' } },
    );
  const messages = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);

  it('writes every line when the process ends by itself', () => {
    const child = run('');
    expect(child.status).toBe(0);
    expect(messages(child.stdout)).toEqual(['first', 'second']);
  });

  it('writes the pending lines when the process exits in the same turn', () => {
    const child = run('process.exit(3);');
    expect(child.status).toBe(3);
    expect(messages(child.stdout)).toEqual(['first', 'second']);
  });

  it('writes the pending lines when an uncaught error ends the process', () => {
    const child = run("throw new Error('boom');");
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('boom');
    expect(messages(child.stdout)).toEqual(['first', 'second']);
  });
});

describe('createLogger and invisible characters', () => {
  it('writes format characters of a logged value as \\u escapes: the line reads as it is', async () => {
    const out: string[] = [];
    const logger = createLogger('t', new LineBatch((text) => out.push(text)));
    const brand = 'fen\u202eder\u200b';
    logger.child({ guitar: 'shop/strat' }).info({ brand }, `reviewed ${brand}`);
    await endOfTurn();
    const line = out.join('');
    expect(line).not.toMatch(/[\u202e\u200b]/);
    expect(line).toContain('fen\\u202eder\\u200b');
    expect(JSON.parse(line)).toMatchObject({ brand, msg: `reviewed ${brand}`, guitar: 'shop/strat' });
  });
});
