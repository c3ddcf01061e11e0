import { Alert, Button, Group, Stack, Table, Text } from "@mantine/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Details, Empty, ErrorState, Loading } from "../components/PageState";
import { auditDetailLines, auditWhat, auditWho, type AuditNames } from "../lib/audit";
import { formatDateTime } from "../lib/format";
import { useSession } from "../session";

const PAGE = 100;

export default function AuditPage() {
  const { me } = useSession();
  const audit = useInfiniteQuery({
    queryKey: ["audit"],
    queryFn: ({ pageParam }) => ok(api.GET("/api/audit", { params: { query: { limit: PAGE, ...(pageParam ? { before: pageParam } : {}) } } })),
    initialPageParam: 0,
    getNextPageParam: (last) => (last.entries.length === PAGE ? last.entries[last.entries.length - 1]?.id : undefined),
    enabled: me.user.role === "admin",
  });
  // Names for the ids in the log (the same list the Users page shows).
  const users = useQuery({ queryKey: ["users"], queryFn: () => ok(api.GET("/api/users")), enabled: me.user.role === "admin" });
  const userNames = new Map((users.data?.users ?? []).map((u) => [u.id, u.display_name || u.username]));
  userNames.set(me.user.id, me.user.display_name || me.user.username);
  const profileNames = new Map(me.profiles.map((p) => [p.id, p.name]));
  // Without the list (it failed to load) no one is called removed.
  const names: AuditNames = {
    user: (id) => userNames.get(id),
    profile: (id) => profileNames.get(id),
    unknown: users.isError ? "an account" : undefined,
  };
  if (me.user.role !== "admin") return <Alert color="gray">Only administrators see the audit log.</Alert>;
  const entries = audit.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <PageHeader title="Audit log" subtitle="Sign-ins, account and sharing changes, newest first" />
      {audit.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : audit.error && entries.length === 0 ? (
        <ErrorState error={audit.error} retry={() => audit.refetch()} />
      ) : entries.length === 0 ? (
        <Empty title="Nothing recorded yet" />
      ) : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>What happened</Table.Th>
                  <Table.Th>From</Table.Th>
                  <Table.Th>Details</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {entries.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>{formatDateTime(e.at)}</Table.Td>
                    <Table.Td>{users.isPending ? "…" : auditWho(e, names)}</Table.Td>
                    <Table.Td>{users.isPending ? e.event.replace(/-/g, " ") : auditWhat(e, names)}</Table.Td>
                    <Table.Td>{e.address ?? ""}</Table.Td>
                    <Table.Td>
                      <EntryDetails lines={auditDetailLines(e.detail)} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {audit.hasNextPage && (
            <Group justify="center" my="md">
              <Button variant="default" onClick={() => void audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
                Show older entries
              </Button>
            </Group>
          )}
        </>
      )}
    </>
  );
}

/** An entry's particulars as "Key: value" lines; folded away when there are many. */
function EntryDetails({ lines }: { lines: string[] }) {
  if (lines.length === 0) return null;
  if (lines.length <= 2 && lines.every((l) => l.length <= 48)) {
    return (
      <Stack gap={0}>
        {lines.map((l) => (
          <Text key={l} size="xs" style={{ overflowWrap: "anywhere" }}>
            {l}
          </Text>
        ))}
      </Stack>
    );
  }
  return <Details lines={lines} label={`${lines.length} details`} />;
}
