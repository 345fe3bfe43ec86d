/** Bare Apollo Server 5 on Express 5: `{ __typename }` and `me` with the HS256 check, nothing else. */
import { createServer } from "node:http";
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { PEER_TYPE_DEFS, peerKey, peerPort, userOf } from "./peer-me.js";

interface Context {
  readonly authorization: string | undefined;
}

const key = peerKey();
const apollo = new ApolloServer<Context>({
  typeDefs: PEER_TYPE_DEFS,
  resolvers: { Query: { me: (_parent: unknown, _args: unknown, context: Context) => userOf(key, context.authorization) } },
});
await apollo.start();

const app = express();
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
app.use(
  "/graphql",
  express.json(),
  expressMiddleware(apollo, { context: async ({ req }) => ({ authorization: req.headers.authorization }) }),
);
createServer(app).listen(peerPort(), "127.0.0.1");
