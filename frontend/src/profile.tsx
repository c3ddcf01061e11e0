// The profile a page is about, from the URL.
import { useParams } from "react-router";
import type { MyProfile } from "./api/types";
import { useSession } from "./session";

export interface CurrentProfile {
  id: string;
  profile: MyProfile | undefined;
  /** Whether the signed-in person may change this profile's records. */
  canEdit: boolean;
  /** Whether they own it (sharing, deleting). */
  isOwner: boolean;
  /** "Ann" */
  name: string;
}

/** The profile named by the `:profile` route parameter. */
export function useCurrentProfile(): CurrentProfile {
  const { profile: id = "" } = useParams();
  const { me } = useSession();
  const profile = me.profiles.find((p) => p.id === id);
  const role = profile?.role;
  return {
    id,
    profile,
    canEdit: role === "owner" || role === "editor",
    isOwner: role === "owner",
    name: profile?.name ?? "this profile",
  };
}

/** "Ann's" — whose record a page shows. */
export function possessive(name: string): string {
  return name.endsWith("s") ? `${name}'` : `${name}'s`;
}
