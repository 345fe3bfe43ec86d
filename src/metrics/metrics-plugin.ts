import type { ApolloServerPlugin } from "@apollo/server";
import type { Metrics } from "./metrics.js";
import { operationLabel } from "./operation-label.js";

/** Requests that never reached a valid operation: unparsable, invalid, or naming no operation. */
const UNRESOLVED = "unresolved";

/** Observes each GraphQL request's duration, labelled by the root field it selected. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<any> {
  return {
    async requestDidStart() {
      let stop: ((labels: { operation: string }) => number) | undefined = metrics.operationDuration.startTimer();
      let label = UNRESOLVED;
      return {
        async didResolveOperation({ document, operation }) {
          if (operation) label = operationLabel(document, operation);
        },
        async willSendResponse() {
          // Once per request, even if Apollo reaches this hook again on an error path.
          stop?.({ operation: label });
          stop = undefined;
        },
      };
    },
  };
}
