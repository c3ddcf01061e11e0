import { Alert, Button, Card, Code, FileInput, Group, List, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { ApiError, api, errorText } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { typeName } from "../lib/fhir";
import { formatCount, formatDate } from "../lib/format";
import { documentMediaType, explainUploadProblem, isDocument, nameFromFile, personText, uploadMediaType } from "../lib/upload";
import { possessive, useCurrentProfile } from "../profile";

interface Stored {
  kind: "records";
  data: {
    source: { id: string };
    resources: number;
    by_type: Record<string, number>;
    fhir_version: string;
  };
}
interface Kept {
  kind: "document";
  id: string;
  title: string;
}

export default function UploadPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [label, setLabel] = useState("");
  const upload = useMutation({
    mutationFn: async ({ f, confirm }: { f: File; confirm?: boolean }): Promise<Stored | Kept> => {
      const title = label.trim() || nameFromFile(f.name);
      if (isDocument(f)) {
        const { data, error, response } = await api.POST("/api/profiles/{profile}/attachments", {
          params: { path: { profile }, query: { title } },
          body: f as never,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { "Content-Type": documentMediaType(f) },
        });
        if (!response.ok || !data) throw new ApiError(response.status, (error ?? {}) as never);
        return { kind: "document", id: String((data as { id?: string }).id ?? ""), title };
      }
      const { data, error, response } = await api.POST("/api/profiles/{profile}/imports", {
        params: { path: { profile }, query: { name: title, ...(confirm ? { confirm_person: true } : {}) } },
        body: f as never,
        bodySerializer: (b: unknown) => b as BodyInit,
        headers: { "Content-Type": uploadMediaType(f) },
      });
      if (!response.ok || !data) throw new ApiError(response.status, (error ?? {}) as never);
      return { kind: "records", data };
    },
    onSuccess: () => {
      for (const key of ["sources", "timeline", "labs", "summary", "family"]) void client.invalidateQueries({ queryKey: [key] });
    },
  });
  const refused = upload.error instanceof ApiError ? upload.error : null;
  const otherPerson = refused?.problem.type === "urn:hearth:problem:different-person" ? refused.problem : null;
  const problem = refused && !otherPerson && !(file && isDocument(file)) ? explainUploadProblem(refused.status, refused.problem) : null;
  const done = upload.data;

  if (!canEdit) return <Alert color="gray">You can look at {possessive(name)} records but not add to them.</Alert>;
  return (
    <>
      <PageHeader title="Upload records" subtitle={`Add a file of records or a document to ${possessive(name)} profile`} />
      <Card withBorder maw={640}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (file) upload.mutate({ f: file });
          }}
        >
          <Stack>
            <Text size="sm">
              Patient portals and apps can export a FHIR Bundle (<Code>.json</Code>) or NDJSON (<Code>.ndjson</Code>). The whole file is checked
              first: if any entry is wrong, nothing is imported and you see which one. A letter or a scan (PDF or picture) is kept as a document.
            </Text>
            <FileInput
              label="File"
              placeholder="Choose a file"
              accept=".json,.ndjson,.jsonl,application/json,application/fhir+json,.pdf,application/pdf,image/png,image/jpeg,image/gif,image/webp"
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
              label={file && isDocument(file) ? "What is this document?" : "Name for these records"}
              description={
                file ? `Optional; “${nameFromFile(file.name)}” if left empty.` : "Shown as the source, e.g. “Clinic export, March 2024”. Optional."
              }
              value={label}
              onChange={(e) => setLabel(e.currentTarget.value)}
            />
            <Group>
              <Button type="submit" disabled={!file} loading={upload.isPending && !otherPerson}>
                Upload
              </Button>
            </Group>
            {otherPerson && file && (
              <Alert color="orange" title={`Is this ${possessive(name)} file?`} role="alert" data-testid="different-person">
                <Stack gap="xs">
                  <Text size="sm">
                    This file is about <strong>{personText(otherPerson.patient as never, formatDate)}</strong>, which does not match {name}. Nothing
                    has been stored.
                  </Text>
                  <Group>
                    <Button onClick={() => upload.mutate({ f: file, confirm: true })} loading={upload.isPending}>
                      Store it in {possessive(name)} record anyway
                    </Button>
                    <Button
                      variant="default"
                      onClick={() => {
                        setFile(null);
                        upload.reset();
                      }}
                    >
                      Choose another file
                    </Button>
                  </Group>
                </Stack>
              </Alert>
            )}
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
                  {problem.fixEntry && <Text size="sm">Fix that entry (or ask whoever made the file), then upload it again.</Text>}
                </Stack>
              </Alert>
            )}
            {upload.error && !problem && !otherPerson && (
              <Alert color="red" role="alert">
                {errorText(upload.error)}
              </Alert>
            )}
            {done?.kind === "document" && (
              <Alert color="green" title={`Kept “${done.title}” as a document`} role="status">
                <Text size="sm">
                  <Link to={`/profiles/${profile}/records/DocumentReference/${encodeURIComponent(done.id)}`}>Open it</Link>
                </Text>
              </Alert>
            )}
            {done?.kind === "records" && (
              <Alert color="green" title={`Imported ${formatCount(done.data.resources)} records`} role="status">
                <List size="sm">
                  {Object.entries(done.data.by_type).map(([t, n]) => (
                    <List.Item key={t}>
                      {typeName(t, n !== 1)}: {formatCount(n)}
                    </List.Item>
                  ))}
                </List>
                {done.data.fhir_version === "3.0" && (
                  <Text size="sm" mt="xs">
                    The file was in FHIR DSTU3 (the older version); Hearth converted every record to R4.
                  </Text>
                )}
                <Text size="sm" mt="xs">
                  <Link to={`/profiles/${profile}/timeline?source=${done.data.source.id}`}>See them on the timeline</Link>
                </Text>
              </Alert>
            )}
          </Stack>
        </form>
      </Card>
    </>
  );
}
