import { Alert, Anchor, Badge, Button, Card, Group, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, ApiError, ok } from "../api/client";
import type { LabPoint, LabSeries } from "../api/types";
import { LabChart } from "../components/LabChart";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import type { ChartLine } from "../lib/chartOption";
import { systemName } from "../lib/fhir";
import { formatDate } from "../lib/format";
import { chartedTests, DIASTOLIC, LOINC, parseTestRef, plainName, SYSTOLIC, testRefText, type TestRef } from "../lib/labgroups";
import {
  chartData,
  chartSummary,
  flagText,
  inWindow,
  isFlagged,
  latest,
  NO_RANGE,
  pairRows,
  PRESETS,
  presetWindow,
  rangeText,
  type ChartData,
  type PairRow,
  type Preset,
  type TimeWindow,
} from "../lib/labs";
import { humanUnit, roundedText, valueText } from "../lib/units";
import { possessive, useCurrentProfile } from "../profile";

/** Short names for the two halves of blood pressure, for the legend and table. */
const BP_PARTS: Record<string, string> = { [SYSTOLIC]: "Systolic", [DIASTOLIC]: "Diastolic" };

/** A series as the page shows it: its data, a short name, and its chart data. */
interface Shown {
  series: LabSeries;
  /** Plain name: "Hemoglobin". */
  name: string;
  /** Name in the legend and the table's column: "Systolic" for blood pressure. */
  label: string;
  data: ChartData;
}

function useSeries(profile: string, ref: TestRef | undefined) {
  return useQuery({
    queryKey: ["lab-series", profile, ref ? testRefText(ref) : ""],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/labs/series", { params: { path: { profile }, query: { code: testRefText(ref!) } } })),
    enabled: !!ref,
  });
}

/** A result as shown, and (when rounding or a conversion changed it) the value exactly as recorded. */
function ResultText({ p }: { p: LabPoint }) {
  const [value, unit] = p.comparable ? [p.value, p.unit] : [p.original_value, p.original_unit];
  const recordedNumber = roundedText(p.original_value, p.original_unit, { exact: true });
  const recorded = `${recordedNumber}${p.original_unit ? ` ${p.original_unit}` : ""}`;
  const changed = roundedText(value, unit) !== recordedNumber || humanUnit(unit) !== humanUnit(p.original_unit);
  return (
    <span title={`Recorded as ${recorded}`}>
      {valueText(value, unit)}
      {changed && (
        <Text component="span" display="block" size="xs" c="dimmed">
          Recorded as {valueText(p.original_value, p.original_unit, { exact: true })}
        </Text>
      )}
    </span>
  );
}

/** A flag in words; out-of-range flags as a badge too. */
function Flag({ p, label }: { p: LabPoint | undefined; label?: string }) {
  if (!p) return null;
  const words = flagText(p.flag);
  if (!words) return null;
  const text = label ? `${label} ${words.toLowerCase()}` : words;
  return isFlagged(p) ? (
    <Badge color="red" variant="light">
      {text}
    </Badge>
  ) : (
    <Text size="sm">{text}</Text>
  );
}

const pointRange = (p: LabPoint | undefined) => (p ? rangeText({ low: p.low, high: p.high, unit: p.unit }) : "");
const recordPath = (profile: string, id: string) => `/profiles/${profile}/records/Observation/${encodeURIComponent(id)}`;

