// One unit's lines of a dashboard chart, drawn by ECharts (as LabChart is);
// clicking a point opens its record. The card lists the same facts in words.
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { dashboardChartOption, type Series, type Target } from "../lib/dashboards";

echarts.use([LineChart, GridComponent, TooltipComponent, MarkAreaComponent, LegendComponent, SVGRenderer]);

export function DashboardChart({
  series,
  targets,
  summary,
  onPick,
}: {
  series: Series[];
  targets: Target[];
  summary: string;
  /** Called with a point's evidence id ("Observation/a3"). */
  onPick: (ref: string) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, undefined, { renderer: "svg" });
    chart.setOption(dashboardChartOption(series, targets));
    chart.on("click", (p) => {
      const id = (p.data as { id?: string } | undefined)?.id;
      if (id) pick.current(id);
    });
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => chart.resize()) : null;
    ro?.observe(el.current);
    return () => {
      ro?.disconnect();
      chart.dispose();
    };
  }, [series, targets]);

  return <div ref={el} className="dashboard-chart" role="img" aria-label={summary} data-testid="dashboard-chart" />;
}
