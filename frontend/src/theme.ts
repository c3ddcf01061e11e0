import { createTheme, Modal, type CSSVariablesResolver, type MantineColorsTuple } from "@mantine/core";

// A warm, calm primary with a dark enough shade for AA contrast on white.
const hearth: MantineColorsTuple = ["#fdf1ec", "#f6e0d6", "#eebfa9", "#e69c7a", "#df7e52", "#db6b39", "#d9612c", "#c0511f", "#a84719", "#8c3a12"];

export const theme = createTheme({
  primaryColor: "hearth",
  primaryShade: 8,
  colors: { hearth },
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  defaultRadius: "md",
  components: {
    // A dialog's ✕ button says what it does to screen readers (it had no name at all).
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close" } } }),
  },
});

/** Text shades with at least 6:1 contrast on their own light backgrounds. */
const READABLE: Record<string, string> = {
  green: "#1f5f2c",
  red: "#8f1d1d",
  orange: "#8a3b08",
  blue: "#174a80",
  gray: "#3d4349",
  yellow: "#6b4e00",
  hearth: "#7a300e",
};

/** Darker text colours than Mantine's defaults, for AA contrast on the warm page background. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "#545b62",
    "--mantine-color-placeholder": "#6b7178",
    "--mantine-color-error": "#b02525",
    // Light badges, alerts and coloured text get darker shades than Mantine's, so they stay readable.
    ...Object.fromEntries(
      Object.entries(READABLE).flatMap(([c, v]) => [
        [`--mantine-color-${c}-light-color`, v],
        [`--mantine-color-${c}-text`, v],
      ]),
    ),
  },
  dark: {},
});
