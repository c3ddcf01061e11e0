// The app's frame: header with the profile switcher, navigation, content.
import { AppShell, Burger, Button, Divider, Group, NativeSelect, NavLink, ScrollArea, Text, VisuallyHidden } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useEffect, type ReactNode } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import type { MyProfile } from "../api/types";
import { rememberProfile, useSession } from "../session";

interface Item {
  to: string;
  label: string;
  show?: boolean;
}

export function Shell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { me, signOut } = useSession();
  const location = useLocation();
  // The shell sits outside the routes, so it reads the profile from the path.
  const profile = /^\/profiles\/([^/]+)/.exec(location.pathname)?.[1];
  const navigate = useNavigate();
  const current = me.profiles.find((p) => p.id === profile);
  // Someone who looks after one person sees that person's pages in the navigation everywhere.
  const shown = current ?? (me.profiles.length === 1 ? me.profiles[0] : undefined);
  const canEdit = shown?.role === "owner" || shown?.role === "editor";

  useEffect(() => {
    if (current) rememberProfile(current.id);
  }, [current]);
  useEffect(close, [location.pathname, close]);

  const base = shown ? `/profiles/${shown.id}` : null;
  const profileItems: Item[] = base
    ? [
        { to: `${base}`, label: "Health summary" },
        { to: `${base}/timeline`, label: "Timeline" },
        { to: `${base}/labs`, label: "Lab results" },
        { to: `${base}/dashboards`, label: "Dashboards" },
        { to: `${base}/recommendations`, label: "Recommendations" },
        { to: `${base}/chat`, label: "Ask your records" },
        { to: `${base}/sources`, label: "Sources" },
        { to: `${base}/add`, label: "Add a record", show: canEdit },
        { to: `${base}/upload`, label: "Upload records", show: canEdit },
        { to: `${base}/jobs`, label: "Background jobs" },
      ]
    : [];
  const appItems: Item[] = [
    { to: "/everyone", label: "Everyone", show: me.profiles.length > 1 },
    { to: "/family", label: "Family and sharing" },
    { to: "/settings", label: "Account settings" },
    { to: "/admin/users", label: "Users", show: me.user.role === "admin" },
    { to: "/admin/audit", label: "Audit log", show: me.user.role === "admin" },
    { to: "/admin/chat", label: "Chat settings", show: me.user.role === "admin" },
  ];
  const switcher = switcherFor(me.profiles, current?.id);
  const isActive = (to: string) => (to === base ? location.pathname === to : location.pathname.startsWith(to));

  // Switching profile keeps the kind of page (timeline stays timeline).
  const switchTo = (id: string) => {
    if (id === EVERYONE) {
      navigate("/everyone");
      return;
    }
    if (!id) return;
    const rest = base && location.pathname.startsWith(base) ? location.pathname.slice(base.length).split("/").slice(0, 2).join("/") : "";
    const section = ["/records", "/sources"].some((s) => rest.startsWith(s)) ? rest.split("/").slice(0, 2).join("/") : rest;
    navigate(`/profiles/${id}${section === "/records" ? "/timeline" : section}`);
  };

  const renderItems = (items: Item[]) =>
    items
      .filter((i) => i.show !== false)
      .map((i) => (
        <NavLink key={i.to} component={Link} to={i.to} label={i.label} active={isActive(i.to)} aria-current={isActive(i.to) ? "page" : undefined} />
      ));

  return (
    <AppShell header={{ height: 64 }} navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="xs">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? "Close navigation" : "Open navigation"} />
            <Text component={Link} to="/" fw={700} size="lg" c="hearth.8" td="none" visibleFrom="xs">
              Hearth
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {switcher && (
              <NativeSelect
                aria-label="Whose records"
                id="profile-switcher"
                value={switcher.value}
                onChange={(e) => switchTo(e.currentTarget.value)}
                data={switcher.options}
                w={{ base: 150, sm: 220 }}
              />
            )}
            <Button variant="subtle" size="compact-sm" onClick={() => void signOut()}>
              Sign out
              <VisuallyHidden> {me.user.display_name}</VisuallyHidden>
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          {shown && (
            <Text size="xs" tt="uppercase" fw={700} c="dimmed" px="sm" pt="xs">
              {shown.name}
            </Text>
          )}
          {renderItems(profileItems)}
          {/* One name heading only (the person's): the account's part is not headed by a name that may be the same. */}
          {shown && <Divider my="xs" />}
          {renderItems(appItems)}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

/** The switcher's choice that stands for the family page rather than one person. */
export const EVERYONE = "everyone";

/**
 * The profile switcher's options and choice. On a person's pages: that person.
 * Elsewhere, with several people: "Everyone" (the family page); with one, that one.
 */
export function switcherFor(
  profiles: MyProfile[],
  current: string | undefined,
): { value: string; options: { value: string; label: string }[] } | null {
  if (profiles.length === 0) return null;
  const people = profiles.map((p) => ({ value: p.id, label: p.role === "owner" ? p.name : `${p.name} (${p.role})` }));
  // One person: always theirs, wherever one is.
  if (profiles.length === 1) return { value: profiles[0]!.id, options: people };
  return { value: current ?? EVERYONE, options: [{ value: EVERYONE, label: "Everyone" }, ...people] };
}
