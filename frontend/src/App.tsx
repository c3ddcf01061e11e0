import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { ApiError, api, ok } from "./api/client";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { KnownProfile } from "./components/KnownProfile";
import { Shell } from "./components/Shell";
import { ErrorState, Loading } from "./components/PageState";
import { SessionProvider, defaultProfile, useMe } from "./session";
import { cssVariablesResolver, theme } from "./theme";
import { SetupPage } from "./pages/Setup";
import { SignInPage, SignUpPage } from "./pages/SignIn";
import { NotFound } from "./pages/NotFound";
// The pages people open first come with the app's code: a lazy chunk would
// be one more round trip before the first record shows.
import Overview from "./pages/Overview";
import Timeline from "./pages/Timeline";

const Sources = lazy(() => import("./pages/Sources"));
const Connect = lazy(() => import("./pages/Connect"));
const SourceDetail = lazy(() => import("./pages/SourceDetail"));
const RecordDetail = lazy(() => import("./pages/RecordDetail"));
const Labs = lazy(() => import("./pages/Labs"));
const LabTest = lazy(() => import("./pages/LabTest"));
const Dashboards = lazy(() => import("./pages/Dashboards"));
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Recommendations = lazy(() => import("./pages/Recommendations"));
const Chat = lazy(() => import("./pages/Chat"));
const ChatSettings = lazy(() => import("./pages/ChatSettings"));
const AddRecord = lazy(() => import("./pages/AddRecord"));
const Upload = lazy(() => import("./pages/Upload"));
const Jobs = lazy(() => import("./pages/Jobs"));
const Family = lazy(() => import("./pages/Family"));
const Everyone = lazy(() => import("./pages/Everyone"));
const Invite = lazy(() => import("./pages/Invite"));
const Settings = lazy(() => import("./pages/Settings"));
const Users = lazy(() => import("./pages/Users"));
const Audit = lazy(() => import("./pages/Audit"));
const Removed = lazy(() => import("./pages/Removed"));
const ConnectFailed = lazy(() => import("./pages/ConnectFailed"));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal will not change by asking again; a network blip might.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

export function App() {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Gate />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}

/** Decides between first-run setup, sign-in and the app. */
function Gate() {
  const location = useLocation();
  const setup = useQuery({ queryKey: ["setup"], queryFn: () => ok(api.GET("/api/setup")), staleTime: Infinity });
  const me = useMe();
  if (setup.isPending || me.isPending) return <Loading label="Opening Hearth…" />;
  if (setup.error)
    return (
      <Centered>
        <ErrorState error={setup.error} retry={() => setup.refetch()} />
      </Centered>
    );
  if (me.error)
    return (
      <Centered>
        <ErrorState error={me.error} retry={() => me.refetch()} />
      </Centered>
    );
  if (setup.data.setup_needed) {
    return location.pathname === "/setup" ? <SetupPage /> : <Navigate to="/setup" replace />;
  }
  if (!me.data) {
    // An invitation link: its page makes the account, no sign-in first.
    if (location.pathname.startsWith("/invite/"))
      return (
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/invite/:token" element={<Invite />} />
          </Routes>
        </Suspense>
      );
    if (location.pathname === "/sign-in") return <SignInPage signupAllowed={setup.data.signup_allowed} />;
    if (location.pathname === "/sign-up" && setup.data.signup_allowed) return <SignUpPage />;
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  const home = defaultProfile(me.data.profiles);
  // Just signed in (or set up): on to where they were going.
  if (location.pathname === "/setup") return <Navigate to={home ? `/profiles/${home.id}/sources/connect?welcome=1` : "/"} replace />;
  if (location.pathname === "/sign-in" || location.pathname === "/sign-up") {
    return <Navigate to={safeNext(new URLSearchParams(location.search).get("next"))} replace />;
  }
  return (
    <SessionProvider me={me.data}>
      <Shell>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route
                path="/"
                element={
                  // One person: their summary; a family: everyone at a glance.
                  me.data.profiles.length > 1 ? (
                    <Navigate to="/everyone" replace />
                  ) : home ? (
                    <Navigate to={`/profiles/${home.id}`} replace />
                  ) : (
                    <Navigate to="/family" replace />
                  )
                }
              />
              <Route path="/everyone" element={<Everyone />} />
              <Route path="/invite/:token" element={<Invite me={me.data} />} />
              {/* Only profiles the signed-in person can see; any other id gets a plain "not here". */}
              <Route path="/profiles/:profile" element={<KnownProfile />}>
                <Route index element={<Overview />} />
                <Route path="sources" element={<Sources />} />
                <Route path="sources/connect" element={<Connect />} />
                <Route path="sources/:source" element={<SourceDetail />} />
                <Route path="timeline" element={<Timeline />} />
                <Route path="records/:type/:id" element={<RecordDetail />} />
                <Route path="labs" element={<Labs />} />
                <Route path="labs/test" element={<LabTest />} />
                <Route path="dashboards" element={<Dashboards />} />
                <Route path="dashboards/:dashboard" element={<Dashboard />} />
                <Route path="recommendations" element={<Recommendations />} />
                <Route path="chat" element={<Chat />} />
                <Route path="add" element={<AddRecord />} />
                <Route path="add/:type" element={<AddRecord />} />
                <Route path="upload" element={<Upload />} />
                <Route path="jobs" element={<Jobs />} />
                <Route path="removed" element={<Removed />} />
                <Route path="*" element={<NotFound />} />
              </Route>
              <Route path="/connect/failed" element={<ConnectFailed />} />
              <Route path="/family" element={<Family />} />
              <Route path="/settings" element={<Settings />} />
              <Route path="/admin/users" element={<Users />} />
              <Route path="/admin/audit" element={<Audit />} />
              <Route path="/admin/chat" element={<ChatSettings />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </Shell>
    </SessionProvider>
  );
}

/** Only same-site paths are followed after signing in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function Centered({ children }: { children: React.ReactNode }) {
  return <div style={{ maxWidth: 560, margin: "4rem auto", padding: "0 1rem" }}>{children}</div>;
}
