// Where the provider's redirect lands when connecting did not work.
import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { Link, useSearchParams } from "react-router";
import { PageHeader } from "../components/PageHeader";

const KINDS: Record<string, string> = {
  "access-denied": "You (or the provider) declined to share the records, so nothing was connected.",
  "unknown-state": "This sign-in link was already used or has expired. Start connecting again.",
  "other-patient": "You signed in as a different patient than this source was connected with.",
  "provider-refused": "The provider did not accept Hearth's request.",
  "provider-unreachable": "Hearth could not reach the provider. Try again later.",
};

export default function ConnectFailedPage() {
  const [params] = useSearchParams();
  const kind = params.get("kind") ?? "";
  const detail = params.get("detail");
  const profile = params.get("profile");
  return (
    <>
      <PageHeader title="Not connected" />
      <Stack maw={640}>
        <Alert color="orange" role="alert" title={KINDS[kind] ?? "Connecting to the provider did not finish."}>
          {detail && <Text size="sm">The provider said: {detail}</Text>}
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
