import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accessMismatches, type RbacObject } from '@guitars/shared/access-check';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { UI_ACCESS } from './access.js';

const manifests = (file: string) =>
  loadAllYaml(
    readFileSync(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), 'utf8'),
  ) as RbacObject[];

describe('UI_ACCESS', () => {
  it('names the role, binding and ServiceAccount that k8s/ really has, and grants it no more, so a 403 points at them', () => {
    expect(accessMismatches(UI_ACCESS, manifests)).toEqual([]);
  });
});
