// Find a provider in the catalog and sign in at its portal (SMART App Launch).
import { Anchor, Badge, Button, Card, Group, Loader, Stack, Stepper, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import type { CatalogResult } from "../api/types";
import { AddProvider } from "../components/AddProvider";
import { PageHeader } from "../components/PageHeader";
import { Empty, ErrorState, Failure } from "../components/PageState";
import { formatCount } from "../lib/format";
import { startConnect } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";
import { useSession } from "../session";

/** A catalog with fewer brands than this is the sandbox alone (or little more): the full list was never loaded. */
export const SMALL_CATALOG = 10;

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
            <NothingFound searched={debounced} />
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

/**
 * No provider matched: say what was searched and, when the catalog is small
 * (only the sandbox is installed), that the full provider list is still to be
 * loaded, and by whom.
 */
function NothingFound({ searched }: { searched: string }) {
  const { me } = useSession();
  const client = useQueryClient();
  const admin = me.user.role === "admin";
  // With no words, the catalog answers how many brands it holds.
  const size = useQuery({
    queryKey: ["catalog-size"],
    queryFn: () => ok(api.GET("/api/catalog", { params: { query: { q: "", limit: 5 } } })),
    staleTime: 60_000,
  });
  const reload = useMutation({
    mutationFn: () => ok(api.POST("/api/admin/catalog/reload")),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["catalog"] });
      void client.invalidateQueries({ queryKey: ["catalog-size"] });
    },
  });
  const small = size.data !== undefined && size.data.total < SMALL_CATALOG;
  const total = size.data?.total ?? 0;
  const names = (size.data?.results ?? []).map((b) => `“${b.name}”`).join(", ");
  if (!small) {
    return (
      <Empty title={`No provider found for “${searched}”`}>
        Try the name on your bills or the portal's sign-in page, or just the city. You can also add a provider by its address below, or upload records
        you downloaded.
      </Empty>
    );
  }
  return (
    <Empty
      title={`No provider found for “${searched}”`}
      action={
        <Stack gap="xs" align="center">
          {admin && (
            <Button size="xs" variant="default" onClick={() => reload.mutate()} loading={reload.isPending}>
              Reload the provider list
            </Button>
          )}
          {reload.data && (
            <Text size="sm" role="status">
              The list now has {formatCount(reload.data.brands)} {reload.data.brands === 1 ? "provider" : "providers"}
              {reload.data.brands < SMALL_CATALOG ? ": still only a few. Import the full list on the server first." : ". Search again."}
            </Text>
          )}
          <Failure error={reload.error} title="The list was not reloaded" />
        </Stack>
      }
    >
      <span data-testid="catalog-small">
        This Hearth's list of providers is nearly empty:{" "}
        {total === 0 ? "it has none" : total === 1 ? `it has only ${names}` : `it has only ${total}: ${names}`}. The full list has not been loaded
        yet.{" "}
        {admin
          ? "You can load it as the administrator: run “hearth catalog import” on the server, then reload the list here."
          : "Ask the person who looks after this Hearth to load the full list."}{" "}
        Meanwhile, you can add a provider by its FHIR address below, or upload records you downloaded.
      </span>
    </Empty>
  );
}
