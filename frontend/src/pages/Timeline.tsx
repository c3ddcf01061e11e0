import { Anchor, Badge, Button, Card, Chip, Collapse, Group, NativeSelect, Stack, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue, useMediaQuery } from "@mantine/hooks";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import type { TimelineItem } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/PageState";
import { statusText, typeName } from "../lib/fhir";
import { formatCount, formatDateTime } from "../lib/format";
import { flagText } from "../lib/labs";
import { useSources } from "../lib/sources";
import { visitLine } from "../lib/summary";
import { CATEGORIES, resultFlag, resultText, timelineRows, typesFor, type TimelineRow } from "../lib/timeline";
import { possessive, useCurrentProfile } from "../profile";

const PAGE = 50;

export default function TimelinePage() {
  const { id: profile, name } = useCurrentProfile();
  const [params, setParams] = useSearchParams();
  const categories = params.get("show")?.split(",").filter(Boolean) ?? [];
  const source = params.get("source") ?? "";
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const q = params.get("q") ?? "";
  const [typed, setTyped] = useState(q);
  const [text] = useDebouncedValue(typed.trim(), 300);
  const sources = useSources(profile);
  const sourceName = Object.fromEntries((sources.data?.sources ?? []).map((s) => [s.id, s.name]));
  const types = typesFor(categories).join(",");
  const wide = useMediaQuery("(min-width: 48em)", true, { getInitialValueInEffect: false });
  const filterCount = categories.length + (source ? 1 : 0) + (from ? 1 : 0) + (to ? 1 : 0);
  const [showFilters, setShowFilters] = useState<boolean | null>(null);
  const filtersOpen = showFilters ?? (wide || filterCount > 0);

  const set = (key: string, value: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (value) n.set(key, value);
        else n.delete(key);
        return n;
      },
      { replace: true },
    );
  useEffect(() => {
    if (text !== q) set("q", text);
    // Only the debounced text drives the URL.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);

  const timeline = useInfiniteQuery({
    queryKey: ["timeline", profile, types, source, from, to, q],
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/profiles/{profile}/timeline", {
          params: {
            path: { profile },
            query: {
              limit: PAGE,
              ...(types ? { type: types } : {}),
              ...(source ? { source } : {}),
              ...(from ? { from } : {}),
              ...(to ? { to } : {}),
              ...(q ? { q } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  const items = timeline.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = filterCount > 0 || !!q;

  return (
    <>
      <PageHeader title="Timeline" subtitle={`${possessive(name)} medical history, newest first`} />
      <Card withBorder mb="md" component="section" aria-label="Search and filters" padding="sm">
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput
            label="Search records"
            placeholder="e.g. glucose, flu, checkup"
            type="search"
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button variant="default" onClick={() => setShowFilters(!filtersOpen)} aria-expanded={filtersOpen} aria-controls="timeline-filters">
            {filterCount ? `Filters (${filterCount})` : "Filters"}
          </Button>
        </Group>
        <Collapse expanded={filtersOpen} id="timeline-filters">
          <Stack gap="sm" mt="sm">
            <Chip.Group multiple value={categories} onChange={(v) => set("show", v.join(","))}>
              <Group gap={6} role="group" aria-label="Show only">
                {CATEGORIES.map((c) => (
                  <Chip key={c.value} value={c.value} size="sm">
                    {c.label}
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
            <Group grow preventGrowOverflow={false} wrap="wrap" align="flex-end">
              <NativeSelect
                label="Source"
                value={source}
                onChange={(e) => set("source", e.currentTarget.value)}
                data={[{ value: "", label: "All sources" }, ...(sources.data?.sources ?? []).map((s) => ({ value: s.id, label: s.name }))]}
                miw={180}
              />
              <TextInput label="From" type="date" value={from} onChange={(e) => set("from", e.currentTarget.value)} miw={150} />
              <TextInput label="To" type="date" value={to} onChange={(e) => set("to", e.currentTarget.value)} miw={150} />
              {filtered && (
                <Button
                  variant="subtle"
                  onClick={() => {
                    setTyped("");
                    setParams({}, { replace: true });
                  }}
                >
                  Clear filters
                </Button>
              )}
            </Group>
          </Stack>
        </Collapse>
      </Card>
      {timeline.isPending ? (
        <Loading label="Loading the timeline…" />
      ) : timeline.error && items.length === 0 ? (
        <ErrorState error={timeline.error} retry={() => timeline.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <Empty title={q ? `Nothing matches “${q}”` : "Nothing matches these filters"}>Try other words, fewer filters or a wider date range.</Empty>
        ) : (
          <Empty
            title="No records yet"
            action={
              <Button component={Link} to={`/profiles/${profile}/sources/connect`}>
                Connect a provider
              </Button>
            }
          >
            Records from connected providers, uploads and what you add by hand all appear here by date.
          </Empty>
        )
      ) : (
        <>
          <Rows
            count={items.length}
            rows={timelineRows(items)}
            profile={profile}
            sourceName={sourceName}
            onNearEnd={() => {
              if (timeline.hasNextPage && !timeline.isFetchingNextPage) void timeline.fetchNextPage();
            }}
          />
          <Group justify="center" my="md">
            {timeline.hasNextPage ? (
              <Button variant="default" onClick={() => void timeline.fetchNextPage()} loading={timeline.isFetchingNextPage}>
                Show older records
              </Button>
            ) : (
              <Text size="sm" c="dimmed">
                That is everything: {formatCount(items.length)} records.
              </Text>
            )}
          </Group>
        </>
      )}
      {timeline.error && items.length > 0 && (
        <ErrorState error={timeline.error} retry={() => timeline.fetchNextPage()} title="Older records could not be loaded" />
      )}
    </>
  );
}

/** The list, virtualized: only the rows near the screen are in the page, so thousands stay quick. */
function Rows({
  count,
  rows,
  profile,
  sourceName,
  onNearEnd,
}: {
  count: number;
  rows: TimelineRow[];
  profile: string;
  sourceName: Record<string, string>;
  onNearEnd: () => void;
}) {
  const list = useRef<HTMLOListElement>(null);
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => {
    setOffset(list.current ? list.current.getBoundingClientRect().top + window.scrollY : 0);
  }, []);
  const virtual = useWindowVirtualizer({
    count: rows.length,
    estimateSize: (i) => {
      const r = rows[i];
      return r?.kind === "day" ? 44 : r?.kind === "visit" ? 96 + 52 * r.items.length : 72;
    },
    overscan: 8,
    scrollMargin: offset,
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  const shown = virtual.getVirtualItems();
  const last = shown[shown.length - 1]?.index ?? 0;
  useEffect(() => {
    if (last >= rows.length - 10) onNearEnd();
  }, [last, rows.length, onNearEnd]);

  return (
    <ol
      ref={list}
      aria-label="Records by date"
      data-count={count}
      style={{ listStyle: "none", padding: 0, margin: 0, position: "relative", height: virtual.getTotalSize() }}
    >
      {shown.map((v) => {
        const row = rows[v.index]!;
        return (
          <li
            key={v.key}
            data-index={v.index}
            ref={virtual.measureElement}
            style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${v.start - offset}px)`, paddingBottom: 8 }}
          >
            {row.kind === "day" ? (
              <Title order={2} size="h5" c="dimmed" pt={8}>
                {row.label}
              </Title>
            ) : row.kind === "visit" ? (
              <Card
                withBorder
                padding="sm"
                component="section"
                aria-label={`Visit: ${row.visit.display ?? "visit"}`}
                data-type={row.visit.resource_type}
              >
                <Record item={row.visit} profile={profile} sourceName={sourceName} plain />
                {row.items.length > 0 && (
                  <Stack
                    gap={4}
                    component="ul"
                    mt={6}
                    pl="sm"
                    style={{ listStyle: "none", margin: 0, borderLeft: "3px solid var(--mantine-color-gray-3)" }}
                  >
                    {row.items.map((i) => (
                      <li key={`${i.source_id}/${i.resource_type}/${i.id}`} data-type={i.resource_type}>
                        <Record item={i} profile={profile} sourceName={sourceName} plain />
                      </li>
                    ))}
                  </Stack>
                )}
              </Card>
            ) : (
              <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>
                <Card withBorder padding="sm" component="li" data-type={row.item.resource_type}>
                  <Record item={row.item} profile={profile} sourceName={sourceName} />
                </Card>
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** One record: what it is, its value rounded for reading, and where it came from. */
function Record({
  item: i,
  profile,
  sourceName,
  plain,
}: {
  item: TimelineItem;
  profile: string;
  sourceName: Record<string, string>;
  plain?: boolean;
}) {
  const value = resultText(i.values);
  const flag = resultFlag(i.values);
  const visit = i.visit
    ? visitLine({ ...i.visit, display: i.display, resource_type: i.resource_type, id: i.id, source_id: i.source_id, date: i.date, status: i.status })
    : null;
  return (
    <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start" data-type={plain ? undefined : i.resource_type}>
      <div style={{ minWidth: 0 }}>
        <Text size="xs" c="dimmed">
          {typeName(i.resource_type)}
          {i.date && /T/.test(i.date) ? ` · ${formatDateTime(i.date).split(", ")[1] ?? ""}` : ""}
        </Text>
        <Anchor component={Link} to={`/profiles/${profile}/records/${i.resource_type}/${encodeURIComponent(i.id)}`} fw={500}>
          {visit ?? i.display ?? typeName(i.resource_type)}
        </Anchor>
        <Text size="xs" c="dimmed">
          {sourceName[i.source_id] ?? "Unknown source"}
          {i.status && i.resource_type !== "Observation" ? ` · ${statusText(i.status)}` : ""}
        </Text>
      </div>
      {value && (
        <Group gap={6} wrap="nowrap" style={{ flexShrink: 0 }}>
          <Text fw={600}>{value}</Text>
          {flag && (
            <Badge color="red" variant="light">
              {flagText(flag)}
            </Badge>
          )}
        </Group>
      )}
    </Group>
  );
}
