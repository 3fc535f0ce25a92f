/**
 * Charts as SVG text, rendered server-side by Vega-Lite/Vega (no browser, no canvas, no network):
 * the HTML report inlines them, the benchmarks write them to bench/*.svg. Text in the data is
 * escaped by Vega's SVG renderer.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { SEVERITIES, type Severity } from '../model.js';

/** Severity colours shared by the HTML report's badges and charts (ordered as SEVERITIES). */
export const SEVERITY_COLOURS: Record<Severity, string> = {
  INFORMATIONAL: '#8c8c8c',
  LOW: '#2b8cbe',
  MEDIUM: '#e6a700',
  HIGH: '#d7301f',
  CRITICAL: '#7a0177',
};

const CONFIG = { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } } as const;

/** A Vega-Lite spec rendered to standalone SVG markup. */
export async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile({ config: CONFIG, ...spec } as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The severity colour scale over every label, most severe first in legends. */
export const severityScale = {
  domain: [...SEVERITIES].reverse(),
  range: [...SEVERITIES].reverse().map((s) => SEVERITY_COLOURS[s]),
};
