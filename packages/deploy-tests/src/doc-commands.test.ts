import { describe, expect, it } from 'vitest';
import { anchorOf, flagValues, sections, shellCommands, shellWords } from './doc-commands.js';

describe('reading commands out of Markdown', () => {
  it('gives the anchors GitHub gives headings', () => {
    expect(anchorOf('Everything at once, with `oc apply -k`')).toBe('everything-at-once-with-oc-apply--k');
    expect(anchorOf("First: the project, and the cluster admin's part")).toBe(
      'first-the-project-and-the-cluster-admins-part',
    );
    expect(anchorOf('Kubernetes (kind, minikube, any cluster)')).toBe('kubernetes-kind-minikube-any-cluster');
  });

  it('splits a page by headings, not by # lines inside code', () => {
    const page = '# Title\nintro\n## One\n```sh\n# a comment\necho 1\n```\n### Two\ntext\n';
    expect(sections(page).map((s) => [s.heading, s.text])).toEqual([
      ['Title', 'intro\n'],
      ['One', '```sh\n# a comment\necho 1\n```\n'],
      ['Two', 'text\n'],
    ]);
  });

  it('joins continued lines, drops comments, and reads sh blocks only', () => {
    const text = [
      '```sh',
      'oc new-app quay.io/x --name=a \\',
      "  -e A=1   # the controller's",
      '',
      'oc get route a -o jsonpath=\'https://{.spec.host}{"\\n"}\'',
      '```',
      '```yaml',
      'kind: Route',
      '```',
    ].join('\n');
    expect(shellCommands(`${text}\n`)).toEqual([
      ['oc', 'new-app', 'quay.io/x', '--name=a', '-e', 'A=1'],
      ['oc', 'get', 'route', 'a', '-o', 'jsonpath=https://{.spec.host}{"\\n"}'],
    ]);
  });

  it('splits words as the shell does, quotes and all', () => {
    expect(shellWords(`a "b c" 'd#e' f#g # h`)).toEqual(['a', 'b c', 'd#e', 'f#g']);
    expect(shellWords(`x ''`)).toEqual(['x', '']);
    expect(() => shellWords(`a 'b`)).toThrow(/unterminated/);
  });

  it('reads a flag in each of its spellings', () => {
    const words = ['oc', 'new-app', '--name=a', '-e', 'A=1', '--env', 'B=2', '-l', 'x=y'];
    expect(flagValues(words, '--name')).toEqual(['a']);
    expect(flagValues(words, '-e', '--env')).toEqual(['A=1', 'B=2']);
    expect(flagValues(words, '-l', '--labels')).toEqual(['x=y']);
    expect(flagValues(words, '--missing')).toEqual([]);
  });
});
