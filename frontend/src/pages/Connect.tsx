// Find a provider in the catalog and sign in at its portal (SMART App Launch).
import { Anchor, Badge, Button, Card, Group, Loader, Stack, Stepper, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import type { CatalogResult } from "../api/types";
import { AddProvider } from "../components/AddProvider";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Failure } from "../components/PageState";
import { startConnect } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function ConnectPage() {
  const { id, name } = useCurrentProfile();
  const [params] = useSearchParams();
  const welcome = params.get("welcome") === "1";
  const [q, setQ] = useState("");
  const [debounced] = useDebouncedValue(q.trim(), 250);
  const results = useQuery({
    queryKey: ["catalog", debounced],
    queryFn: () => ok(api.GET("/api/catalog", { params: { query: { q: debounced, limit: 20 } } })),
    enabled: debounced.length > 0,
    placeholderData: keepPreviousData,
  });
  const connect = useMutation({
    mutationFn: async ({ endpoint, brand }: { endpoint: string; brand: string }) => {
      const url = await startConnect(id, endpoint, brand);
      // Off to the provider's sign-in page; it sends the browser back to Hearth.
      window.location.assign(url);
    },
  });

  return (
    <>
      {welcome && (
        <Stepper active={2} size="sm" mb="lg" aria-label="Setup steps">
          <Stepper.Step label="Your account" />
          <Stepper.Step label="First person" />
          <Stepper.Step label="Connect" description="A provider's portal" />
        </Stepper>
      )}
      <PageHeader
        title={welcome ? "Connect your first provider" : "Connect a provider"}
        subtitle={`Sign in at a hospital or clinic's patient portal to bring in ${possessive(name)} records.`}
        actions={
          welcome && (
            <Button variant="subtle" component={Link} to={`/profiles/${id}`}>
              Skip for now
            </Button>
          )
        }
      />
      <Stack>
        <TextInput
          label="Search for your provider"
          description="By name, city, state or postal code. Try “Hearth Sandbox” to see how it works with made-up records."
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          rightSection={results.isFetching ? <Loader size="xs" aria-label="Searching" /> : null}
          type="search"
          data-autofocus
        />
        <Failure error={connect.error} title="Could not start connecting" />
        <div aria-live="polite">
          {debounced.length === 0 ? null : results.error ? (
            <ErrorState error={results.error} retry={() => results.refetch()} />
          ) : results.data && results.data.results.length === 0 ? (
            <Empty title={`Nothing found for “${debounced}”`}>
              Try the name on your bills or the portal's sign-in page, or just the city. You can also upload records you downloaded.
            </Empty>
          ) : results.data ? (
            <Stack gap="sm">
              <Text size="sm" c="dimmed">
                {results.data.total} {results.data.total === 1 ? "provider" : "providers"} found
              </Text>
              {results.data.results.map((brand) => (
                <BrandCard
                  key={brand.id}
                  brand={brand}
                  busy={connect.isPending}
                  onConnect={(endpoint) => connect.mutate({ endpoint, brand: brand.name })}
                />
              ))}
            </Stack>
          ) : null}
        </div>
        <AddProvider profile={id} />
        {!welcome && (
          <Text size="sm">
            Have a file from a portal instead?{" "}
            <Anchor component={Link} to={`/profiles/${id}/upload`}>
              Upload it
            </Anchor>
            .
          </Text>
        )}
      </Stack>
    </>
  );
}

function BrandCard({ brand, busy, onConnect }: { brand: CatalogResult; busy: boolean; onConnect: (endpoint: string) => void }) {
  const place = brand.locations
    .map((l) => [l.city, l.state].filter(Boolean).join(", "))
    .filter(Boolean)
    .slice(0, 2)
    .join("; ");
  return (
    <Card withBorder component="article" aria-label={brand.name}>
      <Stack gap="xs">
        <div>
          <Text fw={600}>{brand.name}</Text>
          {place && (
            <Text size="sm" c="dimmed">
              {place}
            </Text>
          )}
        </div>
        {brand.portals.map((portal) => (
          <Group key={portal.id} justify="space-between" wrap="wrap" gap="xs">
            <Text size="sm">{portal.name}</Text>
            <Group gap="xs">
              {portal.endpoints.map((e) => (
                <Button
                  key={e.id}
                  size="xs"
                  onClick={() => onConnect(e.id)}
                  disabled={busy}
                  aria-label={`Connect ${portal.name}${portal.endpoints.length > 1 ? ` (FHIR ${e.fhir_version})` : ""}`}
                >
                  Connect
                  {portal.endpoints.length > 1 && (
                    <Badge ml={6} size="xs" variant="white">
                      {e.fhir_version}
                    </Badge>
                  )}
                </Button>
              ))}
            </Group>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
