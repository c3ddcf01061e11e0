import { Anchor, Badge, Button, Card, Chip, Group, NativeSelect, Stack, Text, TextInput, Title } from "@mantine/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/PageState";
import { statusText, typeName } from "../lib/fhir";
import { formatCount } from "../lib/format";
import { useSources } from "../lib/sources";
import { CATEGORIES, groupByDay, typesFor } from "../lib/timeline";
import { possessive, useCurrentProfile } from "../profile";

const PAGE = 50;

export default function TimelinePage() {
  const { id: profile, name } = useCurrentProfile();
  const [params, setParams] = useSearchParams();
  const categories = params.get("show")?.split(",").filter(Boolean) ?? [];
  const source = params.get("source") ?? "";
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const sources = useSources(profile);
  const sourceName = Object.fromEntries((sources.data?.sources ?? []).map((s) => [s.id, s.name]));
  const types = typesFor(categories).join(",");

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

  const timeline = useInfiniteQuery({
    queryKey: ["timeline", profile, types, source, from, to],
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
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  // Infinite scroll: load the next page as the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = timeline;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && hasNextPage && !isFetchingNextPage) void fetchNextPage();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const items = timeline.data?.pages.flatMap((p) => p.items) ?? [];
  const groups = groupByDay(items);
  const filtered = categories.length > 0 || source || from || to;

  return (
    <>
      <PageHeader title="Timeline" subtitle={`${possessive(name)} medical history, newest first`} />
      <Card withBorder mb="md" component="section" aria-label="Filters">
        <Stack gap="sm">
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
              <Button variant="subtle" onClick={() => setParams({}, { replace: true })}>
                Clear filters
              </Button>
            )}
          </Group>
        </Stack>
      </Card>
      {timeline.isPending ? (
        <Loading label="Loading the timeline…" />
      ) : timeline.error && items.length === 0 ? (
        <ErrorState error={timeline.error} retry={() => timeline.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <Empty title="Nothing matches these filters">Try fewer filters or a wider date range.</Empty>
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
        <Stack gap="lg" component="ol" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Records by date">
          {groups.map((g) => (
            <li key={g.key + g.items[0]?.id}>
              <Title order={2} size="h5" mb={6} c="dimmed">
                {g.label}
              </Title>
              <Stack gap={6} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
                {g.items.map((i) => (
                  <Card key={`${i.source_id}/${i.resource_type}/${i.id}`} withBorder padding="sm" component="li" data-type={i.resource_type}>
                    <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
                      <div style={{ minWidth: 0 }}>
                        <Anchor component={Link} to={`/profiles/${profile}/records/${i.resource_type}/${encodeURIComponent(i.id)}`} fw={500}>
                          {i.display ?? typeName(i.resource_type)}
                        </Anchor>
                        <Text size="xs" c="dimmed">
                          {sourceName[i.source_id] ?? "Unknown source"}
                          {i.status ? ` · ${statusText(i.status)}` : ""}
                        </Text>
                      </div>
                      <Badge variant="light" color="gray" style={{ flexShrink: 0 }}>
                        {typeName(i.resource_type)}
                      </Badge>
                    </Group>
                  </Card>
                ))}
              </Stack>
            </li>
          ))}
        </Stack>
      )}
      <div ref={sentinel} />
      {items.length > 0 && (
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
      )}
      {timeline.error && items.length > 0 && (
        <ErrorState error={timeline.error} retry={() => timeline.fetchNextPage()} title="Older records could not be loaded" />
      )}
    </>
  );
}
