// What of an imported dashboard file Hearth left out or changed: each part by
// its place in the file, with why. Shown after an import and on the
// dashboard's own page.
import { Code, Stack, Text } from "@mantine/core";
import { useId } from "react";
import type { Untranslated } from "../lib/dashboards";

/** The report in two lists: the parts left out, then the parts kept with a change. */
export function ImportReport({ notes }: { notes: Untranslated[] }) {
  const dropped = notes.filter((n) => n.dropped);
  const changed = notes.filter((n) => !n.dropped);
  if (notes.length === 0) return null;
  return (
    <Stack gap="sm">
      {dropped.length > 0 && <Group label="Left out" notes={dropped} />}
      {changed.length > 0 && <Group label="Changed" notes={changed} />}
    </Stack>
  );
}

function Group({ label, notes }: { label: string; notes: Untranslated[] }) {
  const id = useId();
  return (
    <Stack gap={4}>
      <Text fw={600} size="sm" id={id}>
        {label} ({notes.length})
      </Text>
      <Stack component="ul" aria-labelledby={id} gap={6} style={{ listStyle: "none", padding: 0, margin: 0 }}>
        {notes.map((n, i) => (
          <li key={`${n.path}-${i}`}>
            <Code style={{ overflowWrap: "anywhere" }}>{n.path}</Code>
            <Text size="sm">{n.reason}</Text>
          </li>
        ))}
      </Stack>
    </Stack>
  );
}
