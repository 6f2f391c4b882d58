export interface Bar {
  label: string;
  value: number;
  /** Bars of one group share a colour index. */
  series: number;
}

export interface BarGroup {
  title: string;
  unit: string;
  bars: Bar[];
}

const COLOURS = ['#2f6fb0', '#c8742b', '#3f9a5c', '#8a5bb0'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bar charts, one panel per group, each scaled to its own maximum: plain SVG, no deps. */
export function barChartSvg(groups: readonly BarGroup[], title: string): string {
  const width = 760;
  const labelWidth = 260;
  const barHeight = 22;
  const panelGap = 44;
  let y = 48;
  const parts: string[] = [];
  for (const group of groups) {
    parts.push(`<text x="16" y="${y}" font-size="15" font-weight="600">${esc(group.title)}</text>`);
    y += 12;
    const max = Math.max(...group.bars.map((b) => b.value), 1e-9);
    for (const bar of group.bars) {
      const w = Math.max(1, ((width - labelWidth - 110) * bar.value) / max);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 16}" font-size="13" text-anchor="end">${esc(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${barHeight - 4}" fill="${COLOURS[bar.series % COLOURS.length]}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 16}" font-size="13">${esc(formatValue(bar.value))} ${esc(group.unit)}</text>`,
      );
      y += barHeight;
    }
    y += panelGap;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="700">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function formatValue(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
