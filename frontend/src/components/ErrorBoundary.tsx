// A page that fails to render says so in words, with a way out, instead of going blank.
import { Alert, Button, Group, Text } from "@mantine/core";
import { Component, type ReactNode } from "react";

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
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" title="This page could not be shown" role="alert">
        <Text size="sm">Something in Hearth went wrong while showing it ({this.state.error.message}). Your records are safe.</Text>
        <Group mt="sm">
          <Button size="xs" variant="default" onClick={() => window.location.reload()}>
            Reload the page
          </Button>
          <Button size="xs" variant="subtle" component="a" href="/">
            Go to the start page
          </Button>
        </Group>
      </Alert>
    );
  }
}
