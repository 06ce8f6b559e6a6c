/**
 * Draws a chart specification of charts/specs.ts (the same options the exports render on the server) with the
 * browser's document. The figure is labelled for screen readers; its marks keep Plot's aria-labels (`dot`,
 * `cell`, `rule`…), which the end-to-end tests count against the API's rows.
 */
import * as Plot from '@observablehq/plot';
import { h } from './dom.ts';

export function chart(label: string, spec: Plot.PlotOptions, opts: { id?: string } = {}): HTMLElement {
  const t0 = performance.now();
  const drawn = Plot.plot({ ...spec, ariaLabel: label });
  // Plot labels each mark's <g> (aria-label="dot"…), which ARIA allows only on an element with a role
  for (const g of drawn.querySelectorAll('g[aria-label]'))
    if (!g.hasAttribute('role')) g.setAttribute('role', 'group');
  // focusable: a chart wider than a phone scrolls sideways inside the figure, and keyboards must reach it
  const fig = h(
    'figure',
    { class: 'chart', 'data-chart': opts.id ?? label, 'aria-label': label, tabindex: 0 },
    drawn,
  );
  fig.dataset.drawMs = (performance.now() - t0).toFixed(1);
  return fig;
}
