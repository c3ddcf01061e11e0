// The app's frame: header with the profile switcher, navigation, content.
import { AppShell, Burger, Button, Group, NativeSelect, NavLink, ScrollArea, Text, VisuallyHidden } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useEffect, type ReactNode } from "react";
import { Link, useLocation, useNavigate } from "react-router";
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
  const canEdit = current?.role === "owner" || current?.role === "editor";

  useEffect(() => {
    if (current) rememberProfile(current.id);
  }, [current]);
  useEffect(close, [location.pathname, close]);

  const base = current ? `/profiles/${current.id}` : null;
  const profileItems: Item[] = base
    ? [
        { to: `${base}`, label: "Overview" },
        { to: `${base}/timeline`, label: "Timeline" },
        { to: `${base}/labs`, label: "Lab results" },
        { to: `${base}/sources`, label: "Sources" },
        { to: `${base}/add`, label: "Add a record", show: canEdit },
        { to: `${base}/upload`, label: "Upload records", show: canEdit },
        { to: `${base}/jobs`, label: "Background jobs" },
      ]
    : [];
  const appItems: Item[] = [
    { to: "/family", label: "Family and sharing" },
    { to: "/settings", label: "Account settings" },
    { to: "/admin/users", label: "Users", show: me.user.role === "admin" },
    { to: "/admin/audit", label: "Audit log", show: me.user.role === "admin" },
  ];
  const isActive = (to: string) => (to === base ? location.pathname === to : location.pathname.startsWith(to));

  // Switching profile keeps the kind of page (timeline stays timeline).
  const switchTo = (id: string) => {
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
            {me.profiles.length > 0 && (
              <NativeSelect
                aria-label="Whose records"
                id="profile-switcher"
                value={current?.id ?? ""}
                onChange={(e) => switchTo(e.currentTarget.value)}
                data={[
                  ...(current ? [] : [{ value: "", label: "Choose a person" }]),
                  ...me.profiles.map((p) => ({ value: p.id, label: p.role === "owner" ? p.name : `${p.name} (${p.role})` })),
                ]}
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
          {current && (
            <Text size="xs" tt="uppercase" fw={700} c="dimmed" px="sm" pt="xs">
              {current.name}
            </Text>
          )}
          {renderItems(profileItems)}
          <Text size="xs" tt="uppercase" fw={700} c="dimmed" px="sm" pt="md">
            {me.user.display_name}
          </Text>
          {renderItems(appItems)}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
