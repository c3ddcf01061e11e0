import { Alert, Button, Card, Code, FileInput, Group, List, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { ApiError, api, errorText } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { typeName } from "../lib/fhir";
import { formatCount } from "../lib/format";
import { explainUploadProblem, uploadMediaType } from "../lib/upload";
import { possessive, useCurrentProfile } from "../profile";

export default function UploadPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [label, setLabel] = useState("");
  const upload = useMutation({
    mutationFn: async (f: File) => {
      const { data, error, response } = await api.POST("/api/profiles/{profile}/imports", {
        params: { path: { profile }, query: label.trim() ? { name: label.trim() } : {} },
        body: f as never,
        bodySerializer: (b: unknown) => b as BodyInit,
        headers: { "Content-Type": uploadMediaType(f) },
      });
      if (!response.ok || !data) throw new ApiError(response.status, (error ?? {}) as never);
      return data;
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["sources", profile] });
      void client.invalidateQueries({ queryKey: ["timeline", profile] });
      void client.invalidateQueries({ queryKey: ["labs", profile] });
    },
  });
  const problem = upload.error instanceof ApiError ? explainUploadProblem(upload.error.status, upload.error.problem) : null;

  if (!canEdit) return <Alert color="gray">You can look at {possessive(name)} records but not add to them.</Alert>;
  return (
    <>
      <PageHeader title="Upload records" subtitle={`Add a file of FHIR records to ${possessive(name)} profile`} />
      <Card withBorder maw={640}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (file) upload.mutate(file);
          }}
        >
          <Stack>
            <Text size="sm">
              Patient portals and apps can export a FHIR Bundle (<Code>.json</Code>) or NDJSON (<Code>.ndjson</Code>). The whole file is checked
              first: if any entry is wrong, nothing is imported and you see which one.
            </Text>
            <FileInput
              label="File"
              placeholder="Choose a file"
              accept=".json,.ndjson,.jsonl,application/json,application/fhir+json"
              value={file}
              onChange={(f) => {
                setFile(f);
                upload.reset();
              }}
              required
              clearable
              clearButtonProps={{ "aria-label": "Remove the chosen file" }}
              id="upload-file"
            />
            <TextInput
              label="Name for these records"
              description="Shown as the source, e.g. “Clinic export, March 2024”. Optional."
              value={label}
              onChange={(e) => setLabel(e.currentTarget.value)}
            />
            <Group>
              <Button type="submit" disabled={!file} loading={upload.isPending}>
                Upload
              </Button>
            </Group>
            {problem && (
              <Alert color="red" title={problem.headline} role="alert" data-testid="upload-error">
                <Stack gap={4}>
                  {problem.where && (
                    <Text size="sm">
                      <strong>Where:</strong> {problem.where}
                    </Text>
                  )}
                  {problem.path && (
                    <Text size="sm">
                      <strong>Field:</strong> <Code>{problem.path}</Code>
                    </Text>
                  )}
                  {problem.reason && (
                    <Text size="sm">
                      <strong>What is wrong:</strong> {problem.reason}
                    </Text>
                  )}
                  <Text size="sm">Fix that entry (or ask whoever made the file), then upload it again.</Text>
                </Stack>
              </Alert>
            )}
            {upload.error && !problem && (
              <Alert color="red" role="alert">
                {errorText(upload.error)}
              </Alert>
            )}
            {upload.data && (
              <Alert color="green" title={`Imported ${formatCount(upload.data.resources)} records`} role="status">
                <List size="sm">
                  {Object.entries(upload.data.by_type).map(([t, n]) => (
                    <List.Item key={t}>
                      {typeName(t, n !== 1)}: {formatCount(n)}
                    </List.Item>
                  ))}
                </List>
                {upload.data.fhir_version === "3.0" && (
                  <Text size="sm" mt="xs">
                    The file was in FHIR DSTU3 (the older version); Hearth converted every record to R4.
                  </Text>
                )}
                <Text size="sm" mt="xs">
                  <Link to={`/profiles/${profile}/timeline?source=${upload.data.source.id}`}>See them on the timeline</Link>
                </Text>
              </Alert>
            )}
          </Stack>
        </form>
      </Card>
    </>
  );
}
