// Loading, empty and error states: every page says what is going on.
import { Alert, Button, Center, Group, Loader, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { explainError } from "../api/client";
import type { Explained, Subject } from "../lib/problems";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text>{label}</Text>
      </Group>
    </Center>
  );
}

/**
 * The particulars behind a message (the host's own words, ids, addresses),
 * folded away under "Details": for the administrator, not in the sentence.
 */
export function Details({ lines, label = "Details" }: { lines: (string | null | undefined | false)[]; label?: string }) {
  const shown = lines.filter((l): l is string => typeof l === "string" && l.length > 0);
  if (shown.length === 0) return null;
  return (
    <details className="problem-details">
      <summary>{label}</summary>
      {shown.map((l, i) => (
        <Text key={i} size="xs" c="dimmed" className="problem-details-line">
          {l}
        </Text>
      ))}
    </details>
  );
}

/** A problem explained: the sentence, what to do, and its particulars under "Details". */
export function Explanation({ explained }: { explained: Explained }) {
  return (
    <Stack gap={4}>
      <Text size="sm">
        {explained.message}
        {explained.action && <> {explained.action}</>}
      </Text>
      <Details lines={explained.details} />
    </Stack>
  );
}

export function ErrorState({
  error,
  retry,
  title = "This could not be loaded",
  subject,
  children,
}: {
  error: unknown;
  retry?: () => void;
  title?: string;
  /** What a `not-found` is about, when the page knows. */
  subject?: Subject;
  /** More to offer, such as a link elsewhere. */
  children?: ReactNode;
}) {
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Stack gap="xs">
        <Explanation explained={explainError(error, subject)} />
        {(retry || children) && (
          <Group>
            {retry && (
              <Button size="xs" variant="default" onClick={retry}>
                Try again
              </Button>
            )}
            {children}
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

/** An action's failure in words (nothing when there is none). `explain` gives an action its own words for some problems. */
export function Failure({
  error,
  title,
  mb,
  mt,
  subject,
  explain,
}: {
  error: unknown;
  title?: string;
  mb?: string;
  mt?: string;
  subject?: Subject;
  explain?: (error: unknown) => Explained;
}) {
  if (error === null || error === undefined || error === false) return null;
  return (
    <Alert color="red" role="alert" title={title} mb={mb} mt={mt}>
      <Explanation explained={explain ? explain(error) : explainError(error, subject)} />
    </Alert>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Stack align="center" gap="xs" py="xl" ta="center">
      <Title order={3} size="h4">
        {title}
      </Title>
      {children && (
        <Text c="dimmed" maw={480}>
          {children}
        </Text>
      )}
      {action}
    </Stack>
  );
}

/** Render a query: loading, error (with retry) or its data. */
export function QueryView<T>({
  query,
  loading,
  subject,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  loading?: string;
  /** What a `not-found` is about, when the page knows. */
  subject?: Subject;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.error || query.data === undefined) return <ErrorState error={query.error} retry={() => query.refetch()} subject={subject} />;
  return <>{children(query.data)}</>;
}
