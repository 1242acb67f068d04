// Chart.js, served by the API at /console/vendor/chart.umd.min.js (no CDN: `script-src 'self'`), loaded on first use
// by the pages that draw charts (pages/dashboard.js, pages/backtest.js); and the colours they share.

import { h } from './dom.js';

export const COLORS = {
  brand: '#0b4a7f', teal: '#0d6b63', success: '#146c34', danger: '#b3261e', warning: '#d98a00', purple: '#6a3ca3', grid: '#e9edf2',
};

let chartLibrary = null;

/** `window.Chart` once its script has loaded (rejects, and lets a later call try again, when it cannot be loaded). */
export function loadChartLibrary() {
  chartLibrary ??= new Promise((resolve, reject) => {
    if (window.Chart) return resolve(window.Chart);
    const script = h('script', { src: '/console/vendor/chart.umd.min.js' });
    script.addEventListener('load', () => resolve(window.Chart));
    script.addEventListener('error', () => { chartLibrary = null; reject(new Error('La bibliothèque des graphiques n’a pas pu être chargée.')); });
    document.head.append(script);
  });
  return chartLibrary;
}
