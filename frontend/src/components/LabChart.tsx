// One lab test (or two, such as systolic and diastolic) over time, drawn by
// ECharts; the table beside it carries the same facts for screen readers and
// keyboards. The window of time shown is shared with the page: a preset
// button moves the chart, and zooming the chart moves the table.
import { LineChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { labChartOption, type ChartLine } from "../lib/chartOption";
import type { TimeWindow } from "../lib/labs";

echarts.use([LineChart, GridComponent, TooltipComponent, MarkLineComponent, LegendComponent, DataZoomComponent, SVGRenderer]);

const sameWindow = (a: TimeWindow, b: TimeWindow) => a === b || (!!a && !!b && a.start === b.start && a.end === b.end);

export function LabChart({
  lines,
  summary,
  highlight,
  window = null,
  onWindow,
  onPick,
}: {
  lines: ChartLine[];
  summary: string;
  highlight?: string;
  /** The span of time shown; null for everything. */
  window?: TimeWindow;
  /** Called when the reader zooms or pans the chart (null: everything is shown again). */
  onWindow?: (w: TimeWindow) => void;
  onPick?: (id: string) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chartRef = useRef<echarts.ECharts | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const zoomed = useRef(onWindow);
  zoomed.current = onWindow;
  // The window the chart shows now, so a redraw keeps it and the page's echo of a zoom is not replayed.
  const shown = useRef<TimeWindow>(window);

  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, undefined, { renderer: "svg" });
    chartRef.current = chart;
    chart.setOption(labChartOption(lines, { highlight, window: shown.current }));
    chart.on("click", (p) => {
      const id = (p.data as { id?: string } | undefined)?.id;
      if (id) pick.current?.(id);
    });
    chart.on("datazoom", () => {
      const zoom = (chart.getOption().dataZoom as { start?: number; end?: number; startValue?: number; endValue?: number }[] | undefined)?.[0];
      if (!zoom) return;
      const all = (zoom.start ?? 0) <= 0 && (zoom.end ?? 100) >= 100;
      const w: TimeWindow =
        all || zoom.startValue === undefined || zoom.endValue === undefined ? null : { start: zoom.startValue, end: zoom.endValue };
      shown.current = w;
      zoomed.current?.(w);
    });
    const resize = () => chart.resize();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(resize) : null;
    ro?.observe(el.current);
    return () => {
      ro?.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, [lines, highlight]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart || sameWindow(window, shown.current)) return;
    shown.current = window;
    // Silent: the page set this window itself, so it needs no datazoom event back.
    chart.dispatchAction(window ? { type: "dataZoom", startValue: window.start, endValue: window.end } : { type: "dataZoom", start: 0, end: 100 }, {
      silent: true,
    });
  }, [window]);

  const count = lines.reduce((n, l) => n + l.data.points.length, 0);
  return <div ref={el} className="chart" role="img" aria-label={summary} data-testid="lab-chart" data-points={count} />;
}
