// Arranging a dashboard's cards without a pointer: the same moves dragging
// makes, one button press at a time. Apart from lib/dashboards so the health
// summary does not load the grid library.
import { cloneLayout, moveElement, verticalCompactor } from "react-grid-layout/core";
import { byGrid, GRID_COLUMNS, type CardPlace } from "./dashboards";

export type Move = "up" | "down" | "left" | "right" | "wider" | "narrower";

/**
 * One step of arranging without a pointer. Up and down swap a card with its
 * nearest neighbour above or below; left and right shift it a column; wider and
 * narrower change its width by a column. Other cards make way and the grid is
 * compacted upwards, as react-grid-layout does after a drag, so the buttons and
 * dragging agree.
 */
export function arrange(places: CardPlace[], key: string, move: Move): CardPlace[] {
  const layout = cloneLayout(places.map(({ key: i, x, y, w, h }) => ({ i, x, y, w, h })));
  const item = layout.find((l) => l.i === key);
  if (!item) return places;
  const sharesColumns = (l: { x: number; w: number }) => l.x < item.x + item.w && item.x < l.x + l.w;
  const others = layout.filter((l) => l !== item && sharesColumns(l));
  let x = item.x;
  let y = item.y;
  if (move === "left") x = Math.max(0, x - 1);
  else if (move === "right") x = Math.min(GRID_COLUMNS - item.w, x + 1);
  else if (move === "up") {
    const above = others.filter((l) => l.y + l.h <= item.y).sort((a, b) => b.y + b.h - (a.y + a.h))[0];
    if (!above) return places;
    y = above.y;
  } else if (move === "down") {
    const below = others.filter((l) => l.y >= item.y + item.h).sort((a, b) => a.y - b.y)[0];
    if (!below) return places;
    y = below.y + below.h;
  } else {
    const w = Math.min(GRID_COLUMNS, Math.max(1, item.w + (move === "wider" ? 1 : -1)));
    if (w === item.w) return places;
    item.w = w;
    x = Math.min(item.x, GRID_COLUMNS - w);
  }
  const moved = moveElement(layout, item, x, y, true, false, "vertical", GRID_COLUMNS);
  return verticalCompactor
    .compact(moved, GRID_COLUMNS)
    .map((l) => ({ key: l.i, x: l.x, y: l.y, w: l.w, h: l.h }))
    .sort(byGrid);
}

/** A card shown again goes below everything else, at its last size. */
export function showAgain(places: CardPlace[], card: CardPlace): CardPlace[] {
  const bottom = places.reduce((b, p) => Math.max(b, p.y + p.h), 0);
  return [...places, { key: card.key, x: 0, y: bottom, w: card.w, h: card.h }];
}
