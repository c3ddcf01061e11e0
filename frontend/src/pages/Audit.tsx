import { Alert, Button, Code, Group, Table, Text } from "@mantine/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Loading } from "../components/PageState";
import { formatDateTime } from "../lib/format";
import { useSession } from "../session";

const PAGE = 100;

/** Audit events in words; unknown ones show their name. */
const EVENTS: Record<string, string> = {
  setup: "Set up this Hearth",
  "sign-in": "Signed in",
  "sign-in-failed": "Sign-in failed",
  "sign-out": "Signed out",
  "sign-up": "Created their own account",
  "session-revoked": "Ended a session",
  "refresh-token-reused": "A used sign-in token came back (the session was ended)",
  "recovery-code-used": "Signed in with a recovery code",
  "password-changed": "Changed their password",
  "password-change-failed": "Password change failed",
  "password-reset": "Reset someone's password",
  "totp-enabled": "Turned on two-step sign-in",
  "totp-disabled": "Turned off two-step sign-in",
  "user-created": "Created an account",
  "user-renamed": "Renamed an account",
  "user-role-changed": "Changed an account's role",
  "user-disabled": "Disabled an account",
  "user-enabled": "Enabled an account",
  "user-deleted": "Deleted an account",
  "profile-created": "Added a person",
  "profile-deleted": "Deleted a person",
  "profile-transferred": "Handed a person's records to someone else",
  "grant-added": "Shared a profile",
  "grant-changed": "Changed sharing",
  "grant-removed": "Stopped sharing",
};

export default function AuditPage() {
  const { me } = useSession();
  const audit = useInfiniteQuery({
    queryKey: ["audit"],
    queryFn: ({ pageParam }) => ok(api.GET("/api/audit", { params: { query: { limit: PAGE, ...(pageParam ? { before: pageParam } : {}) } } })),
    initialPageParam: 0,
    getNextPageParam: (last) => (last.entries.length === PAGE ? last.entries[last.entries.length - 1]?.id : undefined),
    enabled: me.user.role === "admin",
  });
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
                  <Table.Th>What</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>From</Table.Th>
                  <Table.Th>Details</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {entries.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>{formatDateTime(e.at)}</Table.Td>
                    <Table.Td>{EVENTS[e.event] ?? e.event}</Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace">
                        {e.actor_id ?? "—"}
                      </Text>
                    </Table.Td>
                    <Table.Td>{e.address ?? ""}</Table.Td>
                    <Table.Td>{e.detail && Object.keys(e.detail as object).length > 0 ? <Code>{JSON.stringify(e.detail)}</Code> : null}</Table.Td>
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
