import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('uses a registry of its own, so several controllers (or tests) never collide', async () => {
    const a = createMetrics('guitars', 'guitar');
    const b = createMetrics('guitars', 'guitar');
    a.skipped.inc({ reason: 'invalid' });
    expect(await a.registry.getSingleMetricAsString('guitars_skipped_total')).toContain(
      'reason="invalid"} 1',
    );
    expect(await b.registry.getSingleMetricAsString('guitars_skipped_total')).not.toContain(
      'reason="invalid"} 1',
    );
    expect(register.getSingleMetric('guitars_skipped_total')).toBeUndefined();
  });

  it('names every metric after the prefix', async () => {
    const names = (await createMetrics('amplifiers', 'amplifier').registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((name) => !/^(process|nodejs)_/.test(name));
    expect(names.length).toBeGreaterThan(10);
    expect(names.every((name) => name.startsWith('amplifiers_'))).toBe(true);
  });
});
