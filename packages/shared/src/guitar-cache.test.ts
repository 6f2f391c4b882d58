import { describe, expectTypeOf, it } from 'vitest';
import type { GuitarCache } from './guitar-cache.js';
import type { GuitarInformer } from './guitar-informer.js';

describe('GuitarCache', () => {
  it('is satisfied by GuitarInformer as it stands (checked by npm run typecheck)', () => {
    expectTypeOf<GuitarInformer>().toExtend<GuitarCache>();
  });
});
