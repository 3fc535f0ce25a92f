/**
 * The benchmarks' line charts: panels of series against one x axis, drawn by Vega-Lite as SVG
 * (lib/render/chart.ts, the same library and rendering as the HTML report's charts).
 */
import { svgOf } from '../lib/render/chart.js';

export interface Series {
  label: string;
  values: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

/** Panels side by side over the same x values (linear axes from 0), as SVG markup. */
export function lineChart(xLabel: string, xs: number[], panels: Panel[]): Promise<string> {
  return svgOf({
    hconcat: panels.map((panel) => ({
      title: panel.title,
      width: 380,
      height: 260,
      data: { values: panel.series.flatMap((s) => s.values.map((value, i) => ({ x: xs[i], value, series: s.label }))) },
      mark: { type: 'line', point: true, strokeWidth: 2.5 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xLabel, scale: { zero: true } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: true } },
        color: { field: 'series', type: 'nominal', title: null, sort: panel.series.map((s) => s.label), legend: { orient: 'top-left' } },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  });
}
