// One condition dashboard drawn from the profile's records: its cards on a
// 12-column grid (one column on a phone), and an "Arrange" mode to move,
// resize and hide cards by dragging or with each card's buttons.
import { ActionIcon, Alert, Anchor, Button, Card, Group, Stack, Text, Title, VisuallyHidden } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { IconArrowDown, IconArrowLeft, IconArrowRight, IconArrowUp, IconEyeOff, IconGripVertical, IconMinus, IconPlus } from "@tabler/icons-react";
import { useEffect, useMemo, useState, type CSSProperties } from "react";
import ReactGridLayout, { useContainerWidth, type Layout } from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import { Link, useParams } from "react-router";
import { ApiError } from "../api/client";
import { dashboardKeys, drawFailureText, saveLayout, useDrawn } from "../api/dashboards";
import { DashboardCard } from "../components/DashboardCard";
import { ImportReport } from "../components/ImportReport";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { ErrorState, Failure, Loading } from "../components/PageState";
import { arrange, showAgain, type Move } from "../lib/arrange";
import { GRID_COLUMNS, layoutBody, placeCards, type Card as BoardCard, type CardPlace, type Drawn } from "../lib/dashboards";
import { possessive, useCurrentProfile } from "../profile";

export default function DashboardPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const { dashboard = "" } = useParams();
  const drawn = useDrawn(profile, dashboard);
  const back = (
    <Anchor component={Link} to={`/profiles/${profile}/dashboards`} size="sm">
      All dashboards
    </Anchor>
  );
  if (drawn.isPending) return <Loading label="Drawing the dashboard…" />;
  if (drawn.error || !drawn.data)
    return (
      <>
        <PageHeader title="Dashboard" subtitle={`${possessive(name)} record`} />
        <DrawFailure error={drawn.error} retry={() => void drawn.refetch()} />
        <Group mt="md">{back}</Group>
      </>
    );
  return <Board drawn={drawn.data} profile={profile} name={name} canEdit={canEdit} back={back} />;
}

