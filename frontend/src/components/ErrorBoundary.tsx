// A page that fails to render says so in words, with a way out, instead of going blank.
import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { Component, type ReactNode } from "react";
import { explainError } from "../api/client";
import { isChunkLoadError } from "../lib/problems";
import { noteReloadFor, openForMs, shouldReloadFor } from "../lib/reload";
import { Details } from "./PageState";

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(prev: { resetKey?: string }) {
    // Moving to another page clears the failure.
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  componentDidCatch(error: Error) {
    console.error("page failed to render", error);
    // A page open for a while asks for a part of the app a new version replaced: reload once.
    if (isChunkLoadError(error) && shouldReloadFor(error, openForMs())) {
      noteReloadFor(error);
      window.location.reload();
    }
  }

  render() {
    const error = this.state.error;
    if (!error) return this.props.children;
    const reload = (
      <Button size="xs" onClick={() => window.location.reload()}>
        Reload
      </Button>
    );
    if (isChunkLoadError(error)) {
      return (
        <Alert color="blue" title="Hearth was updated or is restarting" role="alert">
          <Stack gap="xs">
            <Text size="sm">
              This page could not be loaded. Reload to get the current version of Hearth; if it is restarting, wait a moment first. Your records are
              safe.
            </Text>
            <Group>{reload}</Group>
            <Details lines={[error.message]} />
          </Stack>
        </Alert>
      );
    }
    const explained = explainError(error);
    const known = explained.message !== "Something went wrong.";
    return (
      <Alert color="red" title="This page could not be shown" role="alert">
        <Stack gap="xs">
          <Text size="sm">
            {known
              ? `${explained.message} ${explained.action ?? ""}`.trim()
              : "Something in Hearth went wrong while showing it. Reload the page; your records are safe."}
          </Text>
          <Group>
            {reload}
            <Button size="xs" variant="subtle" component="a" href="/">
              Go to the start page
            </Button>
          </Group>
          <Details lines={known ? explained.details : [`${error.name}: ${error.message}`]} />
        </Stack>
      </Alert>
    );
  }
}
