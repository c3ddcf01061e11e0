// Rendering a page as the app would: theme, query cache, router, session.
import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import type { Me } from "./api/types";
import { SessionProvider } from "./session";
import { theme } from "./theme";

export const ME: Me = {
  user: {
    id: "u1",
    username: "ann",
    display_name: "Ann",
    role: "admin",
    disabled: false,
    totp_enabled: false,
    created_at: "2026-01-01T00:00:00Z",
  },
  session_id: "s1",
  profiles: [
    { id: "p1", name: "Ann", birth_date: null, created_at: "2026-01-01T00:00:00Z", role: "owner" },
    { id: "p2", name: "Sam", birth_date: "2019-05-04", created_at: "2026-01-01T00:00:00Z", role: "viewer" },
  ],
} as Me;

/** Render `element` at `route` (matched by `path`) as a signed-in page. */
export function renderPage(element: ReactNode, { path, route, me = ME }: { path: string; route: string; me?: Me }) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider theme={theme}>
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[route]}>
          <SessionProvider me={me}>
            <Routes>
              <Route path={path} element={element} />
              <Route path="*" element={<p>navigated away</p>} />
            </Routes>
          </SessionProvider>
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

/** A recorded request. */
export interface Seen {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** What a stubbed host answers: a status, a JSON body, and any more headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Stub `fetch` with `answer`, recording each request. */
export function stubFetch(answer: (req: Seen) => Answer | Promise<Answer>): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal("fetch", async (input: Request | string, init?: RequestInit) => {
    const req = typeof input === "string" ? new Request(new URL(input, "http://localhost"), init) : input;
    const s = { method: req.method, path: new URL(req.url).pathname + new URL(req.url).search, headers: req.headers, body: await req.text() };
    seen.push(s);
    const { status, body, headers } = await answer(s);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
    });
  });
  return seen;
}
