// Connect a provider that is not in the catalog: look at its FHIR address,
// show what Hearth found, then sign in there (or, for an open server, give
// the patient id).
import { Alert, Button, Card, Group, List, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, ok } from "../api/client";
import { connectHow, startConnect } from "../lib/sources";
import { Details, Failure } from "./PageState";

export function AddProvider({ profile }: { profile: string }) {
  const [url, setUrl] = useState("");
  const [patient, setPatient] = useState("");
  const navigate = useNavigate();
  const client = useQueryClient();
  const discover = useMutation({
    mutationFn: (address: string) =>
      ok(api.POST("/api/profiles/{profile}/providers/discover", { params: { path: { profile } }, body: { url: address } })),
  });
  const connect = useMutation({
    mutationFn: async ({ base, name }: { base: string; name?: string }) => {
      const authorize = await startConnect(profile, { url: base }, name);
      window.location.assign(authorize);
    },
  });
  const addOpen = useMutation({
    mutationFn: ({ base, name }: { base: string; name?: string }) =>
      ok(
        api.POST("/api/profiles/{profile}/sources", {
          params: { path: { profile } },
          body: { fhir_base_url: base, patient_id: patient.trim(), ...(name ? { name } : {}) },
        }),
      ),
    onSuccess: (source) => {
      void client.invalidateQueries({ queryKey: ["sources", profile] });
      navigate(`/profiles/${profile}/sources/${source.id}`);
    },
  });
  const found = discover.data;
  return (
    <Card withBorder component="section" aria-labelledby="add-provider-title">
      <Stack gap="sm">
        <Text fw={600} id="add-provider-title">
          Not in the list? Add a provider by its address
        </Text>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) discover.mutate(url.trim());
          }}
        >
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="FHIR address"
              description="The provider's FHIR base URL, for example https://fhir.example-clinic.org/r4"
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              type="url"
              style={{ flex: 1, minWidth: 240 }}
            />
            <Button type="submit" loading={discover.isPending} variant="light">
              Look it up
            </Button>
          </Group>
        </form>
        <Failure error={discover.error} title="Could not look at that address" />
        {found && (
          <Stack gap="xs" aria-live="polite">
            <Text fw={600}>{found.name ?? found.fhir_base_url}</Text>
            <List size="sm">
              <List.Item>Address: {found.fhir_base_url}</List.Item>
              <List.Item>FHIR version: {found.fhir_version ?? "not said"}</List.Item>
              {found.authorization_endpoint && <List.Item>Sign-in at: {new URL(found.authorization_endpoint).host}</List.Item>}
              {found.scopes_supported.length > 0 && (
                <List.Item>
                  Offers {found.scopes_supported.length} kinds of access
                  {found.scopes_supported.includes("offline_access") ? ", including staying connected" : ""}
                </List.Item>
              )}
            </List>
            <Text size="sm">{connectHow(found.connect)}</Text>
            {found.connect === "none" && (
              <Alert color="yellow" role="alert">
                <Stack gap={4}>
                  <Text size="sm">
                    {/registration|client/i.test(found.problem ?? "")
                      ? "Hearth would have to be registered with this provider first, and this Hearth has no registration for it."
                      : "Hearth cannot connect to this provider as it is set up."}{" "}
                    The administrator can change that; the details say what is missing.
                  </Text>
                  <Details lines={[found.problem]} />
                </Stack>
              </Alert>
            )}
            {(found.connect === "smart" || found.connect === "smart-register") && (
              <Group>
                <Button onClick={() => connect.mutate({ base: found.fhir_base_url, name: found.name ?? undefined })} loading={connect.isPending}>
                  Connect {found.name ?? "this provider"}
                </Button>
              </Group>
            )}
            {found.connect === "open" && (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  if (patient.trim()) addOpen.mutate({ base: found.fhir_base_url, name: found.name ?? undefined });
                }}
              >
                <Group align="flex-end" wrap="wrap">
                  <TextInput label="Patient id on that server" value={patient} onChange={(e) => setPatient(e.currentTarget.value)} />
                  <Button type="submit" loading={addOpen.isPending}>
                    Add
                  </Button>
                </Group>
              </form>
            )}
            <Failure error={connect.error ?? addOpen.error} title="Could not connect" />
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
