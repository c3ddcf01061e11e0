import { Alert, Anchor, Badge, Card, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import { LabChart } from "../components/LabChart";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { systemName } from "../lib/fhir";
import { formatDate, formatNumber } from "../lib/format";
import { chartData, chartSummary, flagText, isFlagged } from "../lib/labs";
import { possessive, useCurrentProfile } from "../profile";

export default function LabTestPage() {
  const { id: profile, name } = useCurrentProfile();
  const [params] = useSearchParams();
  const code = params.get("code") ?? "";
  const highlight = params.get("highlight") ?? undefined;
  const navigate = useNavigate();
  const [view, setView] = useState<"chart" | "table">("chart");
  const series = useQuery({
    queryKey: ["lab-series", profile, code],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/labs/series", { params: { path: { profile }, query: { code } } })),
    enabled: code.includes("|"),
  });
  const data = useMemo(() => (series.data ? chartData(series.data) : null), [series.data]);
  if (!code.includes("|")) return <Empty title="Which test?">Choose a test from the lab results page.</Empty>;

  return (
    <QueryView query={series} loading="Loading results…">
      {(s) => {
        const title = s.name ?? s.code;
        const d = data ?? chartData(s);
        const summary = chartSummary(title, d);
        const newestFirst = [...s.points].reverse();
        return (
          <>
            <PageHeader
              title={title}
              subtitle={
                <>
                  {possessive(name)} results · {systemName(s.system)} {s.code}
                </>
              }
            />
            <Stack>
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
              {view === "chart" ? (
                <Card withBorder component="section" aria-label="Chart">
                  {d.points.length === 0 ? (
                    <Text c="dimmed">No result of this test has a date and a comparable unit to chart.</Text>
                  ) : (
                    <LabChart
                      data={d}
                      summary={summary}
                      highlight={highlight}
                      onPick={(id) => navigate(`/profiles/${profile}/records/Observation/${encodeURIComponent(id)}`)}
                    />
                  )}
                  <Text size="sm" mt="xs">
                    {summary}
                  </Text>
                  <Text size="xs" c="dimmed">
                    The shaded band is the normal range the lab gave; triangles mark results above (▲) or below (▼) it.
                  </Text>
                  {d.omitted > 0 && (
                    <Alert color="gray" mt="xs">
                      {d.omitted} {d.omitted === 1 ? "result is" : "results are"} not on the chart (no date, or a unit that cannot be converted to{" "}
                      {d.unit}); the table lists them.
                    </Alert>
                  )}
                </Card>
              ) : null}
              <Card withBorder component="section" aria-labelledby="past-results">
                <Text fw={600} id="past-results" mb="xs">
                  {view === "chart" ? "Past results" : "All results"}
                </Text>
                <Table.ScrollContainer minWidth={420}>
                  <Table striped>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Date</Table.Th>
                        <Table.Th>Result</Table.Th>
                        <Table.Th>Normal range</Table.Th>
                        <Table.Th>Flag</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {(view === "chart" ? newestFirst.slice(0, 10) : newestFirst).map((p) => (
                        <Table.Tr key={p.id} aria-current={p.id === highlight ? "true" : undefined} fw={p.id === highlight ? 700 : undefined}>
                          <Table.Td>
                            <Anchor component={Link} to={`/profiles/${profile}/records/Observation/${encodeURIComponent(p.id)}`}>
                              {p.date ? formatDate(p.date) : "No date"}
                            </Anchor>
                          </Table.Td>
                          <Table.Td>
                            {formatNumber(p.comparable ? p.value : p.original_value)} {(p.comparable ? p.unit : p.original_unit) ?? ""}
                          </Table.Td>
                          <Table.Td>
                            {p.low !== null && p.low !== undefined && p.high !== null && p.high !== undefined
                              ? `${formatNumber(p.low)}–${formatNumber(p.high)}`
                              : p.high !== null && p.high !== undefined
                                ? `≤ ${formatNumber(p.high)}`
                                : p.low !== null && p.low !== undefined
                                  ? `≥ ${formatNumber(p.low)}`
                                  : ""}
                          </Table.Td>
                          <Table.Td>
                            {isFlagged(p) ? (
                              <Badge color="red" variant="light">
                                {flagText(p.flag)}
                              </Badge>
                            ) : (
                              flagText(p.flag)
                            )}
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
                {view === "chart" && newestFirst.length > 10 && (
                  <Anchor component="button" type="button" size="sm" mt="xs" onClick={() => setView("table")}>
                    Show all {newestFirst.length} results
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