/** A dashboard that could not be drawn: a plugin's failure (502) in its own words; anything else as every page says it. */
export function DrawFailure({ error, retry }: { error: unknown; retry: () => void }) {
  if (error instanceof ApiError && (error.status === 502 || error.status === 504))
    return (
      <Alert color="red" title="This dashboard could not be drawn" role="alert">
        <Stack gap="xs">
          <Text size="sm">{drawFailureText(error)} The records themselves are unchanged.</Text>
          <Group>
            <Button size="xs" variant="default" onClick={retry}>
              Try again
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  return <ErrorState error={error} retry={retry} />;
}

function Board({ drawn, profile, name, canEdit, back }: { drawn: Drawn; profile: string; name: string; canEdit: boolean; back: React.ReactNode }) {
  const [arranging, setArranging] = useState(false);
  const placed = useMemo(() => placeCards(drawn.board, drawn.layout), [drawn]);
  return (
    <>
      <PageHeader
        title={drawn.dashboard.name}
        subtitle={`From ${possessive(name)} record${drawn.dashboard.reason ? ` · ${drawn.dashboard.reason}` : ""}`}
        actions={
          canEdit && !arranging && drawn.board.cards.length > 0 ? (
            <Button variant="default" onClick={() => setArranging(true)}>
              Arrange
            </Button>
          ) : undefined
        }
      />
      {arranging ? (
        <Arrange drawn={drawn} profile={profile} onDone={() => setArranging(false)} />
      ) : (
        <Stack>
          {drawn.notes.length > 0 && (
            <details className="import-notes">
              <summary>What the imported file could not show ({drawn.notes.length})</summary>
              <ImportReport notes={drawn.notes} />
            </details>
          )}
          {placed.shown.length === 0 ? (
            <Text c="dimmed">
              {drawn.board.cards.length === 0 ? "This dashboard has nothing to show." : "Every card of this dashboard is hidden."}
            </Text>
          ) : (
            <div className="dashboard-grid">
              {placed.shown.map(({ card, place }) => (
                <div key={card.key} className="dashboard-cell" style={cellStyle(place)}>
                  <DashboardCard card={card} profile={profile} />
                </div>
              ))}
            </div>
          )}
          <Group>{back}</Group>
        </Stack>
      )}
    </>
  );
}

/** A card's place as CSS grid lines (app.css stacks them in one column on a phone). */
const cellStyle = (p: CardPlace) => ({ "--x": p.x + 1, "--y": p.y + 1, "--w": p.w, "--h": p.h }) as CSSProperties;

const WIDGET_WORDS: Record<string, string> = {
  stat: "Latest value",
  "line-chart": "Chart",
  table: "Table",
  "status-list": "Checklist",
  "timeline-strip": "Dates",
};

const MOVES: { move: Move; label: string; icon: typeof IconArrowUp }[] = [
  { move: "up", label: "Move up", icon: IconArrowUp },
  { move: "down", label: "Move down", icon: IconArrowDown },
  { move: "left", label: "Move left", icon: IconArrowLeft },
  { move: "right", label: "Move right", icon: IconArrowRight },
  { move: "narrower", label: "Narrower", icon: IconMinus },
  { move: "wider", label: "Wider", icon: IconPlus },
];

const MOVED: Record<Move, string> = {
  up: "moved up",
  down: "moved down",
  left: "moved left",
  right: "moved right",
  wider: "made wider",
  narrower: "made narrower",
};

const samePlaces = (a: CardPlace[], b: CardPlace[]) =>
  a.length === b.length && a.every((p, i) => ["key", "x", "y", "w", "h"].every((k) => p[k as keyof CardPlace] === b[i]![k as keyof CardPlace]));

function Arrange({ drawn, profile, onDone }: { drawn: Drawn; profile: string; onDone: () => void }) {
  const client = useQueryClient();
  const initial = useMemo(() => placeCards(drawn.board, drawn.layout), [drawn]);
  const [places, setPlaces] = useState<CardPlace[]>(() => initial.shown.map((s) => s.place));
  const [hidden, setHidden] = useState<CardPlace[]>(() => initial.hidden.map((s) => s.place));
  const [said, setSaid] = useState("");
  const [focus, setFocus] = useState<string | null>(null);
  const { width, containerRef, mounted } = useContainerWidth();
  const cards = useMemo(() => new Map<string, BoardCard>(drawn.board.cards.map((c) => [c.key, c])), [drawn]);
  const titleOf = (key: string) => cards.get(key)?.title ?? key;
  const dashboard = drawn.dashboard.id;

  // After a button moves focus's target out of the page (hiding a card), focus goes where the card went.
  useEffect(() => {
    if (!focus) return;
    document.getElementById(focus)?.focus();
    setFocus(null);
  }, [focus]);

  const save = useMutation({
    mutationFn: () => saveLayout(profile, dashboard, layoutBody(places, hidden)),
    onSuccess: (saved) => {
      client.setQueryData<Drawn>(dashboardKeys.drawn(profile, dashboard), (old) => (old ? { ...old, layout: saved.cards } : old));
      notify("Layout saved.");
      onDone();
    },
  });

  const step = (key: string, move: Move) => {
    const next = arrange(places, key, move);
    setPlaces(next);
    setSaid(next === places ? `${titleOf(key)} cannot go further.` : `${titleOf(key)} ${MOVED[move]}.`);
  };
  const hide = (key: string) => {
    const place = places.find((p) => p.key === key);
    if (!place) return;
    setPlaces(places.filter((p) => p.key !== key));
    setHidden([...hidden, { ...place, hidden: true }]);
    setSaid(`${titleOf(key)} hidden. It is listed under Hidden cards.`);
    setFocus("hidden-cards");
  };
  const show = (key: string) => {
    const place = hidden.find((p) => p.key === key);
    if (!place) return;
    setHidden(hidden.filter((p) => p.key !== key));
    setPlaces(showAgain(places, place));
    setSaid(`${titleOf(key)} shown again, at the bottom.`);
    setFocus(`arrange-${key}`);
  };
  // Dragging and resizing: the grid reports its layout; keep it only when it changed.
  const dragged = (layout: Layout) => {
    const next = layout.map((l) => ({ key: l.i, x: l.x, y: l.y, w: l.w, h: l.h }));
    const order = (list: CardPlace[]) => [...list].sort((a, b) => a.key.localeCompare(b.key));
    if (!samePlaces(order(next), order(places))) setPlaces(next);
  };

  return (
    <Stack>
      <Card withBorder padding="sm">
        <Stack gap="xs">
          <Text size="sm">
            Drag a card by its handle and resize it from its bottom-right corner, or use the buttons on each card. Hidden cards are listed below the
            grid. Nothing changes until you save.
          </Text>
          <Text size="sm" c="dimmed" hiddenFrom="sm">
            On a phone the cards are shown one under another, in this order (top to bottom, left to right).
          </Text>
          <Group>
            <Button onClick={() => save.mutate()} loading={save.isPending}>
              Save layout
            </Button>
            <Button variant="default" onClick={onDone} disabled={save.isPending}>
              Cancel
            </Button>
          </Group>
          <Failure error={save.error} title="The layout was not saved" />
        </Stack>
      </Card>
      <VisuallyHidden role="status" aria-live="polite">
        {said}
      </VisuallyHidden>
      <div ref={containerRef}>
        {mounted && (
          <ReactGridLayout
            width={width}
            layout={places.map((p) => ({ i: p.key, x: p.x, y: p.y, w: p.w, h: p.h, maxH: 12 }))}
            gridConfig={{ cols: GRID_COLUMNS, rowHeight: 64, margin: [12, 12] }}
            dragConfig={{ enabled: true, handle: ".drag-handle" }}
            resizeConfig={{ enabled: true, handles: ["se"] }}
            onLayoutChange={dragged}
          >
            {/* Board order, not grid order: a moved card keeps its place in the page, so its focused button stays focused. */}
            {drawn.board.cards
              .filter((c) => places.some((p) => p.key === c.key))
              .map((c) => {
                const place = places.find((p) => p.key === c.key)!;
                return (
                  <div key={c.key}>
                    <Card withBorder padding="xs" h="100%" className="arrange-tile" aria-labelledby={`arrange-${c.key}-title`} component="section">
                      <Group gap={4} wrap="nowrap" align="flex-start">
                        <div className="drag-handle" title="Drag to move" aria-hidden>
                          <IconGripVertical size={18} />
                        </div>
                        <Stack gap={0} miw={0}>
                          <Title order={2} size="h6" id={`arrange-${c.key}-title`} style={{ overflowWrap: "anywhere" }}>
                            {c.title}
                          </Title>
                          <Text size="xs" c="dimmed">
                            {WIDGET_WORDS[c.widget] ?? c.widget} · row {place.y + 1}, column {place.x + 1}, {place.w} of 12 wide
                          </Text>
                        </Stack>
                      </Group>
                      <Group gap={4} mt={6} role="group" aria-label={`Arrange ${c.title}`} id={`arrange-${c.key}`} tabIndex={-1} wrap="wrap">
                        {MOVES.map(({ move, label, icon: Icon }) => (
                          <ActionIcon
                            key={move}
                            variant="default"
                            size="sm"
                            aria-label={`${label}: ${c.title}`}
                            title={label}
                            onClick={() => step(c.key, move)}
                          >
                            <Icon size={14} aria-hidden />
                          </ActionIcon>
                        ))}
                        <ActionIcon variant="default" size="sm" aria-label={`Hide: ${c.title}`} title="Hide" onClick={() => hide(c.key)}>
                          <IconEyeOff size={14} aria-hidden />
                        </ActionIcon>
                      </Group>
                    </Card>
                  </div>
                );
              })}
          </ReactGridLayout>
        )}
      </div>
      <Card withBorder padding="sm" component="section" aria-labelledby="hidden-cards">
        <Title order={2} size="h5" id="hidden-cards" tabIndex={-1} className="page-heading" mb="xs">
          Hidden cards
        </Title>
        {hidden.length === 0 ? (
          <Text size="sm" c="dimmed">
            No card is hidden.
          </Text>
        ) : (
          <Stack component="ul" gap={6} style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {hidden.map((p) => (
              <li key={p.key}>
                <Group gap="xs" justify="space-between" wrap="nowrap">
                  <Text size="sm">{titleOf(p.key)}</Text>
                  <Button size="xs" variant="default" onClick={() => show(p.key)} aria-label={`Show ${titleOf(p.key)}`}>
                    Show
                  </Button>
                </Group>
              </li>
            ))}
          </Stack>
        )}
      </Card>
    </Stack>
  );
}
