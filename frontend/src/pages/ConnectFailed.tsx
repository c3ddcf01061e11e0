// Where the provider's redirect lands when connecting did not work.
import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { Link, useSearchParams } from "react-router";
import { PageHeader } from "../components/PageHeader";
import { Details } from "../components/PageState";
import { explainProblem, isKnownKind } from "../lib/problems";

/** Said better here than in general: the person has just come back from the provider. */
const KINDS: Record<string, string> = {
  "access-denied": "You (or the provider) declined to share the records, so nothing was connected.",
  "other-patient": "You signed in as a different patient than this source was connected with.",
};

export default function ConnectFailedPage() {
  const [params] = useSearchParams();
  const kind = params.get("kind") ?? "";
  const detail = params.get("detail");
  const profile = params.get("profile");
  const known = isKnownKind(kind);
  const explained = explainProblem(0, { type: `urn:hearth:problem:${kind}` });
  return (
    <>
      <PageHeader title="Not connected" />
      <Stack maw={640}>
        <Alert color="orange" role="alert" title={KINDS[kind] ?? (known ? explained.message : "Connecting to the provider did not finish.")}>
          <Stack gap={4}>
            <Text size="sm">{known ? explained.action : "Try connecting again."}</Text>
            {/* What the provider said is its own words, often technical: under Details. */}
            <Details lines={[detail ? `The provider said: ${detail}` : null, kind ? `Problem: ${kind}` : null]} />
          </Stack>
        </Alert>
        <Group>
          {profile && (
            <Button component={Link} to={`/profiles/${profile}/sources/connect`}>
              Try again
            </Button>
          )}
          <Button variant="default" component={Link} to={profile ? `/profiles/${profile}/sources` : "/"}>
            Back to sources
          </Button>
        </Group>
      </Stack>
    </>
  );
}
