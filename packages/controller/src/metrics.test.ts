import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('uses a registry of its own, so several controllers (or tests) never collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.reviews.inc({ verdict: 'great' });
    expect(await a.registry.getSingleMetricAsString('guitars_reviews_total')).toContain('verdict="great"} 1');
    expect(await b.registry.getSingleMetricAsString('guitars_reviews_total')).not.toContain(
      'verdict="great"} 1',
    );
    expect(register.getSingleMetric('guitars_reviews_total')).toBeUndefined();
  });
});
