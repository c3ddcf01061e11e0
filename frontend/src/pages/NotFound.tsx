import { Button } from "@mantine/core";
import { Link } from "react-router";
import { Empty } from "../components/PageState";
import { PageHeader } from "../components/PageHeader";

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty
        title="There is nothing at this address"
        action={
          <Button component={Link} to="/">
            Go to the start page
          </Button>
        }
      >
        The link may be old, or the record may have been removed.
      </Empty>
    </>
  );
}
