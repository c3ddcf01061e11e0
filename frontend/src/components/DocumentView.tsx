// A document's file on its record page: a PDF in a frame, a picture as an
// image, a note's text as text, and a link to download the file.
import { Alert, Anchor, Button, Card, Group, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError, authFetch } from "../api/client";
import type { Resource } from "../api/types";
import { attachmentOf, attachmentPath, binaryId, decodeText, documentKind, downloadName } from "../lib/documents";
import { formatCount } from "../lib/format";
import { Loading } from "./PageState";

/** Ask for a stored file through the session (refreshing it when needed): the bytes, or for `head` only whether it is there. */
async function fetchFile(path: string, head: boolean): Promise<Blob | null> {
  const r = await authFetch(new Request(new URL(path, location.origin), { method: head ? "HEAD" : "GET" }));
  if (!r.ok) {
    const problem = head ? {} : await r.json().catch(() => ({}));
    throw new ApiError(r.status, problem);
  }
  return head ? null : r.blob();
}

/** An object URL for a blob while the component shows it. */
function useObjectUrl(blob: Blob | null | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob) return;
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => {
      URL.revokeObjectURL(u);
      setUrl(undefined);
    };
  }, [blob]);
  return url;
}

export function DocumentView({ profile, resource, title }: { profile: string; resource: Resource; title: string }) {
  const file = attachmentOf(resource);
  const kind = documentKind(file?.contentType);
  const binary = binaryId(file?.url);
  const path = binary ? attachmentPath(profile, binary) : undefined;
  // A PDF loads in its frame by address (the session cookie goes along); checking first refreshes an
  // expired session and turns a missing file into words instead of an error page inside the frame.
  const stored = useQuery({
    queryKey: ["attachment", profile, binary, kind === "image" ? "bytes" : "check"],
    queryFn: () => fetchFile(path!, kind !== "image"),
    enabled: !!path,
    staleTime: Infinity,
  });
  const imageUrl = useObjectUrl(kind === "image" ? stored.data : undefined);
  const inline = !path && file?.data ? file.data : undefined;
  const name = downloadName(file?.title ?? title, file?.contentType);

  let body;
  if (!file) body = <Text c="dimmed">This document has no file in it.</Text>;
  else if (inline) {
    const text = kind === "text" ? decodeText(inline) : undefined;
    body =
      text !== undefined ? (
        <Text style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>{text}</Text>
      ) : kind === "image" ? (
        <img src={`data:${file.contentType};base64,${inline}`} alt={title} style={{ maxWidth: "100%", height: "auto" }} />
      ) : (
        <Text c="dimmed">This file cannot be shown here; download it to open it.</Text>
      );
  } else if (!path) {
    body = <Text c="dimmed">The file is kept elsewhere{file.url ? ` (${file.url})` : ""}; Hearth does not have a copy.</Text>;
  } else if (stored.isPending) body = <Loading label="Loading the document…" />;
  else if (stored.error) {
    const missing = stored.error instanceof ApiError && stored.error.status === 404;
    body = (
      <Alert color="red" role="alert" title="The file could not be loaded">
        {missing ? "Hearth does not have this file." : "Try again in a moment."}
      </Alert>
    );
  } else if (kind === "pdf") {
    body = <iframe src={path} title={`${title} (PDF)`} className="document-frame" style={{ width: "100%", height: "75vh", border: 0 }} />;
  } else if (kind === "image") {
    body = imageUrl ? <img src={imageUrl} alt={title} style={{ maxWidth: "100%", height: "auto", display: "block" }} /> : null;
  } else body = <Text c="dimmed">This kind of file cannot be shown here; download it to open it.</Text>;

  const href = path ?? (inline ? `data:${file?.contentType ?? "application/octet-stream"};base64,${inline}` : undefined);
  return (
    <Card withBorder component="section" aria-labelledby="document-title">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={2} size="h5" id="document-title">
          The document
        </Title>
        {href && (
          <Group gap="xs">
            {file?.size !== undefined && (
              <Text size="sm" c="dimmed">
                {formatCount(Math.max(1, Math.round(file.size / 1024)))} KB
              </Text>
            )}
            <Button size="xs" variant="default" component="a" href={href} download={name}>
              Download
            </Button>
          </Group>
        )}
      </Group>
      {body}
      {kind === "pdf" && path && !stored.error && !stored.isPending && (
        <Text size="xs" c="dimmed" mt={4}>
          No PDF viewer in this browser?{" "}
          <Anchor href={path} target="_blank" rel="noopener" underline="always">
            Open it in a new tab
          </Anchor>
          .
        </Text>
      )}
    </Card>
  );
}