export default function LabTestPage() {
  const { id: profile, name } = useCurrentProfile();
  const [params] = useSearchParams();
  const code = params.get("code") ?? "";
  const highlight = params.get("highlight") ?? undefined;
  const navigate = useNavigate();
  const [view, setView] = useState<"chart" | "table">("chart");
  const [preset, setPreset] = useState<Preset | null>("all");
  const [span, setSpan] = useState<TimeWindow>(null);
  const valid = code.includes("|");
  const pairCode = params.get("pair");
  const refs = useMemo(() => (valid ? chartedTests(code, pairCode) : []), [valid, code, pairCode]);
  const mainKey = valid ? testRefText(parseTestRef(code)) : "";
  const partnerRef = refs.find((r) => testRefText(r) !== mainKey);
  const main = useSeries(profile, valid ? parseTestRef(code) : undefined);
  const partner = useSeries(profile, partnerRef);

  // Both series in chart order (systolic first); a partner with no results (404) is left out.
  const shown = useMemo<Shown[]>(() => {
    const pair = refs.length > 1;
    return refs
      .map((r) => (testRefText(r) === mainKey ? main.data : partner.data))
      .filter((s): s is LabSeries => !!s)
      .map((s) => {
        const plain = plainName(s.system, s.code, s.name);
        const bp = pair && s.system === LOINC ? BP_PARTS[s.code] : undefined;
        return { series: s, name: plain, label: bp ?? plain, data: chartData(s) };
      });
  }, [refs, mainKey, main.data, partner.data]);
  const lines = useMemo<ChartLine[]>(() => shown.map((s) => ({ name: s.label, data: s.data })), [shown]);

  if (!valid) return <Empty title="Which test?">Choose a test from the lab results page.</Empty>;
  const partnerFailed = partner.error && !(partner.error instanceof ApiError && partner.error.status === 404) ? partner.error : null;
  const both = {
    data: main.data && (!partnerRef || !partner.isPending) ? main.data : undefined,
    error: main.error,
    isPending: main.isPending || (!!partnerRef && partner.isPending),
    refetch: () => Promise.all([main.refetch(), partnerRef ? partner.refetch() : null]),
  };

  return (
    <QueryView query={both} loading="Loading results…">
      {() => {
        const pair = shown.length > 1;
        const isBp = pair && shown.every((s) => s.series.system === LOINC && BP_PARTS[s.series.code]);
        const title = isBp ? "Blood pressure" : shown.map((s) => s.name).join(" and ");
        const summary = pair ? shown.map((s) => chartSummary(s.name, s.data)).join(" ") : chartSummary(title, shown[0]!.data);
        const charted = shown.some((s) => s.data.points.length > 0);
        const omitted = shown.reduce((n, s) => n + s.data.omitted, 0);
        const latestTime = Math.max(...shown.flatMap((s) => s.data.points.map((p) => p.time)));
        const choose = (p: Preset) => {
          setPreset(p);
          setSpan(presetWindow(p, Number.isFinite(latestTime) ? latestTime : undefined));
        };
        const zoomed = (w: TimeWindow) => {
          setSpan(w);
          setPreset(w === null ? "all" : null);
        };
        const allRows: PairRow[] = pair
          ? pairRows(shown[0]!.series.points, shown[1]!.series.points)
          : [...shown[0]!.series.points].reverse().map((p) => ({ key: p.id, date: p.date, first: p }));
        // The table follows the chart's window.
        const rows = allRows.filter((r) => inWindow(r.date, span));
        const listed = view === "chart" ? rows.slice(0, 10) : rows;
        const total = allRows.length;
        return (
          <>
            <PageHeader
              title={title}
              subtitle={
                <>
                  {possessive(name)} results
                  {shown.map((s) => (
                    <span key={s.series.code}>
                      {" · "}
                      {s.series.name ? `${s.series.name} ` : ""}({systemName(s.series.system)} {s.series.code})
                    </span>
                  ))}
                </>
              }
            />
            <Stack>
              <Card withBorder component="section" aria-labelledby="latest-result" padding="sm">
                <Text fw={600} id="latest-result" mb={4}>
                  Latest result
                </Text>
                <Stack gap={4}>
                  {shown.map((s) => {
                    const p = latest(s.series);
                    return (
                      <Group key={s.series.code} gap="xs" wrap="wrap">
                        {pair && <Text fw={600}>{s.label}:</Text>}
                        {p ? (
                          <>
                            <Text fw={700}>
                              <ResultText p={p} />
                            </Text>
                            <Text c="dimmed">on {formatDate(p.date)}</Text>
                            <Flag p={p} />
                          </>
                        ) : (
                          <Text c="dimmed">No dated result</Text>
                        )}
                        <Text size="sm" c="dimmed">
                          · {rangeText(s.series) === NO_RANGE ? NO_RANGE : `Normal range: ${rangeText(s.series)}`}
                        </Text>
                      </Group>
                    );
                  })}
                </Stack>
              </Card>
              {partnerFailed ? (
                <Alert color="yellow" title="Only part of this reading could be loaded">
                  The {partnerRef?.code === DIASTOLIC ? "diastolic" : partnerRef?.code === SYSTOLIC ? "systolic" : "other"} results could not be
                  loaded; try again later.
                </Alert>
              ) : null}
              <Group gap="md" wrap="wrap" align="flex-end">
                <SegmentedControl
                  value={view}
                  onChange={(v) => setView(v as "chart" | "table")}
                  data={[
                    { value: "chart", label: "Chart" },
                    { value: "table", label: "Table" },
                  ]}
                  aria-label="Show results as"
                  w={220}
                />
                <Group gap={6} role="group" aria-label="Time span">
                  <Text size="sm" aria-hidden>
                    Show:
                  </Text>
                  {PRESETS.map((p) => (
                    <Button
                      key={p.value}
                      size="xs"
                      variant={preset === p.value ? "filled" : "default"}
                      aria-pressed={preset === p.value}
                      onClick={() => choose(p.value)}
                    >
                      {p.label}
                    </Button>
                  ))}
                </Group>
              </Group>
              <Text size="sm" c="dimmed" aria-live="polite">
                {span
                  ? `Showing ${formatDate(new Date(span.start).toISOString())} to ${formatDate(new Date(span.end).toISOString())}: ${rows.length} of ${total} ${total === 1 ? "result" : "results"}.`
                  : `Showing all ${total} ${total === 1 ? "result" : "results"}.`}
              </Text>
              {view === "chart" ? (
                <Card withBorder component="section" aria-label="Chart">
                  {!charted ? (
                    <Text c="dimmed">No result of this test has a date and a comparable unit to chart.</Text>
                  ) : (
                    <LabChart
                      lines={lines}
                      summary={summary}
                      highlight={highlight}
                      window={span}
                      onWindow={zoomed}
                      onPick={(id) => navigate(recordPath(profile, id))}
                    />
                  )}
                  <Text size="sm" mt="xs">
                    {summary}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {pair
                      ? "Each shaded band or dashed line is the normal range the lab gave for that line"
                      : "The shaded band (or dashed line) is the normal range the lab gave"}
                    ; triangles mark results above (▲) or below (▼) it. Scroll or pinch on the chart, or drag the slider under it, to zoom in time.
                  </Text>
                  {omitted > 0 && (
                    <Alert color="gray" mt="xs">
                      {omitted} {omitted === 1 ? "result is" : "results are"} not on the chart (no date, or a unit that cannot be converted to{" "}
                      {shown.map((s) => humanUnit(s.data.unit) || "the test's unit").join(" or ")}); the table lists them.
                    </Alert>
                  )}
                </Card>
              ) : null}
              <Card withBorder component="section" aria-labelledby="past-results">
                <Text fw={600} id="past-results" mb="xs">
                  {view === "chart" ? "Past results" : "All results"}
                </Text>
                {rows.length === 0 ? (
                  <Text c="dimmed">No results in this time span.</Text>
                ) : (
                  <Table.ScrollContainer minWidth={pair ? 560 : 420}>
                    <Table striped>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Date</Table.Th>
                          {pair ? shown.map((s) => <Table.Th key={s.series.code}>{s.label}</Table.Th>) : <Table.Th>Result</Table.Th>}
                          <Table.Th>Normal range</Table.Th>
                          <Table.Th>Flag</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {listed.map((r) => {
                          const id = (r.first ?? r.second)!.id;
                          const current = !!highlight && (r.first?.id === highlight || r.second?.id === highlight);
                          return (
                            <Table.Tr key={r.key} aria-current={current ? "true" : undefined} fw={current ? 700 : undefined}>
                              <Table.Td>
                                <Anchor component={Link} to={recordPath(profile, id)}>
                                  {r.date ? formatDate(r.date) : "No date"}
                                </Anchor>
                              </Table.Td>
                              <Table.Td>{r.first ? <ResultText p={r.first} /> : "—"}</Table.Td>
                              {pair && <Table.Td>{r.second ? <ResultText p={r.second} /> : "—"}</Table.Td>}
                              <Table.Td>
                                {pair && [r.first, r.second].every((p) => !p || pointRange(p) === NO_RANGE) ? (
                                  NO_RANGE
                                ) : pair ? (
                                  <Stack gap={0}>
                                    {[r.first, r.second].map((p, i) =>
                                      p ? (
                                        <Text key={i} size="sm">
                                          {shown[i]!.label}: {pointRange(p)}
                                        </Text>
                                      ) : null,
                                    )}
                                  </Stack>
                                ) : (
                                  pointRange(r.first)
                                )}
                              </Table.Td>
                              <Table.Td>
                                <Group gap={4}>
                                  <Flag p={r.first} label={pair ? shown[0]!.label : undefined} />
                                  {pair && <Flag p={r.second} label={shown[1]!.label} />}
                                </Group>
                              </Table.Td>
                            </Table.Tr>
                          );
                        })}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                )}
                {view === "chart" && rows.length > 10 && (
                  <Anchor component="button" type="button" size="sm" mt="xs" onClick={() => setView("table")}>
                    Show all {rows.length} results
                  </Anchor>
                )}
              </Card>
            </Stack>
          </>
        );
      }}
    </QueryView>
  );
}
