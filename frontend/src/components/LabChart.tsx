// One lab test over time, drawn by ECharts; the table beside it carries the
// same facts for screen readers and keyboards.
import { LineChart } from "echarts/charts";
import { GridComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { labChartOption } from "../lib/chartOption";
import type { ChartData } from "../lib/labs";

echarts.use([LineChart, GridComponent, TooltipComponent, MarkLineComponent, SVGRenderer]);

export function LabChart({
  data,
  summary,
  highlight,
  onPick,
}: {
  data: ChartData;
  summary: string;
  highlight?: string;
  onPick?: (id: string) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, undefined, { renderer: "svg" });
    chart.setOption(labChartOption(data, highlight));
    chart.on("click", (p) => {
      const id = (p.data as { id?: string } | undefined)?.id;
      if (id) pick.current?.(id);
    });
    const resize = () => chart.resize();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(resize) : null;
    ro?.observe(el.current);
    return () => {
      ro?.disconnect();
      chart.dispose();
    };
  }, [data, highlight]);
  return <div ref={el} className="chart" role="img" aria-label={summary} data-testid="lab-chart" data-points={data.points.length} />;
}
