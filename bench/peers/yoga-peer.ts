/** GraphQL Yoga 5 on node:http: `{ __typename }` and `me` with the HS256 check, nothing else. */
import { createServer } from "node:http";
import { createSchema, createYoga, type YogaInitialContext } from "graphql-yoga";
import { PEER_TYPE_DEFS, peerKey, peerPort, userOf } from "./peer-me.js";

const key = peerKey();
const yoga = createYoga({
  schema: createSchema<YogaInitialContext>({
    typeDefs: PEER_TYPE_DEFS,
    resolvers: {
      Query: {
        me: (_parent: unknown, _args: unknown, context: YogaInitialContext) => userOf(key, context.request.headers.get("authorization")),
      },
    },
  }),
  logging: false,
  graphiql: false,
});

createServer((req, res) => {
  if (req.url === "/readyz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
    return;
  }
  void yoga(req, res);
}).listen(peerPort(), "127.0.0.1");
