// Who is signed in, and the profiles they can see.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, type ReactNode } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, ok, onSignedOut } from "./api/client";
import type { Me, MyProfile } from "./api/types";

interface SessionValue {
  me: Me;
  /** Reload who we are (after a change to profiles or the account). */
  reload: () => Promise<unknown>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

/** The signed-in person; only under [`SessionProvider`]. */
export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}

/** Query key of `/api/me`. */
export const ME = ["me"] as const;

/** Fetch `/api/me`; null when not signed in. */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await ok(api.GET("/api/me"));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function useMe() {
  return useQuery({ queryKey: ME, queryFn: fetchMe, staleTime: 30_000 });
}

/** Provides the session to signed-in pages; sends everyone else to sign in. */
export function SessionProvider({ me, children }: { me: Me; children: ReactNode }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const reload = useCallback(() => client.invalidateQueries({ queryKey: ME }), [client]);
  const signOut = useCallback(async () => {
    try {
      await api.POST("/api/auth/sign-out");
    } finally {
      client.clear();
      navigate("/sign-in", { replace: true });
    }
  }, [client, navigate]);
  useEffect(
    () =>
      onSignedOut(() => {
        client.setQueryData(ME, null);
        navigate(`/sign-in?expired=1`, { replace: true });
      }),
    [client, navigate],
  );
  return <SessionContext.Provider value={{ me, reload, signOut }}>{children}</SessionContext.Provider>;
}

const LAST_PROFILE = "hearth.profile";

/** Remember the last profile looked at, so the app reopens on it. */
export function rememberProfile(id: string) {
  try {
    localStorage.setItem(LAST_PROFILE, id);
  } catch {
    /* private mode: nothing to remember */
  }
}

/** The profile to open: the last one looked at if still visible, else the first. */
export function defaultProfile(profiles: MyProfile[]): MyProfile | undefined {
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_PROFILE);
  } catch {
    last = null;
  }
  return profiles.find((p) => p.id === last) ?? profiles.find((p) => p.role === "owner") ?? profiles[0];
}
