// The strict Prometheus text parser the metrics tests rely on: it must accept what a Prometheus
// server accepts (prom-client's own output included) and refuse what it would reject.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleSum, sampleValue } from '../../harness/prometheus.js';

const HEAD = '# HELP x_total Things.\n# TYPE x_total counter\n';

describe('parsePrometheusText', () => {
  it('reads prom-client output: counters, labelled gauges with escapes, histograms', async () => {
    const registry = new Registry();
    new Counter({ name: 'a_total', help: 'A \\ help\nline', registers: [registry] }).inc(3);
    new Gauge({ name: 'b', help: 'B', labelNames: ['path'], registers: [registry] }).set({ path: 'x"y\\z\n' }, 1.5);
    const histogram = new Histogram({
      name: 'c_seconds',
      help: 'C',
      labelNames: ['route'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe({ route: '/r' }, 0.5);
    histogram.observe({ route: '/r' }, 5);
    const families = parsePrometheusText(await registry.metrics());
    expect(families.get('a_total')).toMatchObject({ type: 'counter', help: 'A \\ help\nline' });
    expect(sampleValue(families, 'a_total')).toBe(3);
    expect(sampleValue(families, 'b', { path: 'x"y\\z\n' })).toBe(1.5);
    expect(sampleValue(families, 'c_seconds_bucket', { route: '/r', le: '1' })).toBe(1);
    expect(sampleValue(families, 'c_seconds_bucket', { route: '/r', le: '+Inf' })).toBe(2);
    expect(sampleSum(families, 'c_seconds_count')).toBe(2);
  });

  it.each([
    ['a sample without HELP/TYPE', 'x_total 1\n'],
    ['TYPE without HELP', '# TYPE x_total counter\nx_total 1\n'],
    ['no final newline', `${HEAD}x_total 1`],
    ['a bad metric name', `${HEAD}x-total 1\n`],
    ['a bad value', `${HEAD}x_total one\n`],
    ['a bad label name', `${HEAD}x_total{1a="v"} 1\n`],
    ['an unquoted label value', `${HEAD}x_total{a=v} 1\n`],
    ['a bad escape', `${HEAD}x_total{a="\\t"} 1\n`],
    ['a repeated series', `${HEAD}x_total{a="1"} 1\nx_total{a="1"} 2\n`],
    ['a negative counter', `${HEAD}x_total -1\n`],
    ['an unknown type', '# HELP y Y.\n# TYPE y meter\ny 1\n'],
    ['a split family', `${HEAD}x_total{a="1"} 1\n# HELP y Y.\n# TYPE y gauge\ny 1\nx_total{a="2"} 1\n`],
    ['a histogram without +Inf', '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      'a histogram whose buckets shrink',
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    [
      'a histogram whose _count is not its +Inf bucket',
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
    ['a gauge sample with a suffix', '# HELP g G.\n# TYPE g gauge\ng_count 1\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
