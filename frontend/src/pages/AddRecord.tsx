import { Alert, Card, SimpleGrid, Text, UnstyledButton } from "@mantine/core";
import { Link, useParams } from "react-router";
import { PageHeader } from "../components/PageHeader";
import { RecordFormView } from "../components/RecordForm";
import { FORMS, formFor } from "../lib/manual";
import { possessive, useCurrentProfile } from "../profile";

export default function AddRecordPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const { type } = useParams();
  const form = formFor(type);
  if (!canEdit) return <Alert color="gray">You can look at {possessive(name)} records but not add to them.</Alert>;
  if (!form) {
    return (
      <>
        <PageHeader title="Add a record" subtitle={`Type in something that is not in ${possessive(name)} records yet`} />
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {FORMS.map((f) => (
            <li key={f.type}>
              <UnstyledButton component={Link} to={`/profiles/${profile}/add/${f.type}`} w="100%" h="100%">
                <Card withBorder h="100%">
                  <Text fw={600}>{f.title}</Text>
                  <Text size="sm" c="dimmed">
                    {f.intro}
                  </Text>
                </Card>
              </UnstyledButton>
            </li>
          ))}
        </SimpleGrid>
      </>
    );
  }
  return <RecordFormView key={form.type} form={form} profile={profile} who={name} />;
}
