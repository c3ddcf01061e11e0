// Short notices that outlive the page that raised them ("Deleted “Weight”",
// shown on the page navigated to). They render in a root of their own, so
// any page can raise one without the app's layout knowing about it.
import { MantineProvider, Notification, Stack } from "@mantine/core";
import { createRoot, type Root } from "react-dom/client";
import { cssVariablesResolver, theme } from "../theme";

interface Notice {
  id: number;
  title?: string;
  message: string;
  color: string;
}

let notices: Notice[] = [];
let root: Root | undefined;
let next = 1;

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
          <Notification
            key={n.id}
            title={n.title}
            color={n.color}
            withBorder
            onClose={() => dismiss(n.id)}
            closeButtonProps={{ "aria-label": "Dismiss" }}
            // Mantine's grey message text is too faint on white (3.3:1).
            styles={{ description: { color: "var(--mantine-color-text)" } }}
          >
            {n.message}
          </Notification>
        ))}
      </Stack>
    </MantineProvider>
  );
}

function render() {
  root?.render(<Notices items={notices} />);
}

/** Remove a notice. */
export function dismiss(id: number) {
  notices = notices.filter((n) => n.id !== id);
  render();
}

/** Show a notice for a few seconds; returns its id. */
export function notify(message: string, { title, color = "green", ms = 8000 }: { title?: string; color?: string; ms?: number } = {}): number {
  const id = next++;
  const show = () => {
    notices = [...notices, { id, title, message, color }];
    render();
    setTimeout(() => dismiss(id), ms);
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
