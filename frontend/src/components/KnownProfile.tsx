// The profile pages, only for a profile the signed-in person can see: any
// other id in the address gets a plain message and a way back, not the
// host's `no profile "…"`.
import { Button, Group } from "@mantine/core";
import { useEffect, useState } from "react";
import { Link, Outlet, useParams } from "react-router";
import { explainProblem } from "../lib/problems";
import { possessive } from "../profile";
import { useSession } from "../session";
import { PageHeader } from "./PageHeader";
import { Empty, Loading } from "./PageState";

export function KnownProfile() {
  const { profile = "" } = useParams();
  const { me, reload } = useSession();
  const known = me.profiles.some((p) => p.id === profile);
  // A profile shared a moment ago is not in the session yet: ask once more before saying no.
  const [asked, setAsked] = useState<string | null>(null);
  useEffect(() => {
    if (known || asked === profile) return;
    let live = true;
    void reload().finally(() => live && setAsked(profile));
    return () => {
      live = false;
    };
  }, [known, asked, profile, reload]);
  if (known) return <Outlet />;
  if (asked !== profile) return <Loading />;
  return <UnknownProfile />;
}

/** Someone's record that is not (or no longer) this person's to see. */
export function UnknownProfile() {
  const { me } = useSession();
  const { message, action } = explainProblem(404, {}, "profile");
  const first = me.profiles[0];
  return (
    <>
      <PageHeader title="Record not found" />
      <Empty
        title={message}
        action={
          <Group justify="center">
            {me.profiles.length > 1 ? (
              <Button component={Link} to="/everyone">
                Your family
              </Button>
            ) : first ? (
              <Button component={Link} to={`/profiles/${first.id}`}>
                Open {possessive(first.name)} record
              </Button>
            ) : null}
            <Button component={Link} to="/family" variant={first ? "default" : "filled"}>
              Family and sharing
            </Button>
          </Group>
        }
      >
        {action}
      </Empty>
    </>
  );
}
