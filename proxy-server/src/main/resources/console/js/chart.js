// A sparkline in SVG, drawn with presentation attributes only (the console's
// Content-Security-Policy allows no inline style).

const NS = 'http://www.w3.org/2000/svg';

/**
 * values: numbers or null (a gap is drawn at the baseline); max: the top of
 * the scale (defaults to the largest value).
 */
export function sparkline(values, label, max) {
  const w = 300;
  const h = 48;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(NS, 'title');
  title.textContent = label;
  svg.append(title);
  const top = max !== undefined ? max : Math.max(1, ...values.map((v) => v || 0));
  const n = values.length;
  if (n === 0) {
    return svg;
  }
  const points = values.map((v, i) => {
    const x = n === 1 ? w : (i / (n - 1)) * w;
    const y = h - 2 - ((v || 0) / (top || 1)) * (h - 4);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const area = document.createElementNS(NS, 'polygon');
  area.setAttribute('class', 'area');
  area.setAttribute('points', `0,${h} ${points.join(' ')} ${w},${h}`);
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(area, line);
  return svg;
}
