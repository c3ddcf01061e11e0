import { Group, Stack, Text, Title } from "@mantine/core";
import { useEffect, useRef, type ReactNode, type RefObject } from "react";
import { useLocation } from "react-router";

/** The address the app was opened at: its heading is not focused (the browser has just loaded the page). */
let landed: string | null = null;

/** Forget where the app was opened (for tests that render page after page). */
export function resetPageFocus() {
  landed = null;
}

/**
 * After the app moves to another page without a full load, move focus to the new
 * page's heading, so a screen reader announces it and Tab starts from there.
 */
function useFocusOnNavigation(heading: RefObject<HTMLHeadingElement | null>) {
  const { pathname } = useLocation();
  useEffect(() => {
    if (landed === null) {
      landed = pathname;
      return;
    }
    if (pathname === landed) return;
    // Someone already typing in the new page keeps their place.
    const active = document.activeElement;
    if (active instanceof HTMLElement && active.closest("main") && active.matches("input, textarea, select, [contenteditable]")) return;
    heading.current?.focus({ preventScroll: true });
    landed = pathname;
  }, [pathname, heading]);
}

/** A page's title (also the document title) and, under it, whose record it is. */
export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Hearth`;
  }, [title]);
  useFocusOnNavigation(heading);
  return (
    <Group justify="space-between" align="flex-end" mb="md" wrap="wrap" gap="sm">
      <Stack gap={2}>
        <Title order={1} size="h2" ref={heading} tabIndex={-1} className="page-heading">
          {title}
        </Title>
        {subtitle && <Text c="dimmed">{subtitle}</Text>}
      </Stack>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}
