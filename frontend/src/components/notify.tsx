// Short notices that outlive the page that raised them ("Deleted “Weight”",
// shown on the page navigated to). They render in a root of their own, so
// any page can raise one without the app's layout knowing about it.
import { Button, Group, MantineProvider, Notification, Stack, Text } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { createRoot, type Root } from "react-dom/client";
import { errorText } from "../api/client";
import { cssVariablesResolver, theme } from "../theme";

/** Something a notice offers to do ("Undo"); the notice goes once it is done. */
export interface NoticeAction {
  label: string;
  run: () => Promise<unknown> | void;
}

interface Notice {
  id: number;
  title?: string;
  message: string;
  color: string;
  ms: number;
  action?: NoticeAction;
}

let notices: Notice[] = [];
let root: Root | undefined;
let next = 1;

/** One notice: it goes by itself after its time, but not while the pointer or the focus is on it. */
function NoticeItem({ notice }: { notice: Notice }) {
  const [held, setHeld] = useState(false);
  const [running, setRunning] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const focused = useRef(false);
  const hovered = useRef(false);
  const hold = () => setHeld(focused.current || hovered.current);
  useEffect(() => {
    if (held || running || failed) return;
    const timer = setTimeout(() => dismiss(notice.id), notice.ms);
    return () => clearTimeout(timer);
  }, [held, running, failed, notice.id, notice.ms]);
  const act = async () => {
    if (!notice.action) return;
    setRunning(true);
    setFailed(null);
    try {
      await notice.action.run();
      dismiss(notice.id);
    } catch (e) {
      setFailed(errorText(e));
      setRunning(false);
    }
  };
  return (
    <Notification
      title={notice.title}
      color={failed ? "red" : notice.color}
      withBorder
      onClose={() => dismiss(notice.id)}
      closeButtonProps={{ "aria-label": "Dismiss" }}
      onMouseEnter={() => {
        hovered.current = true;
        hold();
      }}
      onMouseLeave={() => {
        hovered.current = false;
        hold();
      }}
      onFocus={() => {
        focused.current = true;
        hold();
      }}
      onBlur={() => {
        focused.current = false;
        hold();
      }}
      // Mantine's grey message text is too faint on white (3.3:1).
      styles={{ description: { color: "var(--mantine-color-text)" } }}
    >
      {notice.message}
      {failed && (
        <Text size="sm" c="red.9" mt={4}>
          Not done: {failed}
        </Text>
      )}
      {notice.action && (
        <Group mt="xs">
          <Button size="compact-sm" variant="default" loading={running} onClick={() => void act()}>
            {notice.action.label}
          </Button>
        </Group>
      )}
    </Notification>
  );
}

function Notices({ items }: { items: Notice[] }) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} withGlobalClasses={false}>
      {/* A live region that exists before anything is announced in it. */}
      <Stack
        role="status"
        aria-live="polite"
        gap="xs"
        data-testid="notices"
        style={{ position: "fixed", right: 16, bottom: 16, zIndex: 400, width: 360, maxWidth: "calc(100vw - 32px)" }}
      >
        {items.map((n) => (
          <NoticeItem key={n.id} notice={n} />
        ))}
      </Stack>
    </MantineProvider>
  );
}

function render() {
  root?.render(<Notices items={notices} />);
}

/** Remove every notice (between tests). */
export function dismissAll() {
  notices = [];
  render();
}

/** Remove a notice. */
export function dismiss(id: number) {
  notices = notices.filter((n) => n.id !== id);
  render();
}

/**
 * Show a notice for a few seconds (longer when it offers something to do); returns its id.
 * With `action`, a button runs it; a failure is said in the notice, which then stays.
 */
export function notify(
  message: string,
  { title, color = "green", ms, action }: { title?: string; color?: string; ms?: number; action?: NoticeAction } = {},
): number {
  const id = next++;
  const show = () => {
    notices = [...notices, { id, title, message, color, action, ms: ms ?? (action ? 20_000 : 8000) }];
    render();
  };
  if (root) show();
  else {
    const el = document.createElement("div");
    el.id = "hearth-notices";
    document.body.appendChild(el);
    root = createRoot(el);
    render();
    // The empty region first, then what it says: screen readers announce changes, not arrivals.
    setTimeout(show, 50);
  }
  return id;
}
