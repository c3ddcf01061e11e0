import { Button, Group, Table, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import type { Job } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Details, Empty, QueryView, Failure } from "../components/PageState";
import { useProfileEvents } from "../lib/events";
import { formatCount, formatDateTime, relativeTime } from "../lib/format";
import { asClause, explainKind } from "../lib/problems";
import { isActive, leftOut, type Rejected, useJobs } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

const TRIGGERS: Record<string, string> = {
  connect: "Just connected",
  manual: "Sync now",
  scheduled: "Daily update",
  retry: "Tried again",
};

const STATUS: Record<string, string> = {
  queued: "Waiting",
  running: "Running",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Stopped",
};

/** A job's result in words; a failure's raw error only under "Details". */
export function jobResult(job: Job): { words: string; details: string[] } {
  const status = STATUS[job.status] ?? job.status;
  if (job.status === "queued" && job.attempts > 0) {
    const why = explainKind(job.error_kind, job.error);
    return {
      words: `Waiting to try again ${relativeTime(job.run_after)} (attempt ${job.attempts + 1} of ${job.max_attempts}): ${asClause(why.message)}`,
      details: why.details,
    };
  }
  if (job.status === "failed" && (job.error || job.error_kind)) {
    const why = explainKind(job.error_kind, job.error);
    return { words: `${status}: ${asClause(why.message)}`, details: why.details };
  }
  return { words: status, details: [] };
}

function jobRecords(job: Job): string {
  const p = job.progress as { stored?: number; emitted?: number; rejected?: Record<string, Rejected> } | null | undefined;
  if (!p || typeof p.emitted !== "number") return "";
  const counts = `${formatCount(p.emitted)} received, ${formatCount(p.stored ?? 0)} new or changed`;
  return [counts, ...leftOut(p.rejected)].join(". ");
}

/** One job as a table row. */
export function JobRow({ job, compact, actions }: { job: Job; compact?: boolean; actions?: React.ReactNode }) {
  const result = jobResult(job);
  return (
    <Table.Tr>
      {!compact && <Table.Td>{job.source_name}</Table.Td>}
      <Table.Td>{formatDateTime(job.started_at ?? job.created_at)}</Table.Td>
      <Table.Td>{TRIGGERS[job.trigger] ?? job.trigger}</Table.Td>
      <Table.Td>
        <Text size="sm" c={job.status === "failed" ? "red.8" : undefined}>
          {result.words}
        </Text>
        <Details lines={result.details} />
      </Table.Td>
      <Table.Td>{jobRecords(job)}</Table.Td>
      {actions !== undefined && <Table.Td>{actions}</Table.Td>}
    </Table.Tr>
  );
}

export default function JobsPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const jobs = useJobs(profile, 100);
  useProfileEvents(profile);
  const client = useQueryClient();
  const act = useMutation({
    mutationFn: ({ job, action }: { job: string; action: "cancel" | "retry" }) =>
      action === "cancel"
        ? ok(api.POST("/api/profiles/{profile}/jobs/{job}/cancel", { params: { path: { profile, job } } }))
        : ok(api.POST("/api/profiles/{profile}/jobs/{job}/retry", { params: { path: { profile, job } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["jobs", profile] }),
  });
  return (
    <>
      <PageHeader title="Background jobs" subtitle={`Syncs of ${possessive(name)} sources, newest first`} />
      <Failure error={act.error} mb="md" />
      <QueryView query={jobs} loading="Loading jobs…">
        {({ jobs: list }) =>
          list.length === 0 ? (
            <Empty title="No jobs yet">
              Jobs appear here when Hearth syncs a connected provider. <Link to={`/profiles/${profile}/sources/connect`}>Connect one</Link>.
            </Empty>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Source</Table.Th>
                    <Table.Th>Started</Table.Th>
                    <Table.Th>Why</Table.Th>
                    <Table.Th>Result</Table.Th>
                    <Table.Th>Records</Table.Th>
                    {canEdit && <Table.Th>Actions</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((j) => (
                    <JobRow
                      key={j.id}
                      job={j}
                      actions={
                        canEdit ? (
                          <Group gap={4}>
                            {isActive(j) && (
                              <Button size="compact-xs" variant="default" onClick={() => act.mutate({ job: j.id, action: "cancel" })}>
                                Stop
                              </Button>
                            )}
                            {(j.status === "failed" || j.status === "cancelled") && (
                              <Button size="compact-xs" variant="default" onClick={() => act.mutate({ job: j.id, action: "retry" })}>
                                Try again
                              </Button>
                            )}
                          </Group>
                        ) : undefined
                      }
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryView>
    </>
  );
}
