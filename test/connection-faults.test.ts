import { describe, expect, it } from "vitest";
import { isConnectionFault } from "../src/faults/connection-faults.js";
import { faultSummary } from "../src/faults/outage-log.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("isConnectionFault tells an unreachable store from a refused query", () => {
  it.each([
    ["57P01 admin shutdown (pg_ctl restart)", withCode("terminating connection due to administrator command", "57P01")],
    ["57P03 still starting", withCode("the database system is starting up", "57P03")],
    ["class 08 connection failure", withCode("connection failure", "08006")],
    ["ECONNREFUSED", withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["a dropped socket", new Error("Connection terminated unexpectedly")],
    ["a client broken earlier", new Error("Client has encountered a connection error and is not queryable")],
    ["the pool's connect timeout", new Error("timeout exceeded when trying to connect")],
    ["one wrapped by GraphQL", Object.assign(new Error("wrapped"), { originalError: withCode("x", "57P01") })],
    ["one wrapped as a cause", new Error("wrapped", { cause: withCode("x", "ECONNRESET") })],
  ])("%s is a connection fault", (_name, error) => {
    expect(isConnectionFault(error)).toBe(true);
  });

  it.each([
    ["a unique violation", withCode("duplicate key value violates unique constraint", "23505")],
    ["a syntax error", withCode('syntax error at or near "selec"', "42601")],
    ["SQLite busy", withCode("database is locked", "SQLITE_BUSY")],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
    ["a non-error", "57P01"],
  ])("%s is not", (_name, error) => {
    expect(isConnectionFault(error)).toBe(false);
  });

  it("summarises a fault by code and first line, never by the driver's client object", () => {
    const error = Object.assign(withCode("terminating connection\ndetail", "57P01"), { client: { password: "hunter2" } });
    expect(faultSummary(error)).toEqual({ code: "57P01", message: "terminating connection" });
  });
});
