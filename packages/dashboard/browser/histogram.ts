import uPlot from 'uplot';
import { formatTime, type Zone } from './time.js';

/**
 * Records over the selected range as bars, failures drawn in their own colour over the total from
 * the same baseline (so they read as the failing part of each bar). Dragging across the chart
 * selects a time span; the page turns it into a custom range.
 */

export interface Bucket {
  start: number;
  total: number;
  failures: number;
}

export interface HistogramAnswer {
  from: number;
  to: number;
  bucket_us: number;
  buckets: Bucket[];
}

export class Histogram {
  #plot: uPlot | undefined;
  #look = '';
  #observer: ResizeObserver;

  constructor(
    private readonly host: HTMLElement,
    private readonly onSelect: (fromMs: number, toMs: number) => void,
  ) {
    this.#observer = new ResizeObserver(() => this.#plot?.setSize(this.#size()));
    this.#observer.observe(host);
  }

  show(answer: HistogramAnswer, zone: Zone): void {
    const xs = answer.buckets.map((b) => b.start / 1e6);
    const data: uPlot.AlignedData = [xs, answer.buckets.map((b) => b.total), answer.buckets.map((b) => b.failures)];
    const style = getComputedStyle(document.documentElement);
    // The colours are the theme's: a chart drawn for the other theme is drawn again.
    const look = `${zone}|${style.getPropertyValue('--bg')}`;
    if (this.#plot !== undefined && this.#look === look) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    this.#look = look;
    const colour = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
    const bars = uPlot.paths.bars!({ size: [0.9, 40], align: 1 });
    // 24-hour times in the page's zone (uPlot's default is a 12-hour clock in the browser's zone).
    const spanUs = answer.to - answer.from;
    const tick = (sec: number): string => {
      const t = formatTime(sec * 1e6, zone);
      return spanUs > 36 * 3600e6 ? t.slice(5, 16) : t.slice(11, 16);
    };
    const axis = { stroke: colour('--muted', '#666'), grid: { stroke: colour('--grid', '#8884'), width: 1 }, ticks: { stroke: colour('--grid', '#8884') } };
    this.#plot = new uPlot(
      {
        ...this.#size(),
        tzDate: zone === 'utc' ? (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') : (ts) => new Date(ts * 1e3),
        legend: { show: true },
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{ ...axis, values: (_u: uPlot, splits: number[]) => splits.map(tick) }, { ...axis, size: 44 }],
        series: [
          { value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatTime(v * 1e6, zone).slice(0, 16)) },
          { label: 'Records', fill: colour('--bar', '#4a7bd0'), stroke: colour('--bar', '#4a7bd0'), paths: bars, points: { show: false } },
          { label: 'Failures', fill: colour('--fail', '#d04a4a'), stroke: colour('--fail', '#d04a4a'), paths: bars, points: { show: false } },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const from = u.posToVal(u.select.left, 'x') * 1000;
              const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              this.onSelect(Math.floor(from), Math.ceil(to));
            },
          ],
        },
      },
      data,
      this.host,
    );
  }

  /** Drops the chart (the range has no bounds, so there is nothing to slice). */
  hide(): void {
    this.#plot?.destroy();
    this.#plot = undefined;
  }

  #size(): { width: number; height: number } {
    return { width: Math.max(240, this.host.clientWidth), height: 150 };
  }
}
