import { describe, expect, it } from 'vitest';
import { ConfigError, type Env, helpText, type Options, parseOptions } from './options.js';
import { boolean, integer, secret, text } from './values.js';

const OPTIONS = {
  name: { flag: 'name', env: 'APP_NAME', value: text(), help: 'A name.' },
  count: { flag: 'count', env: 'APP_COUNT', value: integer(1, 9), default: 3, help: 'How many.' },
  loud: { flag: 'loud', env: 'APP_LOUD', value: boolean(), default: false, help: 'Shout.' },
  who: {
    flag: 'who',
    env: 'APP_WHO',
    value: text(),
    default: (env: Env) => `from ${env.HOME ?? 'nowhere'}`,
    shown: 'where HOME is',
    help: 'Computed.',
  },
  password: { env: 'APP_PASSWORD', value: secret(8), secret: true, help: 'Env only, never echoed.' },
} as const satisfies Options;

const values = (argv: string[], env: Env = {}) => {
  const parsed = parseOptions(OPTIONS, argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.values;
};

describe('parseOptions', () => {
  it('uses defaults, plain or computed from the environment, and undefined without one', () => {
    expect(values([], { HOME: '/home/x' })).toEqual({
      name: undefined,
      count: 3,
      loud: false,
      who: 'from /home/x',
      password: undefined,
    });
  });

  it('reads variables, and a flag wins over its variable; blank counts as unset', () => {
    const env = { APP_NAME: ' env ', APP_COUNT: '5', APP_PASSWORD: ' secret pw ' };
    expect(values([], env)).toMatchObject({ name: 'env', count: 5, password: ' secret pw ' });
    expect(values(['--name=flag', '--count', '7'], env)).toMatchObject({ name: 'flag', count: 7 });
    expect(values([], { APP_COUNT: '  ' }).count).toBe(3);
    expect(values(['--count='], { APP_COUNT: '4' }).count).toBe(4);
  });

  it('takes --flag, --flag=true and --flag=false for booleans', () => {
    expect(values(['--loud']).loud).toBe(true);
    expect(values(['--loud=false'], { APP_LOUD: 'true' }).loud).toBe(false);
    expect(values([], { APP_LOUD: 'YES' }).loud).toBe(true);
  });

  it('asks for help', () => {
    expect(parseOptions(OPTIONS, ['--help'], {})).toEqual({ help: true });
    expect(parseOptions(OPTIONS, ['-h'], {})).toEqual({ help: true });
  });

  it('names every bad input, flag or variable, with its value unless secret', () => {
    const bad = () => parseOptions(OPTIONS, ['--count=10'], { APP_LOUD: 'maybe', APP_PASSWORD: 'short' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(
      '--count=10: expected a whole number from 1 to 9; APP_LOUD=maybe: expected true or false; APP_PASSWORD: must be at least 8 characters',
    );
  });

  it('refuses unknown flags, flags for environment-only options, and arguments', () => {
    expect(() => parseOptions(OPTIONS, ['--colour=red'], {})).toThrow(
      /Unknown option '--colour'.*see --help/,
    );
    expect(() => parseOptions(OPTIONS, ['--password=x'], {})).toThrow(/Unknown option '--password'/);
    expect(() => parseOptions(OPTIONS, ['stray'], {})).toThrow(/stray/);
  });
});

describe('helpText', () => {
  it('lists each option with its flag, help, variable and default', () => {
    const help = helpText(OPTIONS, { usage: 'app [options]', intro: ['Does things.'], outro: ['Bye.'] });
    expect(help.split('\n')).toEqual([
      'Usage: app [options]',
      '',
      'Does things.',
      '',
      '  --name=STRING',
      '      A name.',
      '      env APP_NAME, default: none',
      '  --count=N',
      '      How many.',
      '      env APP_COUNT, default: 3',
      '  --loud[=BOOL]',
      '      Shout.',
      '      env APP_LOUD, default: false',
      '  --who=STRING',
      '      Computed.',
      '      env APP_WHO, default: where HOME is',
      '  APP_PASSWORD (environment only)',
      '      Env only, never echoed.',
      '      default: none',
      '  -h, --help',
      '      Print this help and exit.',
      '',
      'Bye.',
    ]);
  });
});
